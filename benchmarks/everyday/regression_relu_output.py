"""Temperature-anomaly regression with a ReLU on the output unit; the anomalies are often negative,
so the model "predicts 0 for half the samples"."""

WHERE = ("anomaly",)


def _model(keras, activation):
    layers = keras.layers
    inputs = keras.Input((12,), name="features")
    x = layers.Dense(64, activation="relu", name="h1")(inputs)
    x = layers.Dense(32, activation="relu", name="h2")(x)
    out = layers.Dense(1, activation=activation, name="anomaly")(x)
    model = keras.Model(inputs, out)
    model.compile(optimizer="adam", loss="mean_squared_error", metrics=["mae"])
    return model


def bad(keras):
    return _model(keras, "relu")


def good(keras):
    return _model(keras, "linear")
