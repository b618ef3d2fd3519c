"""ExponentialDecay with decay_steps=1 (meant as "every epoch"): the learning rate is 1e-3 * 0.9**step and
vanishes within the first few hundred batches."""

WHERE = ("optimizer.learning_rate",)


def _model(keras, decay_steps):
    layers = keras.layers
    schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, decay_steps=decay_steps, decay_rate=0.9)
    model = keras.Sequential([
        keras.Input((30,), name="x"),
        layers.Dense(32, activation="relu", name="h"),
        layers.Dense(1, activation="sigmoid", name="y"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def bad(keras):
    return _model(keras, 1)


def good(keras):
    return _model(keras, 10000)
