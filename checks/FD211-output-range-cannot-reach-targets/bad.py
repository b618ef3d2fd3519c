"""Image + text regression of a sentiment score centred on 0 (negative reviews below it) with a ReLU on the output
unit: it can never predict a negative score."""


def build(keras):
    layers = keras.layers
    image = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(8, 3, activation="relu")(image)
    x = layers.GlobalAveragePooling2D()(x)
    text = keras.Input((4, 6), name="text")
    t = layers.LSTM(8)(text)
    fused = layers.concatenate([x, t])
    fused = layers.Dense(16, activation="relu", name="fusion")(fused)
    out = layers.Dense(1, activation="relu", name="sentiment")(fused)
    model = keras.Model([image, text], out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="mse", metrics=["mae"])
    return model


def trial_data(n=256, seed=0):
    """A score in about [-2, 2] that the text carries (and the image, weakly)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    score = rng.uniform(-2, 2, n).astype("float32")
    image = rng.normal(size=(n, 8, 8, 3)).astype("float32")
    text = rng.normal(size=(n, 4, 6)).astype("float32")
    text[..., :2] += 0.5 * score[:, None, None]
    image[..., 0] += 0.2 * score[:, None, None]
    return {"image": image, "text": text}, score
