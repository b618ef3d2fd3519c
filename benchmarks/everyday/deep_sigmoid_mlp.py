"""A 7-layer MLP with sigmoid in every hidden layer: the first layers get almost no gradient."""

WHERE = ("s1", "s2", "s3", "s4", "s5", "s6")


def _model(keras, activation):
    layers = keras.layers
    model = keras.Sequential([keras.Input((64,), name="x")]
                             + [layers.Dense(64, activation=activation, name=f"s{i}") for i in range(1, 7)]
                             + [layers.Dense(10, activation="softmax", name="out")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def bad(keras):
    return _model(keras, "sigmoid")


def good(keras):
    return _model(keras, "relu")
