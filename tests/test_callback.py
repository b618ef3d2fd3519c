"""DoctorCallback during a real fit: reports before the first epoch, stops with the cause, stays
quiet on healthy models, sees BatchNorm drift, writes its report. Runs on TensorFlow, JAX and PyTorch."""

from __future__ import annotations

import json

import numpy as np
import pytest

import fusiondoctor
from tests.helpers import tiny_fusion

pytestmark = pytest.mark.live


@pytest.fixture(autouse=True)
def _seeded(keras3):
    keras3.utils.set_random_seed(0)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    y = (rng.random(160) < 0.5).astype("float32")
    image = rng.normal(size=(160, 8, 8, 3)).astype("float32")
    image[:, :4, :, 0] += y[:, None, None] * 1.5
    text = rng.normal(size=(160, 1, 12)).astype("float32")
    text[:, 0, :3] += y[:, None]
    return [image, text], y


def test_softmax_over_one_unit_is_reported_before_training_and_stops_it(keras3, data, capsys):
    x, y = data
    callback = fusiondoctor.DoctorCallback(action="stop")
    history = tiny_fusion(keras3).fit(x, y, epochs=10, verbose=0, callbacks=[callback])
    assert len(history.history["loss"]) <= 2  # stopped at epoch 0 or 1
    assert callback.stopped_by_doctor
    codes = [f.code for f in callback.report.findings]
    assert codes[0] == "FD101" and callback.report.findings[0].location.layer == "output_layer"
    out = capsys.readouterr().out
    assert "FD101 softmax-single-unit [error] at layer 'output_layer'" in out and 'activation="sigmoid"' in out


def test_healthy_model_trains_to_the_end_without_warnings(keras3, data, capsys):
    x, y = data
    callback = fusiondoctor.DoctorCallback(action="stop", probe=(x, y), every=2)
    history = tiny_fusion(keras3, head_activation="sigmoid").fit(x, y, epochs=6, verbose=0, callbacks=[callback])
    assert len(history.history["loss"]) == 6 and not callback.stopped_by_doctor
    serious = [f for f in callback.report.findings if f.severity >= fusiondoctor.Severity.WARNING]
    assert serious == [], [(f.code, f.message) for f in serious]
    assert "fusiondoctor:" not in capsys.readouterr().out


def test_raise_carries_the_report(keras3, data):
    from fusiondoctor.keras_callback import DiagnosisError

    x, y = data
    with pytest.raises(DiagnosisError, match="FD101") as caught:
        tiny_fusion(keras3).fit(x, y, epochs=3, verbose=0, callbacks=[fusiondoctor.DoctorCallback(action="raise")])
    assert caught.value.report.codes() == ["FD101"]


def test_history_rules_run_on_the_callbacks_own_log_buffer(keras3, data, tmp_path):
    x, y = data
    report = tmp_path / "run.json"
    callback = fusiondoctor.DoctorCallback(action="warn", report=str(report), verbose=False)
    tiny_fusion(keras3).fit(x, y, epochs=4, verbose=0, validation_split=0.25, callbacks=[callback])
    codes = {f.code for f in callback.report.findings}
    assert {"FD101", "FD301"} <= codes  # accuracy frozen, seen from the epoch logs
    frozen = [f for f in callback.report.findings if f.code == "FD301"]
    assert all(f.location.metric in ("accuracy", "val_accuracy") for f in frozen)
    written = json.loads(report.read_text())
    assert {f["code"] for f in written["findings"]} == codes
    assert len([f for f in written["findings"] if f["code"] == "FD101"]) == 1  # each finding reported once


def test_pretrained_backbone_batchnorm_drift_is_seen(keras3):
    keras3.utils.set_random_seed(0)
    layers = keras3.layers
    base = keras3.applications.MobileNet(
        weights=None, include_top=False, input_shape=(32, 32, 3), alpha=0.25, pooling="avg"
    )
    rng = np.random.default_rng(1)
    x = rng.normal(loc=2.0, scale=3.0, size=(96, 32, 32, 3)).astype("float32")
    y = (rng.random(96) < 0.5).astype("float32")
    image = keras3.Input((32, 32, 3))
    model = keras3.Model(image, layers.Dense(1, activation="sigmoid")(base(image, training=False)))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    callback = fusiondoctor.DoctorCallback(every=1, verbose=False)
    model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[callback])  # 36 steps: momentum 0.99 moves ~30%
    drift = [f for f in callback.report.findings if f.code == "FD601"]
    assert drift and drift[0].evidence["worst_drift"] > 0.25
    assert "FD104" in {f.code for f in callback.report.findings}  # predicted statically before the first epoch


def test_messages_wait_for_the_epoch_boundary(keras3, data, capsys):
    x, y = data
    tiny_fusion(keras3).fit(x, y, epochs=4, verbose=2, callbacks=[fusiondoctor.DoctorCallback()])
    lines = capsys.readouterr().out.splitlines()
    epoch_lines = [i for i, line in enumerate(lines) if line.startswith("Epoch ")]
    frozen = next(i for i, line in enumerate(lines) if "FD301" in line)
    # the frozen-accuracy message comes between one epoch's summary and the next epoch's header
    assert any(a < frozen < b for a, b in zip(epoch_lines, epoch_lines[1:])) or frozen > epoch_lines[-1]
    assert not any(line.startswith("fusiondoctor:") and "step" in line for line in lines)


def test_no_batch_hooks():
    from fusiondoctor.keras_callback import DoctorCallback

    for hook in ("on_train_batch_begin", "on_train_batch_end", "on_test_batch_end", "on_predict_batch_end"):
        assert hook not in DoctorCallback.__dict__


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="action"):
        fusiondoctor.DoctorCallback(action="panic")
    with pytest.raises(fusiondoctor.ConfigError):
        fusiondoctor.DoctorCallback(select=["FD9"])
