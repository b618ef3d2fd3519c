"""Multi-label meme tagger (5 independent sigmoid tags) trained with binary crossentropy."""


def build(keras):
    layers = keras.layers

    image = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(8, 3, activation="relu")(image)
    x = layers.GlobalAveragePooling2D()(x)

    text = keras.Input((4, 6), name="text")
    t = layers.LSTM(8)(text)

    fused = layers.concatenate([x, t])
    out = layers.Dense(5, activation="sigmoid", name="tags")(fused)  # several tags may be on at once

    model = keras.Model([image, text], out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=5e-3), loss="binary_crossentropy",
                  metrics=[keras.metrics.AUC(multi_label=True, name="auc")])
    return model
