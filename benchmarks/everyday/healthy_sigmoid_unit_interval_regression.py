"""Healthy: a quality score already scaled to [0, 1], predicted through a sigmoid with MSE and MAE."""

WHERE = ()
bad = None


def good(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((10,), name="x"),
        layers.Dense(32, activation="relu", name="h"),
        layers.Dense(1, activation="sigmoid", name="score"),
    ])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model
