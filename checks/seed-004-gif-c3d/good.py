"""Seed 004, corrected: the C3D model of bad.py trained with categorical crossentropy, the loss that
matches a 2-unit softmax head with one-hot labels ``[1, 0]`` / ``[0, 1]`` (the accepted answer).

Architecture, freezing and optimizer as in bad.py. Expected: no findings.
"""

FRAMES, SIZE, CHANNELS = 16, 112, 3


def build(keras):
    layers = keras.layers
    conv = dict(kernel_size=(3, 3, 3), activation="relu", padding="same", strides=(1, 1, 1))
    model = keras.Sequential([
        keras.Input(shape=(FRAMES, SIZE, SIZE, CHANNELS)),
        layers.Conv3D(64, name="conv1", **conv),
        layers.MaxPooling3D(pool_size=(1, 2, 2), strides=(1, 2, 2), padding="valid", name="pool1"),
        layers.Conv3D(128, name="conv2", **conv),
        layers.MaxPooling3D(pool_size=(2, 2, 2), strides=(2, 2, 2), padding="valid", name="pool2"),
        layers.Conv3D(256, name="conv3a", **conv),
        layers.Conv3D(256, name="conv3b", **conv),
        layers.MaxPooling3D(pool_size=(2, 2, 2), strides=(2, 2, 2), padding="valid", name="pool3"),
        layers.Conv3D(512, name="conv4a", **conv),
        layers.Conv3D(512, name="conv4b", **conv),
        layers.MaxPooling3D(pool_size=(2, 2, 2), strides=(2, 2, 2), padding="valid", name="pool4"),
        layers.Conv3D(512, name="conv5a", **conv),
        layers.Conv3D(512, name="conv5b", **conv),
        layers.ZeroPadding3D(padding=(0, 1, 1), name="zeropad5"),
        layers.MaxPooling3D(pool_size=(2, 2, 2), strides=(2, 2, 2), padding="valid", name="pool5"),
        layers.Flatten(name="flatten_1"),
        layers.Dense(4096, activation="relu", name="fc6"),
        layers.Dropout(0.5, name="dropout_1"),
        layers.Dense(4096, activation="relu", name="fc7"),
        layers.Dropout(0.5, name="dropout_2"),
        layers.Dense(2, activation="softmax", name="nfc8"),
    ], name="c3d_sentiment")

    for layer in model.layers[:14]:
        layer.trainable = False
    for layer in model.layers[14:]:
        layer.trainable = True

    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.0001), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model
