"""A softmax output layer followed by another Activation("softmax"): predictions are squashed towards uniform."""

WHERE = ("probs",)


def bad(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((20,), name="x"),
        layers.Dense(32, activation="relu", name="h"),
        layers.Dense(6, activation="softmax", name="scores"),
        layers.Activation("softmax", name="probs"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def good(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((20,), name="x"),
        layers.Dense(32, activation="relu", name="h"),
        layers.Dense(6, name="scores"),
        layers.Activation("softmax", name="probs"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
