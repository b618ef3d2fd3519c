"""MNIST MLP initialized with RandomNormal(stddev=1.0) (a tutorial's "normal" init taken literally): the
first loss is in the hundreds and training goes nowhere."""

WHERE = ("dense_in", "dense_mid")


def _model(keras, init):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((784,), name="pixels"),
        layers.Dense(512, activation="relu", kernel_initializer=init(), name="dense_in"),
        layers.Dense(256, activation="relu", kernel_initializer=init(), name="dense_mid"),
        layers.Dense(10, activation="softmax", name="out"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def bad(keras):
    return _model(keras, lambda: keras.initializers.RandomNormal(mean=0.0, stddev=1.0))


def good(keras):
    return _model(keras, lambda: keras.initializers.GlorotUniform())
