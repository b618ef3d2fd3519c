"""Image + caption classifier whose Embedding has a row for every id the tokenizer gives.

Ground truth: the same Zipf-distributed captions over a vocabulary of 260 ids as bad.py; the
Embedding has 260 rows (the tokenizer's vocabulary size), so every id has its vector.
"""

import numpy as np

N_PROBE = 96
TOKENS, TOKENIZER_VOCABULARY = 10, 260


def build(keras, rows):
    layers = keras.layers
    image = keras.Input((32,), name="image")
    x = layers.Dense(16, activation="relu", name="image_features")(image)
    x = layers.LayerNormalization(name="image_norm")(x)
    caption = keras.Input((TOKENS,), dtype="int32", name="caption")
    t = layers.Embedding(rows, 8, name="caption_embedding")(caption)
    t = layers.GlobalAveragePooling1D(name="caption_pool")(t)
    t = layers.Dense(16, activation="relu", name="caption_features")(t)
    t = layers.LayerNormalization(name="caption_norm")(t)
    out = layers.Dense(4, activation="softmax", name="topic")(layers.concatenate([x, t], name="fusion"))
    model = keras.Model([image, caption], out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def captions(rng):
    ranks = np.arange(1, TOKENIZER_VOCABULARY)
    weights = 1.0 / ranks
    return rng.choice(ranks, size=(N_PROBE, TOKENS), p=weights / weights.sum()).astype("int32")


def make(keras):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    image = rng.normal(size=(N_PROBE, 32)).astype("float32")
    return build(keras, TOKENIZER_VOCABULARY), ([image, captions(rng)], None)
