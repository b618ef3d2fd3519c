"""Iris MLP with kernel_initializer="zeros" on every layer ("all my predictions are the same class")."""

WHERE = ("h1", "h2")


def _model(keras, init):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((4,), name="measurements"),
        layers.Dense(16, activation="relu", kernel_initializer=init, name="h1"),
        layers.Dense(16, activation="relu", kernel_initializer=init, name="h2"),
        layers.Dense(3, activation="softmax", kernel_initializer=init, name="species"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def bad(keras):
    return _model(keras, "zeros")


def good(keras):
    return _model(keras, "glorot_uniform")
