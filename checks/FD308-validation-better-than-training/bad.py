"""A loan-default classifier regularized with heavy dropout: its validation loss beats its training loss.

Two Dropout(0.7) layers switch off most hidden units during training, so the training loss is
measured on a handicapped network, while validation runs the full network. The validation loss
sits below the training loss at every epoch. Here the cause is harmless -- dropout -- but the
same picture is what a validation set that leaks training samples looks like, so FD308 reports it
for a person to check (INFO).
"""

import numpy as np

FEATURES = 20
EPOCHS = 10


def make_loans(n, rng, weights):
    x = rng.normal(size=(n, FEATURES))
    logit = 4.0 * np.tanh(x @ weights)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype("float32")
    return x.astype("float32"), y


def build(keras, dropout):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((FEATURES,)),
        layers.Dense(64, activation="relu"),
        layers.Dropout(dropout),
        layers.Dense(64, activation="relu"),
        layers.Dropout(dropout),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def train(keras, callbacks=None):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    weights = rng.normal(size=FEATURES) / np.sqrt(FEATURES)
    x_train, y_train = make_loans(512, rng, weights)
    x_val, y_val = make_loans(256, rng, weights)
    model = build(keras, dropout=0.7)
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=EPOCHS, batch_size=32,
                        verbose=0, callbacks=callbacks or [])
    return model, history.history
