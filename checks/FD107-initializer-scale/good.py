"""The spectrum classifier of bad.py with Keras' default initializer (glorot_uniform)."""


def build(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((256,), name="spectrum"),
        layers.Dense(128, activation="relu", name="dense_in"),
        layers.Dense(64, activation="relu", name="dense_mid"),
        layers.Dense(4, activation="softmax", name="material"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model
