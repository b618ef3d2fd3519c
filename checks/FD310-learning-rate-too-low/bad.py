"""A plan recommender (3 classes, a small ReLU MLP) trained with plain SGD at learning rate 5e-4.

SGD's usual rate is 1e-2; at 5e-4 each step is twenty times shorter. The loss falls in every
epoch, by the same small amount each time (0.3% per epoch), and after ten epochs it is still above
ln 3, the loss of a model that has learned nothing: the run is not stuck, it crawls.
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
    model = build(keras, keras.optimizers.SGD(learning_rate=5e-4))
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=EPOCHS, batch_size=32,
                        verbose=0, callbacks=callbacks or [])
    return model, history.history


def trial_model(keras):
    """The model as ``train`` compiles it, untrained (the casebook's fix trial retrains it)."""
    return build(keras, keras.optimizers.SGD(learning_rate=5e-4))


def trial_data():
    """``train``'s training data: 512 customers."""
    return make_customers(512, np.random.default_rng(0))
