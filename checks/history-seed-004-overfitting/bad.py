"""Seed 004 (GIF sentiment), scaled down and trained: a C3D-like 3D CNN overfitting a few clips.

The shape of ``checks/seed-004-gif-c3d/bad.py`` at a size that trains in seconds: frozen Conv3D
feature layers (conv1, pool1, conv2, pool2), Flatten, two wide dense layers fc6 / fc7 with
Dropout(0.5) -- 1.3 million trainable parameters -- and ``Dense(2, activation='softmax',
name='nfc8')``, compiled as in the post with Adam, binary crossentropy and accuracy. It is
fitted on 32 short synthetic clips (4 frames of 8x8: a static scene per GIF, as in most GIFs,
whose colour tone hints faintly at the sentiment) for 14 epochs, with no early stopping. The
learning rate is 1e-3 instead of the post's 1e-4, so that what took the post many epochs over
3,500 clips happens within 14 short ones.

What the training log shows, as in the post: the validation loss improves for a few epochs and
then climbs while the training loss keeps falling -- the dense layers memorize the 32 scenes.
"""

import numpy as np

FRAMES, SIZE = 4, 8
EPOCHS = 14


def make_clips(n, rng):
    """Static scenes (blocky noise repeated over frames, plus pixel noise); the red channel leans
    towards the sentiment. One-hot labels for the two-unit head."""
    y = rng.integers(0, 2, n)
    scene = rng.normal(size=(n, 1, SIZE // 2, SIZE // 2, 3)).repeat(2, axis=2).repeat(2, axis=3)
    clips = scene.repeat(FRAMES, axis=1) + 0.3 * rng.normal(size=(n, FRAMES, SIZE, SIZE, 3))
    clips[..., 0] += 0.15 * (2 * y - 1)[:, None, None, None]
    return clips.astype("float32"), np.eye(2, dtype="float32")[y]


def build(keras, loss):
    layers = keras.layers
    conv = dict(kernel_size=(3, 3, 3), activation="relu", padding="same")
    model = keras.Sequential([
        keras.Input(shape=(FRAMES, SIZE, SIZE, 3)),
        layers.Conv3D(16, name="conv1", **conv),
        layers.MaxPooling3D(pool_size=(1, 2, 2), name="pool1"),
        layers.Conv3D(32, name="conv2", **conv),
        layers.MaxPooling3D(pool_size=(2, 2, 2), name="pool2"),
        layers.Flatten(name="flatten_1"),
        layers.Dense(1024, activation="relu", name="fc6"),
        layers.Dropout(0.5, name="dropout_1"),
        layers.Dense(1024, activation="relu", name="fc7"),
        layers.Dropout(0.5, name="dropout_2"),
        layers.Dense(2, activation="softmax", name="nfc8"),
    ], name="c3d_sentiment")
    for layer in model.layers[:4]:  # freeze the convolutional feature extractor
        layer.trainable = False
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss=loss, metrics=["accuracy"])
    return model


def train(keras, callbacks=None):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x_train, y_train = make_clips(32, rng)
    x_val, y_val = make_clips(128, rng)
    model = build(keras, "binary_crossentropy")
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=EPOCHS, batch_size=8,
                        verbose=0, callbacks=callbacks or [])
    return model, history.history
