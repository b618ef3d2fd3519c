"""Meme classifier whose fused features read better than either branch: the image CNN is pooled
to 8 features and both branches are layer-normalized before the merge.

Ground truth: both modalities carry the label, each alone at about 90% (the image through its mean
brightness, the caption through the sum of its first four features); a linear read-out of the
concatenation beats both.
"""

import numpy as np

N_TRAIN, N_PROBE = 512, 512
IMAGE, TEXT = (8, 8, 3), 16
IMAGE_SIGNAL, TEXT_SIGNAL = 0.094, 0.65  # 1.3 standard deviations of each modality's summary


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % 2)
    sign = 2.0 * y - 1.0
    image = rng.normal(size=(n, *IMAGE)) + IMAGE_SIGNAL * sign[:, None, None, None]
    text = rng.normal(size=(n, TEXT))
    text[:, :4] += TEXT_SIGNAL * sign[:, None]
    return [image.astype("float32"), text.astype("float32")], y.astype("float32")


def build(keras):
    layers = keras.layers
    image = keras.Input(IMAGE, name="image")
    x = layers.Conv2D(16, 3, activation="relu", name="conv")(image)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(8, activation="relu", name="image_features")(x)
    x = layers.LayerNormalization(name="image_norm")(x)
    text = keras.Input((TEXT,), name="text")
    t = layers.Dense(8, activation="relu", name="text_features")(text)
    t = layers.LayerNormalization(name="text_norm")(t)
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
