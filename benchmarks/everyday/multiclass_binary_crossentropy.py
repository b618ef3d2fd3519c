"""Five flower classes, softmax head, compiled with binary_crossentropy ("80% accuracy but every prediction is
wrong")."""

WHERE = ("loss", "flowers")


def _model(keras, loss):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((48, 48, 3), name="flower"),
        layers.Conv2D(16, 3, activation="relu", name="c1"),
        layers.MaxPooling2D(name="p1"),
        layers.Flatten(name="flat"),
        layers.Dense(64, activation="relu", name="fc"),
        layers.Dense(5, activation="softmax", name="flowers"),
    ])
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def bad(keras):
    return _model(keras, "binary_crossentropy")


def good(keras):
    return _model(keras, "categorical_crossentropy")
