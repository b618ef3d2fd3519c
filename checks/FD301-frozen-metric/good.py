"""The defect detector of bad.py with the preprocessing fixed: scale to float, do not cast to uint8.

``(images / 255).astype("float32")`` keeps the pixels in [0, 1], the red-channel signal reaches
the network, and accuracy climbs above the "no defect" share and reaches 1.0.
"""

import numpy as np

EPOCHS = 10


def make_images(n, rng):
    """8-bit RGB photos; defects (35%) are brighter in the red channel."""
    y = (rng.random(n) < 0.35).astype("float32")
    images = rng.integers(0, 170, size=(n, 8, 8, 3)).astype("float32")
    images[..., 0] += 80.0 * y[:, None, None]
    return images.astype("uint8"), y


def preprocess(images):
    return (images / 255).astype("float32")


def build(keras):
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((8, 8, 3)),
        layers.Conv2D(8, 3, activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(8, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=5e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def train(keras, callbacks=None):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    images, y = make_images(160, rng)
    x = preprocess(images)
    model = build(keras)
    history = model.fit(x[:120], y[:120], validation_data=(x[120:], y[120:]), epochs=EPOCHS, batch_size=16,
                        verbose=0, callbacks=callbacks or [])
    return model, history.history
