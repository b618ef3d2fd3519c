"""Patch kinds whose values are lists (metric swaps, the BatchNormalization layers to freeze) reach the
trials: ``fix`` crashed on them (``TypeError: unhashable type: 'list'`` while de-duplicating patches).

A metric swap changes nothing the trial's score measures (the held-out score is fusiondoctor's own,
not a compiled metric) nor how the model trains: it is "not confirmed" without training, its finding
gone from the patched compile settings (see the casebook's FD209/FD210/FD213/FD214 tables).
"""

from __future__ import annotations

import numpy as np
import pytest

import fusiondoctor
from fusiondoctor import Finding, Fix, Location, PatchOp, Severity
from fusiondoctor.trials import runner as runner_module
from fusiondoctor.trials.confirm import _patchable
from fusiondoctor.types import Verdict


def _finding(code, *ops):
    return Finding(code, "test", Severity.WARNING, "made by the test", Location(output="out"), {},
                   Fix("a fix", "", tuple(ops)), "<test>")


def test_list_valued_patches_are_deduplicated_not_crashed_on():
    swap = (PatchOp("metrics", "out", "remove", ["accuracy"]), PatchOp("metrics", "out", "add", ["mae"]))
    freeze = PatchOp("graph", None, "freeze_batchnorm", ["backbone/bn_1", "backbone/bn_2"])
    findings = [_finding("FD209", *swap), _finding("FD209", *swap), _finding("FD104", freeze),
                _finding("FD210", PatchOp("metrics", "out", "add", ["accuracy"]))]
    assert [f.code for f in _patchable(findings)] == ["FD209", "FD104", "FD210"]


@pytest.mark.live
def test_a_metric_swap_is_not_trained_and_not_confirmed(keras, monkeypatch):
    """FD209 (accuracy on a regression): the swap to mae would train like the baseline, seed for seed."""
    monkeypatch.setattr(runner_module, "MIN_STEPS", 20)
    layers = keras.layers
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,), name="features")
    out = layers.Dense(1, name="price")(layers.Dense(8, activation="relu")(inputs))
    model = keras.Model(inputs, out)
    model.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 6)).astype("float32")
    y = (x[:, 0] + 0.1 * rng.normal(size=128)).astype("float32")
    result = fusiondoctor.confirm(model, (x, y), select=["FD209"], epochs=1, seeds=3, progress=False)
    (trial,) = result.trials
    assert trial.code == "FD209" and trial.patch[0].target == "metrics"
    assert trial.verdict is Verdict.NOT_CONFIRMED and trial.finding_gone is True
    assert trial.runs == [] and "only the metrics" in trial.note
    assert result.report.trials[0].verdict is Verdict.NOT_CONFIRMED
