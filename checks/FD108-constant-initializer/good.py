"""The classifier of bad.py with random hidden layers; its output layer still starts at zeros, which is harmless
(the gradient reaches it through the random layers and breaks the tie at the first step)."""


def build(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((4,), name="measurements"),
        layers.Dense(16, activation="relu", kernel_initializer="he_normal", name="hidden"),
        layers.Dense(16, activation="relu", kernel_initializer="he_normal", name="hidden2"),
        layers.Dense(3, activation="softmax", kernel_initializer="zeros", name="species"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
