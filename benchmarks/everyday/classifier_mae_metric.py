"""A 3-class softmax classifier monitored with metrics=["mae"] only: the logs never say how often it is right."""

WHERE = ("metrics",)


def _model(keras, metrics):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((8,), name="wine"),
        layers.Dense(32, activation="relu", name="h"),
        layers.Dense(3, activation="softmax", name="quality"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=metrics)
    return model


def bad(keras):
    return _model(keras, ["mae"])


def good(keras):
    return _model(keras, ["accuracy"])
