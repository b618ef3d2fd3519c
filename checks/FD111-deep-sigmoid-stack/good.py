"""The sensor classifier of bad.py with ReLU in the hidden layers."""


def build(keras):
    layers = keras.layers
    model = keras.Sequential(
        [keras.Input((16,), name="sensors")]
        + [layers.Dense(32, activation="relu", name=f"s{i}") for i in range(1, 6)]
        + [layers.Dense(3, activation="softmax", name="state")]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
