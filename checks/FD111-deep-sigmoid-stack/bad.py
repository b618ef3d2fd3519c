"""A 1990s-style sensor classifier: five hidden Dense layers with sigmoid activations, trained with plain SGD."""


def build(keras):
    layers = keras.layers
    model = keras.Sequential(
        [keras.Input((16,), name="sensors")]
        + [layers.Dense(32, activation="sigmoid", name=f"s{i}") for i in range(1, 6)]
        + [layers.Dense(3, activation="softmax", name="state")]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def trial_data(n=512, seed=0):
    """Three machine states, each a shift of a few standardized sensor readings."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(size=(n, 16)).astype("float32")
    for c in range(3):
        x[y == c, c * 4:c * 4 + 4] += 1.0
    return x, y
