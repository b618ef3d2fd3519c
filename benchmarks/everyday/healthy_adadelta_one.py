"""Healthy: Adadelta at learning_rate=1.0, the rate of the original algorithm (and of Keras before 2.3)."""

WHERE = ()
bad = None


def good(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((28, 28, 1), name="digit"),
        layers.Conv2D(32, 3, activation="relu", name="c1"),
        layers.MaxPooling2D(name="p1"),
        layers.Flatten(name="flat"),
        layers.Dropout(0.5, name="drop"),
        layers.Dense(10, activation="softmax", name="out"),
    ])
    model.compile(optimizer=keras.optimizers.Adadelta(learning_rate=1.0), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model
