"""Image + text emotion model whose softmax head is followed by a second Activation("softmax"): the
probabilities are squashed again, towards 1/4 each."""


def build(keras):
    layers = keras.layers
    image = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(8, 3, activation="relu")(image)
    x = layers.GlobalAveragePooling2D()(x)
    text = keras.Input((4, 6), name="text")
    t = layers.LSTM(8)(text)
    fused = layers.concatenate([x, t])
    scores = layers.Dense(4, activation="softmax", name="scores")(fused)
    out = layers.Activation("softmax", name="probs")(scores)
    model = keras.Model([image, text], out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def trial_data():
    """Four classes, each shifting one image channel and one text feature."""
    from trial_data import multiclass

    return multiclass(4)
