"""Three-way sentiment (negative/neutral/positive) from image + text: a softmax head trained with binary_crossentropy."""


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


def trial_data(n=256, seed=0, signal=0.7):
    """Training data for ``fusiondoctor fix`` trials (tests/test_trial_casebook.py): 3 classes, each a
    mean shift of ``signal`` standard deviations in one image channel and one text feature;
    one-hot labels."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    image = rng.normal(size=(n, 8, 8, 3)).astype("float32")
    text = rng.normal(size=(n, 4, 6)).astype("float32")
    for c in range(3):
        image[y == c, :, :, c % 3] += signal * (1 if c < 3 else -1)
        text[y == c, :, c % 6] += signal
    return {"image": image, "text": text}, np.eye(3, dtype="float32")[y]
