"""Four-way meme emotion classifier with a softmax output and a from_logits=True loss (softmax applied twice)."""


def build(keras):
    layers = keras.layers

    image = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(8, 3, activation="relu")(image)
    x = layers.GlobalAveragePooling2D()(x)

    text = keras.Input((4, 6), name="text")
    t = layers.LSTM(8)(text)

    fused = layers.concatenate([x, t])
    out = layers.Dense(4, activation="softmax", name="emotion")(fused)

    model = keras.Model([image, text], out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),  # but the output is softmax
                  metrics=["accuracy"])
    return model


def trial_data():
    """Training data for ``fusiondoctor fix`` trials: 4 classes that both modalities carry; integer
    labels (sparse categorical crossentropy)."""
    from trial_data import multiclass

    x, y = multiclass(4, signal=0.7)
    return x, y.astype("int32")
