"""Healthy: the output layer starts from zeros (a common trick for a calm start); the hidden layers do not."""

WHERE = ()
bad = None


def good(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((16,), name="x"),
        layers.Dense(64, activation="relu", kernel_initializer="he_normal", name="h"),
        layers.Dense(3, activation="softmax", kernel_initializer="zeros", name="out"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model
