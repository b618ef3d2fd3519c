"""Film poster + plot model whose multi-label genre head reports AUC, precision and recall."""


def build(keras):
    layers = keras.layers

    poster = keras.Input((8, 8, 3), name="poster")
    x = layers.Conv2D(8, 3, activation="relu")(poster)
    x = layers.GlobalAveragePooling2D()(x)

    plot = keras.Input((4, 6), name="plot")
    t = layers.LSTM(8)(plot)

    fused = layers.concatenate([x, t])
    genres = layers.Dense(6, activation="sigmoid", name="genres")(fused)
    liked = layers.Dense(1, activation="sigmoid", name="liked")(fused)

    model = keras.Model([poster, plot], [genres, liked])
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss={"genres": "binary_crossentropy", "liked": "binary_crossentropy"},
        metrics={
            "genres": [keras.metrics.AUC(multi_label=True, name="auc"),
                       keras.metrics.Precision(name="precision"), keras.metrics.Recall(name="recall")],
            "liked": ["accuracy"],  # one unit: accuracy is meaningful here
        },
    )
    return model
