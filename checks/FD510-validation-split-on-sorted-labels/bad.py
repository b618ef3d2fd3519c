"""Clip classifier whose labels come sorted by class (three class folders read in turn).

Ground truth: 150 samples, 50 per class, in class order: ``y = [0]*50 + [1]*50 + [2]*50``. The
last 10%, 20% and 30% of the arrays (what ``fit(validation_split=...)`` holds out) are class 2
only. The features are noise: only the labels' order matters here (one input, so no fusion rule
reads an untrained model's random preference between inputs).
"""

import numpy as np

N, CLASSES = 150, 3
CLIP = 24


def build(keras):
    layers = keras.layers
    clip = keras.Input((CLIP,), name="clip")
    c = layers.Dense(16, activation="relu", name="clip_features")(clip)
    c = layers.LayerNormalization(name="clip_norm")(c)
    out = layers.Dense(CLASSES, activation="softmax", name="category")(c)
    model = keras.Model(clip, out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def sorted_data(rng):
    y = np.repeat(np.arange(CLASSES), N // CLASSES)
    clip = rng.normal(size=(N, CLIP))
    return clip.astype("float32"), y


def make(keras):
    keras.utils.set_random_seed(0)
    x, y = sorted_data(np.random.default_rng(0))
    return build(keras), (x, y)
