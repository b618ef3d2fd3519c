"""Wine-quality classifier (low / medium / high, softmax + crossentropy) that logs only mean absolute error."""


def build(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((11,), name="chemistry"),
        layers.Dense(32, activation="relu", name="hidden"),
        layers.Dense(3, activation="softmax", name="quality"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="categorical_crossentropy",
                  metrics=["mae"])
    return model
