"""Fine-tuning a nested MobileNet called with training=False, which Keras 3 fit() overrides (keras#20285)."""


def build(keras):
    layers = keras.layers

    image = keras.Input((32, 32, 3), name="image")
    base = keras.applications.MobileNet(weights=None, include_top=False, input_shape=(32, 32, 3), alpha=0.25)
    base.trainable = True  # fine-tune everything, BatchNormalization included
    x = base(image, training=False)  # meant to keep BN in inference mode; Keras 3 fit() passes training=True
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
