"""The same clip classifier and samples as bad.py, shuffled once before they are saved.

Ground truth: the 150 samples of bad.py (50 per class) in a random order: every tail that
``validation_split`` could hold out holds all three classes.
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
    order = np.random.default_rng(1).permutation(len(y))  # shuffled once, before fit
    return build(keras), (x[order], y[order])
