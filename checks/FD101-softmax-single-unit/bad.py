"""Binary meme classifier (image + text) whose one-unit output uses softmax, so it always predicts 1.0."""


def build(keras):
    layers = keras.layers

    image = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(8, 3, activation="relu")(image)
    x = layers.GlobalAveragePooling2D()(x)

    text = keras.Input((4, 6), name="text")
    t = layers.LSTM(8)(text)

    fused = layers.concatenate([x, t])
    fused = layers.Dense(8, activation="relu")(fused)
    out = layers.Dense(1, activation="softmax", name="output_layer")(fused)  # exp(z) / exp(z) == 1.0

    model = keras.Model([image, text], out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def trial_data(n=256, seed=0, signal=0.5):
    """Training data for ``fusiondoctor fix`` trials (tests/test_trial_casebook.py): binary labels that
    both modalities carry, as a mean shift of ``signal`` standard deviations in a few features."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    sign = (2 * y - 1).astype("float32")
    image = rng.normal(size=(n, 8, 8, 3)).astype("float32")
    image[..., 0] += signal * sign[:, None, None]
    text = rng.normal(size=(n, 4, 6)).astype("float32")
    text[..., :2] += signal * sign[:, None, None]
    return {"image": image, "text": text}, y.astype("float32")
