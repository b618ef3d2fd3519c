"""Film poster + plot model with a 6-genre multi-label head whose only metric is accuracy (plus a liked/not head)."""


def build(keras):
    layers = keras.layers

    poster = keras.Input((8, 8, 3), name="poster")
    x = layers.Conv2D(8, 3, activation="relu")(poster)
    x = layers.GlobalAveragePooling2D()(x)

    plot = keras.Input((4, 6), name="plot")
    t = layers.LSTM(8)(plot)

    fused = layers.concatenate([x, t])
    genres = layers.Dense(6, activation="sigmoid", name="genres")(fused)  # about 2 genres per film
    liked = layers.Dense(1, activation="sigmoid", name="liked")(fused)

    model = keras.Model([poster, plot], [genres, liked])
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss={"genres": "binary_crossentropy", "liked": "binary_crossentropy"},
        metrics={"genres": ["accuracy"], "liked": ["accuracy"]},  # "no genre" everywhere scores well
    )
    return model
