"""Meme classifier (image + caption) whose labels depend on the caption only: the image is pure
noise for this task, so the trained model learns to ignore its image branch.

Ground truth: the label is the sign of the sum of the first four caption features (a clean,
linear signal); the images are N(0, 1) noise, independent of the label. After training, ablating
the caption drops accuracy from ~0.95 to chance, ablating the image changes nothing.
"""

import numpy as np

N_TRAIN, N_PROBE = 512, 512
IMAGE, TEXT = (8, 8, 3), 16


def make_data(n, seed, image_signal, text_signal):
    """Balanced binary labels; each modality shifted along a fixed direction by +-signal."""
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % 2)
    sign = (2.0 * y - 1.0).astype("float32")
    image = rng.normal(size=(n, *IMAGE)).astype("float32") + image_signal * sign[:, None, None, None]
    text = rng.normal(size=(n, TEXT)).astype("float32")
    text[:, :4] += text_signal * sign[:, None]
    return [image.astype("float32"), text.astype("float32")], y.astype("float32")


def build(keras):
    layers = keras.layers
    image = keras.Input(IMAGE, name="image")
    x = layers.Conv2D(8, 3, activation="relu")(image)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(8, activation="relu", name="image_features")(x)
    text = keras.Input((TEXT,), name="text")
    t = layers.Dense(8, activation="relu", name="text_features")(text)
    fused = layers.concatenate([x, t], name="fusion")
    out = layers.Dense(1, activation="sigmoid", name="label")(fused)
    model = keras.Model([image, text], out)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def make(keras):
    keras.utils.set_random_seed(0)
    x, y = make_data(N_TRAIN, seed=1, image_signal=0.0, text_signal=1.0)
    model = build(keras)
    model.fit(x, y, epochs=12, batch_size=64, verbose=0)
    return model, make_data(N_PROBE, seed=2, image_signal=0.0, text_signal=1.0)
