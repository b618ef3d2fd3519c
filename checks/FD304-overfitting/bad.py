"""A churn model with 70,000 parameters fitted for 20 epochs on 48 customers with noisy labels.

Two 256-unit layers on 20 features can memorize 48 samples outright, and every fifth label is
wrong. The validation loss falls for a few epochs while the network learns the real signal, then
turns upward as it starts fitting the noise, and keeps rising while the training loss keeps
falling: overfitting from the epoch of the best validation loss on. Nothing stops the run.
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
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=EPOCHS, batch_size=16,
                        verbose=0, callbacks=callbacks or [])
    return model, history.history


def trial_model(keras):
    """The model as ``train`` compiles it, untrained (the casebook's fix trial retrains it)."""
    return build(keras)


def trial_data():
    """``train``'s training data: the 48 customers with every fifth label flipped."""
    rng = np.random.default_rng(0)
    return make_customers(48, rng, rng.normal(size=FEATURES))
