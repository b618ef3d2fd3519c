"""Seed 000 (meme sexism), scaled down and trained with tf_keras (Keras 2), as the poster did.

The same model, data and training as ``checks/history-seed-000-keras3/bad.py``; ``train`` uses the
module it is given, and this case's case.toml says ``trainer = "tf_keras"``.

The model of ``checks/seed-000-meme-vgg16-lstm/bad.py`` at a size that trains in seconds: a small
frozen CNN stands in for VGG16 (16x16 images instead of 224x224), followed by the post's head --
Flatten -> Dense(256, relu, l2) -> Dropout(0.5) -> Dense(64, relu); the text branch is the post's
LSTM(32, dropout=0.5, name="LTSM") -> Dense(10, relu) over (1, 512) sentence vectors. Both are
concatenated into ``Dense(1, activation='softmax', name='output_layer')`` and compiled as in the
post: binary crossentropy, adam, accuracy. The memes (synthetic, 47% sexist) carry the label in
both modalities, so a correct head learns it (good.py).

What the training log shows: accuracy and validation accuracy frozen at the share of positives,
epoch after epoch, as in the post. tf_keras 2.x computes binary crossentropy on a softmax output
from the cached pre-softmax logit through a sigmoid, so -- unlike the standalone Keras 2 of the
post, whose loss sat at ~8 -- the loss falls while accuracy never moves.
"""

import numpy as np

IMAGE_SIZE = 16
EPOCHS = 8


def make_memes(n, rng):
    """Images whose red channel and sentence vectors whose first 32 dimensions carry the label."""
    y = (rng.random(n) < 0.47).astype("float32")
    sign = 2.0 * y - 1.0
    images = rng.random((n, IMAGE_SIZE, IMAGE_SIZE, 3))
    images[..., 0] += 0.08 * sign[:, None, None]
    text = rng.normal(size=(n, 1, 512))
    text[:, 0, :32] += 0.15 * sign[:, None]
    return [images.astype("float32"), text.astype("float32")], y


def build(keras):
    layers, models, regularizers = keras.layers, keras.models, keras.regularizers

    # CNN: a small frozen convolutional base in place of VGG16, then the post's head
    input_tensor = layers.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 3))
    x = layers.Conv2D(8, 3, activation="relu", padding="same", trainable=False)(input_tensor)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(256, activation="relu", kernel_regularizer=regularizers.l2(1e-5))(x)
    x = layers.Dropout(0.5)(x)
    x = layers.Dense(64, activation="relu", kernel_regularizer=regularizers.l2(1e-5))(x)
    vgg_model = models.Model(input_tensor, x)

    # LSTM
    input_text = layers.Input(shape=(1, 512))
    x = layers.LSTM(32, dropout=0.5, name="LTSM")(input_text)
    x = layers.Dense(10, kernel_initializer="normal", activation="relu")(x)
    text_model = models.Model(input_text, x)

    # MERGED
    x = layers.concatenate([vgg_model.output, text_model.output])
    out = layers.Dense(1, activation="softmax", name="output_layer")(x)
    merged_model = models.Model([vgg_model.input, text_model.input], out)
    merged_model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return merged_model


def train(keras, callbacks=None):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x_train, y_train = make_memes(192, rng)
    x_val, y_val = make_memes(64, rng)
    model = build(keras)
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=EPOCHS, batch_size=16,
                        verbose=0, callbacks=callbacks or [])
    return model, history.history
