"""The plan recommender of checks/FD309-learning-rate-too-high trained with Adam at learning rate 0.1, 14 epochs.

Ten times below the blow-up, the run first descends: the loss falls from 0.67 to 0.36 in four
epochs. Then every step overshoots the minimum: the training loss wanders (0.32 0.34 0.36 0.33
0.41 0.35 0.30 ...) and the validation loss zig-zags between 0.56 and 0.80 above its best (0.48
at epoch 4). The training loss ends a little lower than at the best epoch and the validation loss
higher, which is how an overshooting optimizer used to be reported as overfitting: but neither
curve moves one way, they go back and forth.
"""

import numpy as np

FEATURES, CLASSES = 8, 3
EPOCHS = 14


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
    model = build(keras, keras.optimizers.Adam(learning_rate=0.1))
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=EPOCHS, batch_size=32,
                        verbose=0, callbacks=callbacks or [])
    return model, history.history
