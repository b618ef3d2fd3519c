"""Three-way sentiment (negative/neutral/positive) from image + text: a softmax head trained with
binary_crossentropy."""


def build(keras):
    layers = keras.layers

    image = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(8, 3, activation="relu")(image)
    x = layers.GlobalAveragePooling2D()(x)

    text = keras.Input((4, 6), name="text")
    t = layers.LSTM(8)(text)

    fused = layers.concatenate([x, t])
    out = layers.Dense(3, activation="softmax", name="sentiment")(fused)

    model = keras.Model([image, text], out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="binary_crossentropy",  # 3 classes
                  metrics=["accuracy"])
    return model


def trial_data():
    """Training data for ``fusiondoctor fix`` trials: 3 classes that both modalities carry; one-hot labels."""
    import numpy as np
    from trial_data import multiclass

    x, y = multiclass(3, signal=0.7)
    return x, np.eye(3, dtype="float32")[y]
