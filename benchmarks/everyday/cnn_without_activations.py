"""A Sequential MNIST CNN written without a single activation in the hidden layers ("why is my CNN no better
than logistic regression?")."""

WHERE = ("conv_a", "conv_b", "fc")


def _cnn(keras, activation):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((28, 28, 1), name="digit"),
        layers.Conv2D(32, 3, activation=activation, name="conv_a"),
        layers.Conv2D(64, 3, activation=activation, name="conv_b"),
        layers.AveragePooling2D(2, name="pool"),
        layers.Flatten(name="flat"),
        layers.Dense(128, activation=activation, name="fc"),
        layers.Dense(10, activation="softmax", name="out"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def bad(keras):
    return _cnn(keras, None)


def good(keras):
    return _cnn(keras, "relu")
