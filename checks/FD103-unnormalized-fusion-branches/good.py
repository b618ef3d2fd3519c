"""The same fusion with each branch batch-normalized before the Concatenate."""


def build(keras):
    layers = keras.layers

    image = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(image)
    x = layers.Flatten()(x)
    x = layers.BatchNormalization(name="image_norm")(x)

    text = keras.Input((4, 6), name="text")
    t = layers.LSTM(8)(text)
    t = layers.Dense(8, activation="relu")(t)
    t = layers.BatchNormalization(name="text_norm")(t)

    fused = layers.concatenate([x, t], name="fusion")
    out = layers.Dense(1, activation="sigmoid", name="output_layer")(fused)

    model = keras.Model([image, text], out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model
