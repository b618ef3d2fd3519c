"""Image + text model with a linear one-unit output trained with binary_crossentropy, which expects probabilities."""


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
    out = layers.Dense(1, name="logit")(fused)  # linear: any real number

    model = keras.Model([image, text], out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def trial_data():
    """Training data for ``fusiondoctor fix`` trials: binary labels that both modalities carry."""
    from trial_data import binary

    return binary(signal=0.5)
