"""Image + text + audio classifier fed each modality its own array.

Ground truth: the same model as bad.py; image and text embeddings are different arrays of the same
width, and every clip has its own audio features.
"""

import numpy as np

N_PROBE = 96
WIDTH, AUDIO = 32, 8


def build(keras):
    layers = keras.layers
    branches, inputs = [], []
    for name, width in (("image", WIDTH), ("text", WIDTH), ("audio", AUDIO)):
        x = keras.Input((width,), name=name)
        inputs.append(x)
        h = layers.Dense(16, activation="relu", name=f"{name}_features")(x)
        branches.append(layers.LayerNormalization(name=f"{name}_norm")(h))
    out = layers.Dense(3, activation="softmax", name="label")(layers.concatenate(branches, name="fusion"))
    model = keras.Model(inputs, out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def make(keras):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    image = rng.normal(size=(N_PROBE, WIDTH)).astype("float32")
    text = rng.normal(size=(N_PROBE, WIDTH)).astype("float32")
    audio = (rng.normal(size=(1, AUDIO)) + 0.5 * rng.normal(size=(N_PROBE, AUDIO))).astype("float32")
    return build(keras), ([image, text, audio], None)
