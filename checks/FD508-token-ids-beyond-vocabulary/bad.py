"""Image + caption classifier whose Embedding is smaller than the tokenizer's vocabulary.

Ground truth: captions are tokenized with a vocabulary of 260 ids (0 = padding), word frequencies
following Zipf's law, but the Embedding was sized for an older vocabulary of 200 rows. Rare words
(ids 200-259) appear in some captions: on a GPU they would look up zero vectors, on a CPU the
lookup fails. Both branches are layer-normalized before the merge; untrained, no labels.
"""

import numpy as np

N_PROBE = 96
TOKENS, TOKENIZER_VOCABULARY, EMBEDDING_ROWS = 10, 260, 200


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
    """Token ids 1..259 drawn by Zipf's law (rank r with weight 1/r)."""
    ranks = np.arange(1, TOKENIZER_VOCABULARY)
    weights = 1.0 / ranks
    return rng.choice(ranks, size=(N_PROBE, TOKENS), p=weights / weights.sum()).astype("int32")


def make(keras):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    image = rng.normal(size=(N_PROBE, 32)).astype("float32")
    return build(keras, EMBEDDING_ROWS), ([image, captions(rng)], None)
