"""CIFAR-10 CNN compiled with Adam(learning_rate=0.1) copied from an SGD recipe: loss jumps to 2.30
and stays there."""

WHERE = ("optimizer.learning_rate",)


def _cnn(keras, rate):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((32, 32, 3), name="image"),
        layers.Conv2D(32, 3, activation="relu", name="conv1"),
        layers.MaxPooling2D(name="pool1"),
        layers.Conv2D(64, 3, activation="relu", name="conv2"),
        layers.GlobalAveragePooling2D(name="gap"),
        layers.Dense(10, activation="softmax", name="classes"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def bad(keras):
    return _cnn(keras, 0.1)


def good(keras):
    return _cnn(keras, 1e-3)
