"""Fashion-MNIST: a 10-class classifier whose output layer has no activation, trained with MSE on one-hot
labels and monitored with accuracy."""

WHERE = ("loss", "logits")


def bad(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((784,), name="pixels"),
        layers.Dense(256, activation="relu", name="hidden"),
        layers.Dense(10, name="logits"),
    ])
    model.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
    return model


def good(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((784,), name="pixels"),
        layers.Dense(256, activation="relu", name="hidden"),
        layers.Dense(10, name="logits"),
    ])
    model.compile(optimizer="adam", loss=keras.losses.CategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model
