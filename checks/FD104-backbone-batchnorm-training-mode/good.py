"""Fine-tuning a nested MobileNet with its BatchNormalization layers frozen, which every Keras respects."""


def build(keras):
    layers = keras.layers

    image = keras.Input((32, 32, 3), name="image")
    base = keras.applications.MobileNet(weights=None, include_top=False, input_shape=(32, 32, 3), alpha=0.25)
    base.trainable = True
    for layer in base.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.trainable = False  # inference mode whatever fit() passes as training
    x = base(image, training=False)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(16, activation="relu", name="image_head")(x)

    caption = keras.Input((4, 6), name="caption")
    t = layers.LSTM(16)(caption)

    fused = layers.concatenate([x, t])
    out = layers.Dense(4, activation="softmax", name="emotion")(fused)

    model = keras.Model([image, caption], out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-5), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model
