"""A demand forecast (linear, whitened features) trained full-batch with SGD: learning rate 1.0, momentum 0.9.

With the whole training set in one batch there is one update per epoch, and at this learning
rate every update overshoots the minimum; momentum carries the weights back past it the next
time. The loss zig-zags from epoch to epoch instead of settling -- down, up, down -- and only
drifts lower because momentum damps the swings a little each time.
"""

import numpy as np

FEATURES = 4
EPOCHS = 16


def make_weeks(n, rng, weights):
    """Drivers (price, promotion, season, weather) -> demand."""
    x = rng.normal(size=(n, FEATURES))
    return x, x @ weights + 1.0 + rng.normal(0, 0.3, n)


def whiten(x, reference):
    """Centre and decorrelate the features with the training set's mean and covariance."""
    mean = reference.mean(axis=0)
    transform = np.linalg.inv(np.linalg.cholesky(np.cov(reference - mean, rowvar=False, bias=True))).T
    return ((x - mean) @ transform).astype("float32")


def build(keras, learning_rate, momentum):
    model = keras.Sequential([keras.Input((FEATURES,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum), loss="mse")
    return model


def train(keras, callbacks=None):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    weights = rng.normal(size=FEATURES)
    x_train, y_train = make_weeks(1024, rng, weights)
    x_val, y_val = make_weeks(256, rng, weights)
    x_train, x_val = whiten(x_train, x_train), whiten(x_val, x_train)
    y_train, y_val = y_train.astype("float32"), y_val.astype("float32")
    model = build(keras, learning_rate=1.0, momentum=0.9)
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=EPOCHS, batch_size=len(x_train),
                        verbose=0, callbacks=callbacks or [])
    return model, history.history


def trial_model(keras):
    """The model as ``train`` compiles it, untrained (the casebook's fix trial retrains it)."""
    return build(keras, learning_rate=1.0, momentum=0.9)


def trial_data():
    """``train``'s training data: 1024 whitened weeks."""
    rng = np.random.default_rng(0)
    x, y = make_weeks(1024, rng, rng.normal(size=FEATURES))
    return whiten(x, x), y.astype("float32")
