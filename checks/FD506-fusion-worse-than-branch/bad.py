"""Meme classifier whose fused features read worse than its caption branch alone: 576 flattened
features of a frozen image CNN, which carry nothing about the label, are concatenated with 8
informative caption features.

Ground truth: the label is the sign of the sum of the first four caption features; the images
are N(0, 1) noise, independent of the label. The image branch is the usual "Flatten of a frozen
backbone" (6 x 6 x 16 = 576 features, unnormalized), the caption branch ends in Dense(8). A
linear read-out of the caption features alone scores about 0.9; of the concatenation, it has
to find those 8 features among 584 and scores less.
"""

import numpy as np

N_TRAIN, N_PROBE = 512, 512
IMAGE, TEXT = (8, 8, 3), 16
TEXT_SIGNAL = 0.65  # 1.3 standard deviations of the sum of four N(0, 1) features: ~90% alone


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % 2)
    sign = 2.0 * y - 1.0
    image = rng.normal(size=(n, *IMAGE))
    text = rng.normal(size=(n, TEXT))
    text[:, :4] += TEXT_SIGNAL * sign[:, None]
    return [image.astype("float32"), text.astype("float32")], y.astype("float32")


def build(keras):
    layers = keras.layers
    image = keras.Input(IMAGE, name="image")
    x = layers.Conv2D(16, 3, activation="relu", trainable=False, name="frozen_conv")(image)
    x = layers.Flatten(name="image_features")(x)
    text = keras.Input((TEXT,), name="text")
    t = layers.Dense(8, activation="relu", name="text_features")(text)
    fused = layers.concatenate([x, t], name="fusion")
    out = layers.Dense(1, activation="sigmoid", name="label")(fused)
    model = keras.Model([image, text], out)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def make(keras):
    keras.utils.set_random_seed(0)
    model = build(keras)
    x, y = make_data(N_TRAIN, seed=1)
    model.fit(x, y, epochs=12, batch_size=64, verbose=0)
    return model, make_data(N_PROBE, seed=2)
