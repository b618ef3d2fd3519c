"""The battery-life regression of bad.py with Adam's default learning rate for training from scratch, 1e-3.

The steps are now large enough to matter: the loss falls steadily from the first epoch.
"""

import numpy as np

EPOCHS = 10


def make_cells(n, rng, weights):
    """Standardized cell measurements (temperature, cycles, internal resistance, ...) -> remaining life."""
    x = rng.normal(size=(n, 6))
    life = np.tanh(x @ weights) * 2.0 + 3.0 + rng.normal(0, 0.2, n)
    return x.astype("float32"), life.astype("float32")


def build(keras, learning_rate):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((6,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
    return model


def train(keras, callbacks=None):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    weights = rng.normal(size=6) / np.sqrt(6)
    x_train, y_train = make_cells(256, rng, weights)
    x_val, y_val = make_cells(128, rng, weights)
    model = build(keras, learning_rate=1e-3)
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=EPOCHS, batch_size=32,
                        verbose=0, callbacks=callbacks or [])
    return model, history.history
