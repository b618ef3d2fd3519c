"""A fraud detector on imbalanced transactions (about 7% fraud), trained without class weights.

The same model, data and training as ``checks/FD311-majority-class-collapse/bad.py``, trained with tf_keras (Keras 2):
``train`` uses the module it is given, and this case's case.toml says ``trainer = "tf_keras"``.

The fraud signal is faint, and the cheapest way to lower the crossentropy is to answer the class
shares for every transaction. Accuracy climbs to 0.926 -- exactly the share of legitimate
transactions -- in three epochs and stays there; the loss keeps gliding down towards 0.264, the
entropy of a 0.926 / 0.074 split. The model never flags a single fraud; the history looks like
slow, healthy training.
"""

import numpy as np

FEATURES = 8
EPOCHS = 12


def make_transactions(n, rng):
    """Eight standardized transaction features; about 7% are fraud, which shifts two of them a little."""
    y = (rng.random(n) < 0.08).astype("float32")
    x = rng.normal(size=(n, FEATURES)).astype("float32")
    x[:, :2] += 0.5 * y[:, None]
    return x, y


def build(keras):
    model = keras.Sequential([
        keras.Input((FEATURES,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def train(keras, callbacks=None):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x_train, y_train = make_transactions(1024, rng)
    x_val, y_val = make_transactions(512, rng)
    model = build(keras)
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=EPOCHS, batch_size=32,
                        verbose=0, callbacks=callbacks or [])
    return model, history.history
