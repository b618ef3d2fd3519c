"""Logits through a ReLU: Dense(10, activation="relu") with SparseCategoricalCrossentropy(from_logits=True)."""

WHERE = ("logits",)


def _model(keras, activation):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((32,), name="x"),
        layers.Dense(64, activation="relu", name="h"),
        layers.Dense(10, activation=activation, name="logits"),
    ])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def bad(keras):
    return _model(keras, "relu")


def good(keras):
    return _model(keras, None)
