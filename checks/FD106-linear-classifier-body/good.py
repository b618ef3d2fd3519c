"""The texture classifier of bad.py with ReLU after each hidden layer."""


def build(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((8, 8, 1), name="patch"),
        layers.Conv2D(8, 3, activation="relu", name="conv1"),
        layers.Conv2D(8, 3, activation="relu", name="conv2"),
        layers.Flatten(name="flatten"),
        layers.Dense(16, activation="relu", name="fc"),
        layers.Dense(3, activation="softmax", name="texture"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
