"""A spectrum classifier (256 frequency bins) whose dense layers start from RandomNormal(stddev=1.0): each
layer scales its input up about 16x, so the logits start in the hundreds."""


def build(keras):
    layers = keras.layers
    big = keras.initializers.RandomNormal(mean=0.0, stddev=1.0)
    model = keras.Sequential([
        keras.Input((256,), name="spectrum"),
        layers.Dense(128, activation="relu", kernel_initializer=big, name="dense_in"),
        layers.Dense(64, activation="relu", kernel_initializer=big, name="dense_mid"),
        layers.Dense(4, activation="softmax", name="material"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def trial_data(n=512, seed=0):
    """Four materials, each with a peak in its own band of the (standardized) spectrum."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    x = rng.normal(size=(n, 256)).astype("float32")
    for c in range(4):
        x[y == c, c * 64:c * 64 + 8] += 0.8
    return x, y
