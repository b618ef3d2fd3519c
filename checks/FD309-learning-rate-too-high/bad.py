"""A plan recommender (3 classes, a small ReLU MLP) trained with Adam at learning rate 1.0.

Adam moves every weight by about the learning rate per step, so the first steps of epoch 1 throw
the weights far away: the loss explodes (17 in epoch 1, where an untrained model scores ln 3 =
1.1), the ReLU units are pushed below zero for every sample and die, and what is left predicts
the class shares. From epoch 2 on the loss sits flat at the prior's entropy and accuracy at the
majority share: the history shows only a dead model, not why it died.
"""

import numpy as np

FEATURES, CLASSES = 8, 3
EPOCHS = 10


def make_customers(n, rng):
    """Eight standardized usage figures -> one of three plans (a noisy linear boundary)."""
    x = rng.normal(size=(n, FEATURES)).astype("float32")
    weights = np.random.default_rng(1).normal(size=(FEATURES, CLASSES))
    y = (x @ weights + 0.5 * rng.normal(size=(n, CLASSES))).argmax(axis=1)
    return x, y


def build(keras, optimizer):
    model = keras.Sequential([
        keras.Input((FEATURES,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(CLASSES, activation="softmax"),
    ])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def train(keras, callbacks=None):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x_train, y_train = make_customers(512, rng)
    x_val, y_val = make_customers(256, rng)
    model = build(keras, keras.optimizers.Adam(learning_rate=1.0))
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=EPOCHS, batch_size=32,
                        verbose=0, callbacks=callbacks or [])
    return model, history.history


def trial_model(keras):
    """The model as ``train`` compiles it, untrained (the casebook's fix trial retrains it)."""
    return build(keras, keras.optimizers.Adam(learning_rate=1.0))


def trial_data():
    """``train``'s training data: 512 customers."""
    return make_customers(512, np.random.default_rng(0))
