"""The head of bad.py given ten times more clips: 320, about 4,100 trainable dense parameters per clip.

As in ``checks/history-seed-004-overfitting/good.py``: the post's own learning rate (1e-4), and 8
epochs in batches of 16. With ten times more scenes to tell apart the dense layers cannot simply
store them: the validation loss falls with the training loss.
"""

import numpy as np

FRAMES, SIZE = 4, 8


def make_clips(n, rng):
    """Static scenes (blocky noise repeated over frames, plus pixel noise); the red channel leans
    towards the sentiment. One-hot labels for the two-unit head."""
    y = rng.integers(0, 2, n)
    scene = rng.normal(size=(n, 1, SIZE // 2, SIZE // 2, 3)).repeat(2, axis=2).repeat(2, axis=3)
    clips = scene.repeat(FRAMES, axis=1) + 0.3 * rng.normal(size=(n, FRAMES, SIZE, SIZE, 3))
    clips[..., 0] += 0.15 * (2 * y - 1)[:, None, None, None]
    return clips.astype("float32"), np.eye(2, dtype="float32")[y]


def build(keras, loss, learning_rate):
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
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss=loss, metrics=["accuracy"])
    return model


def train(keras, callbacks=None):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x_train, y_train = make_clips(320, rng)
    x_val, y_val = make_clips(128, rng)
    model = build(keras, "categorical_crossentropy", learning_rate=1e-4)
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=8, batch_size=16,
                        verbose=0, callbacks=callbacks or [])
    return model, history.history
