"""Multi-task meme model (image + caption, seven heads) whose labels fit every loss, trained.

The same seven heads as bad.py, each with labels of the form its loss expects: 0/1 for the
sigmoid heads (balanced), one-hot rows as wide as the output for categorical crossentropy, class
ids from 0 for sparse categorical crossentropy. Ground truth for the first head (``is_meme``, the
one ablation and the linear probes score): both modalities carry it, each alone at about 90%.
"""

import numpy as np

N_TRAIN, N_PROBE = 512, 512
IMAGE, TEXT = (8, 8, 3), 16
IMAGE_SIGNAL, TEXT_SIGNAL = 0.094, 0.65  # 1.3 standard deviations of each modality's summary
HEADS = [  # name, units, activation, loss
    ("is_meme", 1, "sigmoid", "binary_crossentropy"),
    ("sexist", 1, "sigmoid", "binary_crossentropy"),
    ("sentiment", 3, "softmax", "categorical_crossentropy"),
    ("topic", 5, "softmax", "sparse_categorical_crossentropy"),
    ("emotion", 6, "softmax", "sparse_categorical_crossentropy"),
    ("genre", 4, "softmax", "categorical_crossentropy"),
    ("offensive", 1, "sigmoid", "binary_crossentropy"),
]


def build(keras):
    layers = keras.layers
    image = keras.Input(IMAGE, name="image")
    x = layers.Conv2D(8, 3, activation="relu")(image)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(8, activation="relu", name="image_features")(x)
    x = layers.LayerNormalization(name="image_norm")(x)
    text = keras.Input((TEXT,), name="text")
    t = layers.Dense(8, activation="relu", name="text_features")(text)
    t = layers.LayerNormalization(name="text_norm")(t)
    shared = layers.Dense(16, activation="relu", name="shared")(layers.concatenate([x, t], name="fusion"))
    outputs = [layers.Dense(units, activation=activation, name=name)(shared) for name, units, activation, _ in HEADS]
    model = keras.Model([image, text], outputs)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss={name: loss for name, _, _, loss in HEADS},
                  metrics={"is_meme": ["accuracy"]})
    return model


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    meme = rng.permutation(np.arange(n) % 2)
    sign = 2.0 * meme - 1.0
    image = rng.normal(size=(n, *IMAGE)) + IMAGE_SIGNAL * sign[:, None, None, None]
    text = rng.normal(size=(n, TEXT))
    text[:, :4] += TEXT_SIGNAL * sign[:, None]
    one_hot = lambda ids, width: np.eye(width, dtype="float32")[ids]  # noqa: E731
    # the other heads read other caption features, so each has something to learn
    y = {
        "is_meme": meme.astype("float32").reshape(-1, 1),
        "sexist": (text[:, 4] > 0).astype("float32").reshape(-1, 1),
        "sentiment": one_hot(np.digitize(text[:, 5], [-0.43, 0.43]), 3),
        "topic": np.digitize(text[:, 6], [-0.84, -0.25, 0.25, 0.84]),
        "emotion": np.digitize(text[:, 7], [-0.97, -0.43, 0.0, 0.43, 0.97]),
        "genre": one_hot(np.digitize(text[:, 8], [-0.67, 0.0, 0.67]), 4),
        "offensive": (text[:, 9] > 0).astype("float32").reshape(-1, 1),
    }
    return [image.astype("float32"), text.astype("float32")], y


def make(keras):
    keras.utils.set_random_seed(0)
    model = build(keras)
    x, y = make_data(N_TRAIN, seed=1)
    model.fit(x, y, epochs=30, batch_size=64, verbose=0)  # 12 left PyTorch runs leaning on the image alone
    return model, make_data(N_PROBE, seed=2)
