"""The issue's story for the sequential design: a fusion model whose frozen image projection is 100x
louder than its caption branch. Both modalities carry the label; the loud branch swamps the merge,
so the baseline trains to a noisy, poor score, and normalizing each branch before the merge (FD501's
fix) gives a real gain that a fixed three-seed rule missed. The trial must confirm it, with its
interval above zero; the healthy twin (branches at the same scale) gets no fix to confirm."""

from __future__ import annotations

import numpy as np
import pytest

import fusiondoctor
from fusiondoctor.types import Verdict

pytestmark = [pytest.mark.live, pytest.mark.slow]

LOUDNESS = 100.0


def fusion(keras, loudness: float):
    keras.utils.set_random_seed(0)
    layers = keras.layers
    image = keras.Input((32,), name="image_embedding")
    x = layers.Dense(8, activation="relu", trainable=False, name="image_features")(image)
    text = keras.Input((16,), name="text")
    t = layers.Dense(8, activation="relu", name="text_features")(text)
    fused = layers.concatenate([x, t], name="fusion")
    model = keras.Model([image, text], layers.Dense(1, activation="sigmoid", name="label")(fused))
    projection = model.get_layer("image_features")
    projection.set_weights([w * loudness for w in projection.get_weights()])  # a pretrained, frozen scale
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def captioned_images(n: int = 512, seed: int = 0):
    """Image embeddings with a weak label signal, captions with a stronger one."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n).astype("float32")
    sign = (2 * y - 1)[:, None]
    image = rng.normal(size=(n, 32)).astype("float32")
    image[:, :4] += 0.3 * sign
    text = rng.normal(size=(n, 16)).astype("float32")
    text[:, :4] += 0.8 * sign
    return [image, text], y


def test_normalizing_a_100x_louder_branch_is_confirmed(fresh):
    result = fusiondoctor.confirm(fusion(fresh, LOUDNESS), captioned_images(), progress=False)
    assert any(f.code == "FD501" and f.location.layer == "fusion" for f in result.report.findings)
    trial = next(t for t in result.report.trials if t.code == "FD501")
    assert trial.verdict is Verdict.CONFIRMED, trial
    assert trial.interval[0] > 0 and trial.gain >= 0.01 and trial.seeds >= 3


def test_branches_at_the_same_scale_get_no_fix_to_confirm(fresh):
    result = fusiondoctor.confirm(fusion(fresh, 1.0), captioned_images(), progress=False)
    assert not any(f.code == "FD501" for f in result.report.findings)
    assert not any(t.verdict is Verdict.CONFIRMED for t in result.report.trials)
