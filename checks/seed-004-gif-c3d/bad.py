"""Seed 004 (GIF sentiment): the C3D 3D-CNN exactly as the model summary in the post.

16 frames of 112 x 112 RGB -> conv1 (64) -> pool1 (1x2x2) -> conv2 (128) -> pool2 -> conv3a/b (256)
-> pool3 -> conv4a/b (512) -> pool4 -> conv5a/b (512) -> zeropad5 -> pool5 -> Flatten (8,192) ->
fc6 (4096) -> dropout -> fc7 (4096) -> dropout -> nfc8 Dense(2, softmax): 78,003,970 parameters,
the total the post prints. The first 14 layers (conv1 .. pool5, the feature extractor) are frozen
as in ``train_c3d.py``; compiled with ``Adam(learning_rate=1e-4)`` (the post's ``lr=0.0001``),
binary crossentropy and ['accuracy']. The Sport1M weights are not loaded (no downloads).

What fusiondoctor must say (case.toml):

* FD203 at ``nfc8``, as a WARNING: binary crossentropy on a 2-unit softmax. With one-hot labels of
  two classes the two losses coincide up to a factor, so training still works -- which is why this
  is a warning, not an error -- but the loss does not match the head, and the answer's fix is
  categorical_crossentropy (or one sigmoid unit).

Nothing else: C3D is not a keras.applications backbone (no FD104/FD207), and there is no merge.
The post's real trouble, overfitting 50M trainable dense parameters on 3,500 clips, needs the
training history and the dataset size, which a static check does not have.
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

    for layer in model.layers[:14]:  # freeze top layers as feature extractor
        layer.trainable = False
    for layer in model.layers[14:]:  # fine tune final layers
        layer.trainable = True

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.0001), loss="binary_crossentropy", metrics=["accuracy"]
    )
    return model

