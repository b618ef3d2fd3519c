"""Wine-quality classifier (low / medium / high, softmax + crossentropy) that logs only mean absolute error."""


def build(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((11,), name="chemistry"),
        layers.Dense(32, activation="relu", name="hidden"),
        layers.Dense(3, activation="softmax", name="quality"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="categorical_crossentropy",
                  metrics=["mae"])
    return model


def trial_data():
    """Eleven chemistry measurements; each of three quality grades (one-hot) shifts two of them."""
    import numpy as np

    rng = np.random.default_rng(0)
    grade = rng.integers(0, 3, 256)
    x = rng.normal(size=(256, 11)).astype("float32")
    for g in range(3):
        x[grade == g, 2 * g:2 * g + 2] += 0.8
    return x, np.eye(3, dtype="float32")[grade]
