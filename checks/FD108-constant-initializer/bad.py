"""Iris-style classifier with kernel_initializer="zeros" on its ReLU layers: every ReLU input is exactly 0,
its gradient is 0, and the model predicts the class prior for every flower, forever."""


def build(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((4,), name="measurements"),
        layers.Dense(16, activation="relu", kernel_initializer="zeros", name="hidden"),
        layers.Dense(16, activation="relu", kernel_initializer="zeros", name="hidden2"),
        layers.Dense(3, activation="softmax", kernel_initializer="zeros", name="species"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def trial_data(n=300, seed=0):
    """Three species, each a blob of four standardized measurements."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centers = np.array([[-1.0, 0.5, -1.0, -1.0], [0.3, -0.5, 0.3, 0.2], [1.0, 0.0, 1.0, 1.2]])
    x = (centers[y] + 0.4 * rng.normal(size=(n, 4))).astype("float32")
    return x, y
