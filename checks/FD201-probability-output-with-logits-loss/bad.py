"""Four-way meme emotion classifier with a softmax output and a from_logits=True loss (softmax applied twice)."""


def build(keras):
    layers = keras.layers

    image = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(8, 3, activation="relu")(image)
    x = layers.GlobalAveragePooling2D()(x)

    text = keras.Input((4, 6), name="text")
    t = layers.LSTM(8)(text)

    fused = layers.concatenate([x, t])
    out = layers.Dense(4, activation="softmax", name="emotion")(fused)

    model = keras.Model([image, text], out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),  # but the output is softmax
                  metrics=["accuracy"])
    return model


def trial_data(n=256, seed=0, signal=0.7):
    """Training data for ``fusiondoctor fix`` trials (tests/test_trial_casebook.py): 4 classes, each a
    mean shift of ``signal`` standard deviations in one image channel and one text feature;
    integer labels (sparse categorical crossentropy)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    image = rng.normal(size=(n, 8, 8, 3)).astype("float32")
    text = rng.normal(size=(n, 4, 6)).astype("float32")
    for c in range(4):
        image[y == c, :, :, c % 3] += signal * (1 if c < 3 else -1)
        text[y == c, :, c % 6] += signal
    return {"image": image, "text": text}, y.astype("int32")
