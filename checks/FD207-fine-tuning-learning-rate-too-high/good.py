"""Fine-tuning an unfrozen MobileNet (flattened into the model by input_tensor=) gently, with Adam at 1e-5."""


def build(keras):
    layers = keras.layers

    image = keras.Input((32, 32, 3), name="image")
    base = keras.applications.MobileNet(weights=None, include_top=False, input_tensor=image, alpha=0.25)
    for layer in base.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.trainable = False  # BatchNormalization statistics kept; the convolutions are fine-tuned
    x = layers.GlobalAveragePooling2D()(base.output)
    x = layers.Dense(16, activation="relu", name="image_head")(x)

    caption = keras.Input((4, 6), name="caption")
    t = layers.LSTM(16)(caption)

    fused = layers.concatenate([x, t])
    out = layers.Dense(4, activation="softmax", name="emotion")(fused)

    model = keras.Model([image, caption], out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-5),  # a fine-tuning rate
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model
