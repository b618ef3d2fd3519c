"""Multi-label meme tagger (5 independent sigmoid tags) trained with categorical_crossentropy."""


def build(keras):
    layers = keras.layers

    image = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(8, 3, activation="relu")(image)
    x = layers.GlobalAveragePooling2D()(x)

    text = keras.Input((4, 6), name="text")
    t = layers.LSTM(8)(text)

    fused = layers.concatenate([x, t])
    out = layers.Dense(5, activation="sigmoid", name="tags")(fused)  # several tags may be on at once

    model = keras.Model([image, text], out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=5e-3), loss="categorical_crossentropy",
                  metrics=[keras.metrics.AUC(multi_label=True, name="auc")])
    return model


def trial_data(n=256, seed=0, signal=0.7):
    """Training data for ``fusiondoctor fix`` trials (tests/test_trial_casebook.py): 5 independent tags
    (each on with probability 0.4); the text carries every tag, the image the first one, as mean
    shifts of ``signal`` standard deviations."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = (rng.random((n, 5)) < 0.4).astype("float32")
    image = rng.normal(size=(n, 8, 8, 3)).astype("float32")
    text = rng.normal(size=(n, 4, 6)).astype("float32")
    text[..., :5] += signal * (2 * y[:, None, :] - 1)
    image[..., 0] += signal * (2 * y[:, :1, None] - 1)
    return {"image": image, "text": text}, y
