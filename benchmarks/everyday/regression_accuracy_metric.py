"""Boston-housing style price regression compiled with metrics=["accuracy"] ("accuracy is 0.0 but the loss
goes down?")."""

WHERE = ("metrics",)


def _model(keras, metrics):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((13,), name="house"),
        layers.Dense(64, activation="relu", name="h1"),
        layers.Dense(64, activation="relu", name="h2"),
        layers.Dense(1, name="price"),
    ])
    model.compile(optimizer="rmsprop", loss="mse", metrics=metrics)
    return model


def bad(keras):
    return _model(keras, ["accuracy"])


def good(keras):
    return _model(keras, ["mae"])
