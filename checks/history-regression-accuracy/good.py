"""A soil-temperature anomaly regression (standardized sensor readings -> degrees above or below the
seasonal mean) with a linear output, compiled with ``metrics=["accuracy", "mae"]``.

The model is healthy: the loss and the MAE fall steadily. The accuracy the user asked for stays at
exactly 0.0 for every epoch, because Keras resolves ``"accuracy"`` on one output unit to binary
accuracy, which compares each real-valued target with a thresholded prediction (0 or 1) and never
finds them equal. A frozen accuracy is no evidence of a constant prediction here: the task model
reads the output as a regression, so FD301-FD303 ignore it, and FD209 points at the metric.
"""

import numpy as np

EPOCHS = 10


def make_readings(n, rng, weights):
    """Standardized readings (depth, moisture, radiation, ...) -> anomaly in degrees, often negative."""
    x = rng.normal(size=(n, 6))
    anomaly = 2.0 * np.tanh(x @ weights) + rng.normal(0, 0.2, n)
    return x.astype("float32"), anomaly.astype("float32")


def build(keras, activation=None):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((6,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(1, activation=activation, name="anomaly"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="mse", metrics=["accuracy", "mae"])
    return model


def train(keras, callbacks=None, activation=None):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    weights = rng.normal(size=6) / np.sqrt(6)
    x_train, y_train = make_readings(256, rng, weights)
    x_val, y_val = make_readings(128, rng, weights)
    model = build(keras, activation)
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=EPOCHS, batch_size=32,
                        verbose=0, callbacks=callbacks or [])
    return model, history.history
