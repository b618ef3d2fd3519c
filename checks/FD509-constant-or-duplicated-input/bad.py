"""Image + text + audio classifier fed the image embeddings twice and a placeholder for audio.

Ground truth: precomputed 32-d image and text embeddings (CLIP-style, the same width) and 8-d
audio features. The training script passes ``[image, image, audio]``: the text input gets the
image embeddings again. The audio features were never extracted: every clip holds the same
default row (the dataset mean written as a placeholder). Every branch is layer-normalized before
the merge; untrained, no labels.
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
    audio_mean = rng.normal(size=(1, AUDIO))
    audio = np.repeat(audio_mean, N_PROBE, axis=0).astype("float32")  # the same placeholder row for every clip
    return build(keras), ([image, image, audio], None)  # the text input gets the images again
