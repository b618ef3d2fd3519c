"""Cats vs dogs: one sigmoid unit trained with categorical_crossentropy ("loss is 0.0000 from the first
epoch")."""

WHERE = ("loss", "is_dog")


def _model(keras, loss):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((64, 64, 3), name="photo"),
        layers.Conv2D(16, 3, activation="relu", name="c1"),
        layers.MaxPooling2D(name="p1"),
        layers.Conv2D(32, 3, activation="relu", name="c2"),
        layers.GlobalMaxPooling2D(name="gmp"),
        layers.Dense(1, activation="sigmoid", name="is_dog"),
    ])
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def bad(keras):
    return _model(keras, "categorical_crossentropy")


def good(keras):
    return _model(keras, "binary_crossentropy")
