"""A small texture classifier written without a single hidden activation: two convolutions and a dense layer,
all linear, under a softmax -- logistic regression on the pixels with extra steps."""


def build(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((8, 8, 1), name="patch"),
        layers.Conv2D(8, 3, name="conv1"),
        layers.Conv2D(8, 3, name="conv2"),
        layers.Flatten(name="flatten"),
        layers.Dense(16, name="fc"),
        layers.Dense(3, activation="softmax", name="texture"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def trial_data(n=384, seed=0):
    """Three textures that differ only in contrast (the pixels' spread), never in their mean: no linear map
    of the pixels tells them apart, a ReLU network does."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    spread = np.array([0.3, 1.0, 2.5])[y]
    x = (rng.normal(size=(n, 8, 8, 1)) * spread[:, None, None, None]).astype("float32")
    return x, y
