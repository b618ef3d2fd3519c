"""Camera-trap classifier (image + sensor metadata) whose BatchNormalization statistics were learned
on daytime photos, probed with night-time infrared frames.

Ground truth: the model is trained on daytime images (pixels around 0.5 with contrast 0.2), so the
BatchNormalization layer after the first convolution learns those moving statistics. The probe
data are night frames from the same scenes -- dark (around 0.1) and flat (contrast 0.05): the
convolution outputs' variance is 16x smaller and their means shift, while the layer keeps
normalizing with the daytime statistics. The metadata branch has no BatchNormalization, and both
branches are layer-normalized before the merge (so the shift does not show up as a branch-scale
problem at the merge, FD501).

The probe data has no labels: BatchNormalization statistics need none.
"""

import numpy as np

N_TRAIN, N_PROBE = 512, 256
IMAGE, META = (12, 12, 3), 8
DAY, NIGHT = (0.5, 0.2), (0.1, 0.05)  # (brightness, contrast)


def make_data(n, seed, brightness, contrast):
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % 2)
    sign = (2.0 * y - 1.0)
    # the animal (class 1) brightens the image centre a little; the metadata carries the label too
    image = brightness + contrast * rng.normal(size=(n, *IMAGE))
    image[:, 4:8, 4:8, :] += 0.5 * contrast * sign[:, None, None, None]
    meta = rng.normal(size=(n, META))
    meta[:, :2] += 0.8 * sign[:, None]
    return [image.astype("float32"), meta.astype("float32")], y.astype("float32")


def build(keras):
    layers = keras.layers
    image = keras.Input(IMAGE, name="image")
    x = layers.Conv2D(8, 3, use_bias=False, name="conv")(image)
    x = layers.BatchNormalization(momentum=0.9, name="conv_bn")(x)
    x = layers.ReLU()(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(8, activation="relu", name="image_features")(x)
    x = layers.LayerNormalization(name="image_norm")(x)
    meta = keras.Input((META,), name="metadata")
    m = layers.Dense(8, activation="relu", name="metadata_features")(meta)
    m = layers.LayerNormalization(name="metadata_norm")(m)
    fused = layers.concatenate([x, m], name="fusion")
    out = layers.Dense(1, activation="sigmoid", name="animal")(fused)
    model = keras.Model([image, meta], out)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def make(keras):
    keras.utils.set_random_seed(0)
    model = build(keras)
    x, y = make_data(N_TRAIN, seed=1, brightness=DAY[0], contrast=DAY[1])
    model.fit(x, y, epochs=6, batch_size=32, verbose=0)
    probe, _ = make_data(N_PROBE, seed=2, brightness=NIGHT[0], contrast=NIGHT[1])
    return model, (probe, None)
