"""Image + caption + audio classifier, untrained, with every branch normalized before the merge.

The same branches as bad.py -- the frozen image projection still has 100x weights -- but each
branch passes through LayerNormalization before the concatenation, and the audio branch's ReLUs
are alive. Ground truth: the three operands reach the merge on the same scale (RMS about 1).
"""

import numpy as np

N_PROBE = 256
IMAGE, TEXT, AUDIO = 32, 16, 16
LOUDNESS = 100.0


def build(keras):
    layers = keras.layers
    image = keras.Input((IMAGE,), name="image_embedding")
    x = layers.Dense(8, activation="relu", trainable=False, name="image_features")(image)
    x = layers.LayerNormalization(name="image_norm")(x)
    text = keras.Input((TEXT,), name="text")
    t = layers.Dense(8, activation="relu", name="text_features")(text)
    t = layers.LayerNormalization(name="text_norm")(t)
    audio = keras.Input((AUDIO,), name="audio")
    a = layers.Dense(8, activation="relu", name="audio_features")(audio)
    a = layers.LayerNormalization(name="audio_norm")(a)
    fused = layers.concatenate([x, t, a], name="fusion")
    out = layers.Dense(1, activation="sigmoid", name="label")(fused)
    model = keras.Model([image, text, audio], out)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def make(keras):
    keras.utils.set_random_seed(0)
    model = build(keras)
    loud = model.get_layer("image_features")
    kernel, bias = loud.get_weights()
    loud.set_weights([kernel * LOUDNESS, bias * LOUDNESS])
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(N_PROBE, width)).astype("float32") for width in (IMAGE, TEXT, AUDIO)]
    return model, (x, None)
