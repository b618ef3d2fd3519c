"""Sequential sarcasm detector with one sigmoid unit trained with categorical_crossentropy (loss is always 0)."""


def build(keras):
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((4, 6), name="tokens"),
            layers.LSTM(8),
            layers.Dense(8, activation="relu"),
            layers.Dense(1, activation="sigmoid", name="sarcastic"),
        ],
        name="sarcasm_detector",
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def trial_data(n=256, seed=0, signal=0.5):
    """Training data for ``fusiondoctor fix`` trials (tests/test_trial_casebook.py): token features
    (4 x 6) whose first two features carry the binary label as a mean shift of ``signal`` std."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    tokens = rng.normal(size=(n, 4, 6)).astype("float32")
    tokens[..., :2] += signal * (2 * y - 1)[:, None, None]
    return tokens, y.astype("float32")
