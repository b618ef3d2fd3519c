"""The card-fraud scorer of bad.py with the activation back on its second hidden layer."""


def build(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((12,), name="transaction"),
        layers.Dense(32, activation="relu", name="encode"),
        layers.Dense(32, activation="relu", name="mix"),
        layers.Dense(1, activation="sigmoid", name="fraud"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model
