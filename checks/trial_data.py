"""Training data for the casebook's fix trials: an image (8x8x3) and a text (4x6) input that both
carry the label as a mean shift of ``signal`` standard deviations, with seeds fixed.

The bad cases' ``trial_data()`` functions call these (``tests/test_trial_casebook.py`` runs them).
"""

import numpy as np


def binary(n=256, seed=0, signal=0.5):
    """Binary labels (float 0/1): image channel 0 and the first two text features shift with the label."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    sign = (2 * y - 1).astype("float32")
    image = rng.normal(size=(n, 8, 8, 3)).astype("float32")
    image[..., 0] += signal * sign[:, None, None]
    text = rng.normal(size=(n, 4, 6)).astype("float32")
    text[..., :2] += signal * sign[:, None, None]
    return {"image": image, "text": text}, y.astype("float32")


def multiclass(classes, n=256, seed=0, signal=0.6):
    """Integer labels 0..classes-1: each class shifts one image channel and one text feature."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    image = rng.normal(size=(n, 8, 8, 3)).astype("float32")
    text = rng.normal(size=(n, 4, 6)).astype("float32")
    for c in range(classes):
        image[y == c, :, :, c % 3] += signal * (1 if c < 3 else -1)
        text[y == c, :, c % 6] += signal
    return {"image": image, "text": text}, y
