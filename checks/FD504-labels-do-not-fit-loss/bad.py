"""Multi-task meme model (image + caption, seven heads) whose labels fit none of their losses but one.

Ground truth, one label mistake per head (all but ``is_meme`` is an error):

* ``is_meme`` (sigmoid, binary crossentropy): every label is 1 -- a single class, nothing to learn;
* ``sexist`` (sigmoid, binary crossentropy): labels in {-1, +1}, SVM-style, outside [0, 1];
* ``sentiment`` (softmax of 3, categorical crossentropy): integer class ids, not one-hot rows;
* ``topic`` (softmax of 5, sparse categorical crossentropy): one-hot rows, not class ids;
* ``emotion`` (softmax of 6, sparse categorical crossentropy): ids numbered 1-6, so class 6 is
  out of range for 6 units;
* ``genre`` (softmax of 4, categorical crossentropy): one-hot rows of 3 classes for 4 units;
* ``offensive`` (sigmoid, binary crossentropy): labels are right, but 95% are 0 (a warning:
  accuracy 0.95 is what a constant prediction gets).

Untrained: Keras raises on some of these labels and silently trains on nonsense with others;
FD504 needs only the labels, the losses and the heads. Both branches are layer-normalized before
the merge.
"""

import numpy as np

N_PROBE = 256
IMAGE, TEXT = (8, 8, 3), 16
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
    model.compile(optimizer="adam", loss={name: loss for name, _, _, loss in HEADS},
                  metrics={"is_meme": ["accuracy"]})
    return model


def make(keras):
    keras.utils.set_random_seed(0)
    model = build(keras)
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(N_PROBE, *IMAGE)).astype("float32"), rng.normal(size=(N_PROBE, TEXT)).astype("float32")]
    one_hot = lambda ids, width: np.eye(width, dtype="float32")[ids]  # noqa: E731
    y = {
        "is_meme": np.ones((N_PROBE, 1), "float32"),
        "sexist": rng.choice([-1.0, 1.0], size=(N_PROBE, 1)).astype("float32"),
        "sentiment": rng.integers(0, 3, size=(N_PROBE,)),
        "topic": one_hot(rng.integers(0, 5, size=N_PROBE), 5),
        "emotion": rng.integers(1, 7, size=(N_PROBE,)),
        "genre": one_hot(rng.integers(0, 3, size=N_PROBE), 3),
        "offensive": (rng.permutation(N_PROBE) < N_PROBE // 20).astype("float32").reshape(-1, 1),
    }
    return model, (x, y)
