"""Clip + caption classifier fed audio-clip features with NaN rows (silent clips normalized 0/0).

Ground truth: ``clip`` holds L2-normalized clip features; 12 of the 96 clips are silent (all-zero
features), and dividing them by their norm (0) made their rows NaN. ``caption`` holds ordinary
float features. Both branches are layer-normalized before the merge; untrained, no labels.
"""

import numpy as np

N_PROBE = 96
CLIP, CAPTION = 24, 16


def build(keras):
    layers = keras.layers
    clip = keras.Input((CLIP,), name="clip")
    c = layers.Dense(16, activation="relu", name="clip_features")(clip)
    c = layers.LayerNormalization(name="clip_norm")(c)
    caption = keras.Input((CAPTION,), name="caption")
    t = layers.Dense(16, activation="relu", name="caption_features")(caption)
    t = layers.LayerNormalization(name="caption_norm")(t)
    out = layers.Dense(3, activation="softmax", name="category")(layers.concatenate([c, t], name="fusion"))
    model = keras.Model([clip, caption], out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def clip_features(rng, silent):
    raw = rng.normal(size=(N_PROBE, CLIP))
    raw[silent] = 0.0
    with np.errstate(invalid="ignore"):
        return (raw / np.linalg.norm(raw, axis=1, keepdims=True)).astype("float32")  # 0/0 = NaN


def make(keras):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    silent = rng.choice(N_PROBE, size=12, replace=False)
    clip = clip_features(rng, silent)
    caption = rng.normal(size=(N_PROBE, CAPTION)).astype("float32")
    return build(keras), ([clip, caption], None)
