"""Dropout(0.9) written as a TF1 keep_prob: nine in ten units are dropped and the model underfits."""

WHERE = ("drop",)


def _model(keras, rate):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((100,), name="bag_of_words"),
        layers.Dense(256, activation="relu", name="h1"),
        layers.Dropout(rate, name="drop"),
        layers.Dense(4, activation="softmax", name="topic"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def bad(keras):
    return _model(keras, 0.9)


def good(keras):
    return _model(keras, 0.1)
