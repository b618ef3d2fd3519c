"""The churn model of bad.py, same data, stopped by EarlyStopping when the validation loss turns.

``EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)`` ends the run two
epochs after the best validation loss and restores those weights: the history ends before the
validation loss has risen far enough to matter.
"""

import numpy as np

FEATURES = 20
EPOCHS = 20


def make_customers(n, rng, weights, label_noise=0.2):
    x = rng.normal(size=(n, FEATURES))
    y = (x @ weights > 0).astype("float32")
    flip = rng.random(n) < label_noise
    y[flip] = 1.0 - y[flip]
    return x.astype("float32"), y


def build(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((FEATURES,)),
        layers.Dense(256, activation="relu"),
        layers.Dense(256, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def train(keras, callbacks=None):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    weights = rng.normal(size=FEATURES)
    x_train, y_train = make_customers(48, rng, weights)
    x_val, y_val = make_customers(500, rng, weights, label_noise=0.0)
    model = build(keras)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=EPOCHS, batch_size=16,
                        verbose=0, callbacks=[stop] + list(callbacks or []))
    return model, history.history
