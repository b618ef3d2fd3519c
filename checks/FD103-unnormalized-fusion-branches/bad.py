"""Image + text fusion concatenating a 1024-wide Flatten of conv features with an 8-wide text vector, unnormalized."""


def build(keras):
    layers = keras.layers

    image = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(image)
    x = layers.Flatten()(x)  # 8 * 8 * 16 = 1024 unbounded ReLU features

    text = keras.Input((4, 6), name="text")
    t = layers.LSTM(8)(text)
    t = layers.Dense(8, activation="relu")(t)  # 8 features

    fused = layers.concatenate([x, t], name="fusion")  # 128x wider image branch drowns the text
    out = layers.Dense(1, activation="sigmoid", name="output_layer")(fused)

    model = keras.Model([image, text], out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model
