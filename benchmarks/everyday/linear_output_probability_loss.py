"""Logits trained as probabilities: Dense(4) with no activation and loss="categorical_crossentropy"."""

WHERE = ("scores", "loss")


def bad(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((16,), name="x"),
        layers.Dense(32, activation="relu", name="h"),
        layers.Dense(4, name="scores"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def good(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((16,), name="x"),
        layers.Dense(32, activation="relu", name="h"),
        layers.Dense(4, activation="softmax", name="scores"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
