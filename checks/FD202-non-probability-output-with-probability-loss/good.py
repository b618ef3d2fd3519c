"""Image + text model with a linear one-unit output and a loss told that it receives logits."""


def build(keras):
    layers = keras.layers

    text_encoder = keras.Sequential(
        [keras.Input((4, 6)), layers.LSTM(8), layers.Dense(8, activation="relu")], name="text_encoder"
    )

    image = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(8, 3, activation="relu")(image)
    x = layers.GlobalAveragePooling2D()(x)

    text = keras.Input((4, 6), name="text")
    t = text_encoder(text)

    fused = layers.concatenate([x, t])
    out = layers.Dense(1, name="logit")(fused)

    model = keras.Model([image, text], out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)])  # logits: 0 is p = 0.5
    return model
