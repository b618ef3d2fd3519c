"""Image + text genre classifier (5 genres, one per item) with a softmax head trained with mean squared error
on one-hot labels."""


def build(keras):
    layers = keras.layers
    image = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(8, 3, activation="relu")(image)
    x = layers.GlobalAveragePooling2D()(x)
    text = keras.Input((4, 6), name="text")
    t = layers.LSTM(8)(text)
    fused = layers.concatenate([x, t])
    out = layers.Dense(5, activation="softmax", name="genre")(fused)
    model = keras.Model([image, text], out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="mse", metrics=["accuracy"])
    return model


def trial_data():
    """Five genres (one-hot), each shifting one image channel and one text feature."""
    import numpy as np
    from trial_data import multiclass

    x, y = multiclass(5)
    return x, np.eye(5, dtype="float32")[y]
