"""The loss-gradient adapters behind the live monitors, on every backend CI runs (TensorFlow, JAX,
PyTorch): the gradient of a tiny linear model's mean squared error equals the one worked out by hand,
in inference mode, without touching the model's weights or its optimizer."""

from __future__ import annotations

import numpy as np
import pytest

from fusiondoctor.live import gradients
from fusiondoctor.live.monitor import Monitor
from fusiondoctor.subject import load_model_spec
from tests.helpers import tiny_fusion

pytestmark = pytest.mark.live


def test_mse_gradient_of_a_linear_model_matches_the_hand_worked_one(fresh):
    keras = fresh
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(1, name="linear")(inputs))
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    w, b = rng.normal(size=(3, 1)).astype("float32"), np.array([0.5], "float32")
    model.get_layer("linear").set_weights([w, b])
    x, y = rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 1)).astype("float32")
    grads = gradients.loss_gradients(model, x, y)
    assert grads is not None, f"no gradient adapter on {keras.backend.backend()}"
    residual = x @ w + b - y
    np.testing.assert_allclose(grads[0], 2 * x.T @ residual / len(x), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(grads[1], 2 * residual.mean(axis=0), rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(model.get_layer("linear").get_weights()[0], w), "the weights did not move"


def test_monitor_reads_branch_gradients_on_this_backend(fresh):
    model = tiny_fusion(fresh, head_activation="sigmoid")
    rng = np.random.default_rng(1)
    x = [rng.normal(size=(16, 8, 8, 3)).astype("float32"), rng.normal(size=(16, 1, 12)).astype("float32")]
    y = rng.integers(0, 2, (16, 1)).astype("float32")
    monitor = Monitor(load_model_spec(model))
    monitor.start(model)
    readings = monitor.read(model, epoch=0, probe=(x, y))
    assert readings.gradients_available is True and readings.global_grad_norm > 0
    (branches,) = readings.branch_grads.values()
    assert len(branches) == 2 and all(value > 0 for value in branches.values()), branches
