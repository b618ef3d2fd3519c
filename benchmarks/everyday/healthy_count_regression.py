"""Healthy: bike-rental counts, an exponential output trained with the Poisson loss, MAE as metric."""

WHERE = ()
bad = None


def good(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((9,), name="weather"),
        layers.Dense(32, activation="relu", name="h"),
        layers.Dense(1, activation="exponential", name="rentals"),
    ])
    model.compile(optimizer="nadam", loss="poisson", metrics=["mae"])
    return model
