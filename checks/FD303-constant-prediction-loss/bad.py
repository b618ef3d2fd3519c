"""A meme classifier (image + caption) whose one-unit head uses softmax, trained for sixteen epochs.

The image branch (a small CNN) and the caption branch (an LSTM over word vectors) are concatenated
into ``Dense(1, activation="softmax")``. Softmax over one unit is exp(z) / exp(z) = 1.0, so every
meme is predicted positive whatever the weights: accuracy sits at the share of positives (0.5
here) epoch after epoch. What the loss does depends on the backend, and either way it is FD303's
fingerprint of a constant prediction:

* Keras 3 on TensorFlow computes binary crossentropy from the cached pre-softmax logit through a
  sigmoid, so the loss falls steadily while accuracy never moves ("loss falls, accuracy frozen");
* Keras 3 on JAX clips the constant 1.0 and the loss is pinned at 15.94 x 0.5 = 7.97 ("saturated").

The data is learnable (the good variant reaches ~0.9): the head, not the data, is the problem.
"""

import numpy as np

EPOCHS = 16


def make_data(n, rng):
    """Balanced labels; the image's first channel and the caption's first feature carry the class."""
    y = np.arange(n) % 2
    rng.shuffle(y)
    sign = (2.0 * y - 1.0).astype("float32")
    image = rng.normal(size=(n, 8, 8, 3)).astype("float32")
    image[..., 0] += 0.3 * sign[:, None, None]
    text = rng.normal(size=(n, 4, 6)).astype("float32")
    text[..., 0] += 0.3 * sign[:, None]
    return [image, text], y.astype("float32")


def build(keras, head_activation):
    layers = keras.layers
    image = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(8, 3, activation="relu")(image)
    x = layers.GlobalAveragePooling2D()(x)
    text = keras.Input((4, 6), name="caption")
    t = layers.LSTM(8)(text)
    fused = layers.concatenate([x, t])
    fused = layers.Dense(8, activation="relu")(fused)
    out = layers.Dense(1, activation=head_activation, name="output_layer")(fused)
    model = keras.Model([image, text], out)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def train(keras, callbacks=None):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x_train, y_train = make_data(128, rng)
    x_val, y_val = make_data(64, rng)
    model = build(keras, "softmax")
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=EPOCHS, batch_size=16,
                        verbose=0, callbacks=callbacks or [])
    return model, history.history
