"""Seed 003 with data (speech sentiment, capstone496/SpeechSentiments#14): grayscale spectrograms
tiled to three channels by ``Concatenate()([img, img, img])`` into an ImageNet-style backbone
whose BatchNormalization statistics come from colour photos, fused with an audio LSTM.

A small version of the story that runs in seconds: MobileNet (alpha 0.25, 32x32) stands in for
InceptionV3 (299x299), built with ``weights=None`` (no downloads). Two things stand in for
ImageNet pretraining:

* the first convolution gets the two kinds of filters ImageNet training gives first layers
  (Krizhevsky et al. 2012): half of them luminance filters (the same weights on R, G and B), half
  colour-opponent filters (weights summing to zero over R, G and B at every position);
* the BatchNormalization statistics are then estimated on synthetic colour photos in [-1, 1]
  (one pass in training mode with momentum 0).

The backbone is frozen, as the story's answer recommends, with include_top=False and average
pooling: the static findings of the full-size story (FD102, FD104, FD207) are fixed here, and
the one problem left is the one only data can show.

Ground truth: the spectrograms are correctly scaled to [-1, 1] (what ``preprocess_input`` gives,
so no FD503), but three identical channels make every colour-opponent filter output exactly
zero, and a dark spectrogram with bright harmonic bands has other means and variances than a
photo: the first BatchNormalization layers divide by variances their inputs no longer have
(FD502). The probe data has no labels: with ``weights=None`` the backbone's deep features are
random, so a trained head, its accuracy and the ablations would say nothing about the story;
the BatchNormalization statistics need no labels.
"""

import numpy as np

N_PROBE = 256
SPEC, RGB = (32, 32, 1), (32, 32, 3)
FRAMES, MFCC = 16, 8
AROUSAL, VALENCE = 3, 2
CLASSES = AROUSAL * VALENCE


def photos(rng, n):
    """Colour photos in [-1, 1]: smooth fields whose colour channels vary independently around a
    shared brightness, plus a little texture."""
    coarse = rng.normal(size=(n, 4, 4, 3)) + 0.3 * rng.normal(size=(n, 1, 1, 1))
    fields = coarse.repeat(RGB[0] // 4, axis=1).repeat(RGB[1] // 4, axis=2)
    return np.tanh(0.7 * fields + 0.2 * rng.normal(size=(n, *RGB))).astype("float32")


def speech_inputs(n, seed):
    """Spectrograms in [-1, 1] (an arousal level, 0-2, sets the overall energy and the number of
    bright harmonic bands, 1-3 at random frequencies, on a dark noisy background) and MFCC
    sequences (one of two valence patterns plus noise)."""
    rng = np.random.default_rng(seed)
    arousal, valence = rng.integers(0, AROUSAL, size=n), rng.integers(0, VALENCE, size=n)
    spec = -0.8 + 0.2 * arousal[:, None, None, None] + 0.15 * rng.normal(size=(n, *SPEC))
    for i in range(n):
        rows = rng.choice(SPEC[0] - 2, size=arousal[i] + 1, replace=False) + 1
        for row in rows:
            spec[i, row - 1: row + 2, :, 0] += np.array([0.6, 1.2, 0.6])[:, None] * (0.6 + 0.4 * rng.random(SPEC[1]))
    patterns = np.random.default_rng(100).normal(size=(VALENCE, MFCC))
    audio = rng.normal(size=(n, FRAMES, MFCC)) + 0.7 * patterns[valence][:, None, :]
    return [np.clip(spec, -1, 1).astype("float32"), audio.astype("float32")]


def imagenet_like_first_layer(backbone):
    """Half luminance, half colour-opponent filters in the first convolution."""
    conv = backbone.get_layer("conv1")
    kernel = conv.get_weights()[0]  # (3, 3, 3 channels, filters)
    half = kernel.shape[-1] // 2
    kernel[..., :half] = kernel[..., :half].mean(axis=2, keepdims=True)
    kernel[..., half:] -= kernel[..., half:].mean(axis=2, keepdims=True)
    conv.set_weights([kernel])


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
    img_input = layers.Input(shape=SPEC, name="spectrogram")
    img_conc = layers.Concatenate(name="tile_to_rgb")([img_input, img_input, img_input])
    features = backbone(img_conc, training=False)
    cnn_out = layers.Dense(CLASSES, activation="softmax", name="spectrogram_probs")(features)
    audio_input = layers.Input(shape=(FRAMES, MFCC), name="audio")
    a = layers.LSTM(16)(audio_input)
    lstm_out = layers.Dense(CLASSES, activation="softmax", name="audio_probs")(a)
    fused = layers.concatenate([cnn_out, lstm_out], name="decision_inputs")
    output = layers.Dense(CLASSES, activation="softmax", name="decision")(fused)
    model = keras.Model(inputs=[img_input, audio_input], outputs=output)
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.RMSprop(3e-3), metrics=["accuracy"])
    return model


def pretrained_backbone(keras):
    backbone = keras.applications.MobileNet(input_shape=RGB, alpha=0.25, include_top=False, weights=None,
                                            pooling="avg")
    imagenet_like_first_layer(backbone)
    calibrate_batchnorm(keras, backbone, photos(np.random.default_rng(0), 256))
    return backbone


def make(keras):
    keras.utils.set_random_seed(0)
    backbone = pretrained_backbone(keras)
    backbone.trainable = False
    model = build(keras, backbone)
    return model, (speech_inputs(N_PROBE, seed=2), None)
