"""Image + text model ported from TensorFlow 1: ``Dropout(0.9)`` was ``keep_prob=0.9``, so Keras drops nine of
ten fused features on every step."""


def build(keras):
    layers = keras.layers
    image = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(8, 3, activation="relu")(image)
    x = layers.GlobalAveragePooling2D()(x)
    text = keras.Input((4, 6), name="text")
    t = layers.LSTM(8)(text)
    fused = layers.concatenate([x, t])
    fused = layers.Dense(32, activation="relu", name="fusion")(fused)
    fused = layers.Dropout(0.9, name="drop")(fused)  # meant: keep 90%
    out = layers.Dense(1, activation="sigmoid", name="label")(fused)
    model = keras.Model([image, text], out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def trial_data():
    """Binary labels that both modalities carry, weakly."""
    from trial_data import binary

    return binary(signal=0.3)
