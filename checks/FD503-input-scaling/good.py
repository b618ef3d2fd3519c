"""Product classifier (photo + sketch + caption) that scales its 0-255 pixels inside the model.

Ground truth: the same raw 0-255 pixels and token ids as bad.py, but the model rescales each image
input right after it, the way FD503's fix says: ``Rescaling(1 / 127.5, offset=-1)`` gives the
MobileNet backbone the [-1, 1] it expects (what ``mobilenet.preprocess_input`` computes, and what
its BatchNormalization statistics were estimated on), and ``Rescaling(1 / 255)`` gives the sketch
CNN [0, 1]. Token ids go into an Embedding, as ids should.
"""

import numpy as np

N_PROBE = 256
PHOTO, SKETCH = (32, 32, 3), (16, 16, 1)
TOKENS, VOCABULARY = 12, 500


def natural_images(rng, n, shape):
    """Smooth colour fields with a little texture, in [-1, 1]: coarse 4x4 noise upsampled to shape."""
    height, width, channels = shape
    coarse = rng.normal(size=(n, 4, 4, channels)) + rng.normal(size=(n, 1, 1, 1))  # shared brightness
    fields = coarse.repeat(height // 4, axis=1).repeat(width // 4, axis=2)
    return np.tanh(0.7 * fields + 0.2 * rng.normal(size=(n, *shape))).astype("float32")


def calibrate_batchnorm(keras, model, images):
    """Set every BatchNormalization layer's moving statistics to those of ``images`` (one forward
    pass in training mode with momentum 0), the way pretraining would have left them."""
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    momenta = [layer.momentum for layer in norms]
    for layer in norms:
        layer.momentum = 0.0
    model(images, training=True)
    for layer, momentum in zip(norms, momenta):
        layer.momentum = momentum


def build(keras, backbone):
    layers = keras.layers
    photo = keras.Input(PHOTO, name="photo")
    p = layers.Rescaling(1 / 127.5, offset=-1, name="photo_scale")(photo)
    p = backbone(p, training=False)
    p = layers.Dense(16, activation="relu", name="photo_features")(p)
    p = layers.LayerNormalization(name="photo_norm")(p)
    sketch = keras.Input(SKETCH, name="sketch")
    s = layers.Rescaling(1 / 255, name="sketch_scale")(sketch)
    s = layers.Conv2D(8, 3, activation="relu", name="sketch_conv")(s)
    s = layers.GlobalAveragePooling2D()(s)
    s = layers.Dense(16, activation="relu", name="sketch_features")(s)
    s = layers.LayerNormalization(name="sketch_norm")(s)
    caption = keras.Input((TOKENS,), dtype="int32", name="caption")
    c = layers.Embedding(VOCABULARY, 16, name="caption_embedding")(caption)
    c = layers.GlobalAveragePooling1D()(c)
    c = layers.Dense(16, activation="relu", name="caption_features")(c)
    c = layers.LayerNormalization(name="caption_norm")(c)
    fused = layers.concatenate([p, s, c], name="fusion")
    out = layers.Dense(5, activation="softmax", name="category")(fused)
    model = keras.Model([photo, sketch, caption], out)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def make(keras):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    backbone = keras.applications.MobileNet(input_shape=PHOTO, alpha=0.25, include_top=False, weights=None,
                                            pooling="avg")
    calibrate_batchnorm(keras, backbone, natural_images(rng, 256, PHOTO))
    backbone.trainable = False
    model = build(keras, backbone)
    photo = np.round((natural_images(rng, N_PROBE, PHOTO) + 1.0) * 127.5)  # 0-255 pixels
    sketch = np.round((natural_images(rng, N_PROBE, SKETCH) + 1.0) * 127.5)
    caption = rng.integers(1, VOCABULARY, size=(N_PROBE, TOKENS)).astype("int32")
    return model, ([photo.astype("float32"), sketch.astype("float32"), caption], None)
