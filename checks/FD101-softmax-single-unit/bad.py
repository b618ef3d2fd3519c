"""Binary meme classifier (image + text) whose one-unit output uses softmax, so it always predicts 1.0."""


def build(keras):
    layers = keras.layers

    image = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(8, 3, activation="relu")(image)
    x = layers.GlobalAveragePooling2D()(x)

    text = keras.Input((4, 6), name="text")
    t = layers.LSTM(8)(text)

    fused = layers.concatenate([x, t])
    fused = layers.Dense(8, activation="relu")(fused)
    out = layers.Dense(1, activation="softmax", name="output_layer")(fused)  # exp(z) / exp(z) == 1.0

    model = keras.Model([image, text], out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def trial_data():
    """Training data for ``fusiondoctor fix`` trials: binary labels that both modalities carry."""
    from trial_data import binary

    return binary(signal=0.5)
