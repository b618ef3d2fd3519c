"""Card-fraud scorer whose second hidden layer lost its activation: Dense(32) -> Dense(1), one linear map."""


def build(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((12,), name="transaction"),
        layers.Dense(32, activation="relu", name="encode"),
        layers.Dense(32, name="mix"),  # no activation: collapses into 'fraud'
        layers.Dense(1, activation="sigmoid", name="fraud"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def trial_data(n=512, seed=0):
    """Fraud when two features share their sign (an XOR of signs): needs more than one hidden nonlinearity
    to learn quickly."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 12)).astype("float32")
    y = ((x[:, 0] * x[:, 1] > 0) ^ (x[:, 2] > 0)).astype("float32")
    return x, y
