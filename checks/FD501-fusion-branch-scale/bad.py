"""Image + caption + audio classifier, untrained, with two broken branches at the merge: the image
features are 100x louder than the caption features, and the audio branch is dead.

Ground truth, by construction:

* ``image_features`` is a frozen projection of precomputed image embeddings whose weights are 100x
  a fresh layer's (a pretrained projection with features in the tens, next to caption features
  below 1). Frozen, it keeps that scale however long the model trains. Both branches see
  standardized N(0, 1) inputs through Dense(8, relu), so their RMS differ by the factor of 100
  (give or take the random initialization);
* the audio branch's ReLUs are dead: a blown-up update drove the biases of ``audio_features`` to
  -100, so every activation is exactly zero and no gradient can revive them;
* the caption branch is healthy.

The probe data has no labels: branch scales need none, and an untrained model's accuracy says
nothing (the label rules have their own cases).
"""

import numpy as np

N_PROBE = 256
IMAGE, TEXT, AUDIO = 32, 16, 16
LOUDNESS = 100.0
DEAD_BIAS = -100.0


def build(keras):
    layers = keras.layers
    image = keras.Input((IMAGE,), name="image_embedding")
    x = layers.Dense(8, activation="relu", trainable=False, name="image_features")(image)
    text = keras.Input((TEXT,), name="text")
    t = layers.Dense(8, activation="relu", name="text_features")(text)
    audio = keras.Input((AUDIO,), name="audio")
    a = layers.Dense(8, activation="relu", name="audio_features")(audio)
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
    dead = model.get_layer("audio_features")
    kernel, bias = dead.get_weights()
    dead.set_weights([kernel, np.full_like(bias, DEAD_BIAS)])
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(N_PROBE, width)).astype("float32") for width in (IMAGE, TEXT, AUDIO)]
    return model, (x, None)
