"""Image + caption classifier on the pooled features of a frozen MobileNet (include_top=False)."""


def build(keras):
    layers = keras.layers

    image = keras.Input((32, 32, 3), name="image")
    base = keras.applications.MobileNet(weights=None, include_top=False, pooling="avg", input_shape=(32, 32, 3),
                                        alpha=0.25)
    base.trainable = False
    features = base(image)  # 256 pooled features, not class probabilities
    x = layers.Dropout(0.5)(features)
    x = layers.Dense(16, activation="relu", name="image_head")(x)

    caption = keras.Input((4, 6), name="caption")
    t = layers.LSTM(16)(caption)

    fused = layers.concatenate([x, t])
    out = layers.Dense(6, activation="softmax", name="emotion")(fused)

    model = keras.Model([image, caption], out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model
