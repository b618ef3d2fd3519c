"""Credit-default classifier with SGD(learning_rate=1.0): the loss turns NaN in the second epoch."""

WHERE = ("optimizer.learning_rate",)


def _model(keras, rate):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((23,), name="client"),
        layers.Dense(32, activation="relu", name="h1"),
        layers.Dense(16, activation="relu", name="h2"),
        layers.Dense(1, activation="sigmoid", name="default"),
    ])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=rate), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def bad(keras):
    return _model(keras, 1.0)


def good(keras):
    return _model(keras, 0.01)
