"""MNIST MLP: softmax over 10 digits trained with mean squared error ("accuracy stuck at 0.11")."""

WHERE = ("loss",)


def _mlp(keras, loss):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((784,), name="pixels"),
        layers.Dense(128, activation="relu", name="hidden"),
        layers.Dense(10, activation="softmax", name="digits"),
    ])
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def bad(keras):
    return _mlp(keras, "mse")


def good(keras):
    return _mlp(keras, "categorical_crossentropy")
