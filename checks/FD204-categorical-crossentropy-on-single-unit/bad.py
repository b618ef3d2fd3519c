"""Sequential sarcasm detector with one sigmoid unit trained with categorical_crossentropy (loss is always 0)."""


def build(keras):
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((4, 6), name="tokens"),
            layers.LSTM(8),
            layers.Dense(8, activation="relu"),
            layers.Dense(1, activation="sigmoid", name="sarcastic"),
        ],
        name="sarcasm_detector",
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model
