"""Data flows one way: measurements are taken before the engine, the engine and the renderers only
read the record. A diagnosis replays from a pickled subject in a process where Keras cannot load;
only the measurements the selected rules declare are taken; a measurement that fails is a skip
(the diagnosis is incomplete: exit code 2), never a rule crash."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import numpy as np
import pytest

import fusiondoctor
from fusiondoctor import registry
from fusiondoctor.config import Settings
from fusiondoctor.engine import Subject, diagnose
from fusiondoctor.measurements import MEASUREMENTS
from fusiondoctor.render import RENDERERS, render
from fusiondoctor.subject import make_probes, make_subject
from fusiondoctor.types import Severity
from tests.helpers import HEAVY_MODULES

BLOCKED = tuple(m for m in HEAVY_MODULES if m != "matplotlib")  # plots may draw; nothing may run a model

REPLAY = """
import json, pickle, sys

class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError("blocked: " + name)
        return None

sys.meta_path.insert(0, Blocked())
from fusiondoctor.engine import Subject, diagnose
from fusiondoctor.render import RENDERERS, figures, plots, render

with open({path!r}, "rb") as handle:
    subject = pickle.load(handle)
report = diagnose(subject)
texts = {{fmt: render(report, fmt) for fmt in RENDERERS}}
images = {{name: plots.figure_bytes(draw()) for name, draw in figures.figures_for(subject, report).items()}}
print(json.dumps({{"codes": report.codes(), "formats": sorted(texts), "figures": sorted(images),
                  "png": all(data.startswith(b"\\x89PNG") for data in images.values())}}))
"""


def _fusion(keras, image_scale: float = 1.0):
    """image (6x6x1) + text (5,) -> concatenate -> sigmoid; the image branch can be made loud."""
    layers = keras.layers
    image = keras.Input((6, 6, 1), name="image")
    x = layers.Dense(6, activation="relu", name="image_features")(layers.Flatten()(image))
    text = keras.Input((5,), name="text")
    t = layers.Dense(6, activation="tanh", name="text_features")(text)
    fused = layers.concatenate([x, t], name="fusion")
    model = keras.Model([image, text], layers.Dense(1, activation="sigmoid", name="label")(fused))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    kernel, bias = model.get_layer("image_features").get_weights()
    model.get_layer("image_features").set_weights([kernel * image_scale, bias])
    return model


def _data(n: int = 96, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n).astype("float32")
    image = rng.normal(size=(n, 6, 6, 1)).astype("float32") + y[:, None, None, None]
    text = rng.normal(size=(n, 5)).astype("float32")
    return [image, text], y


@pytest.mark.live
def test_diagnosis_replays_from_a_record_without_keras(fresh, tmp_path):
    model = _fusion(fresh, image_scale=100.0)  # a branch 100x louder: FD501 from the record
    subject = make_subject(model, data=_data(), name="replayed")
    here = diagnose(subject, Settings())
    assert "FD501" in here.codes(), here.codes()
    path = tmp_path / "subject.pickle"
    path.write_bytes(pickle.dumps(subject))
    code = REPLAY.format(blocked=set(BLOCKED), path=str(path))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    replay = json.loads(proc.stdout.strip().splitlines()[-1])
    assert replay["codes"] == here.codes()
    assert replay["formats"] == sorted(RENDERERS)
    assert {"branch_scales", "modality_contribution"} <= set(replay["figures"]) and replay["png"], replay


@pytest.mark.live
def test_only_the_selected_rules_measurements_are_taken(fresh):
    report = fusiondoctor.check(_fusion(fresh), data=_data(), select=["FD504"], settings=Settings())
    record = report.inputs[0].measurements
    assert record.measured == {"labels"}, record.measured
    assert record.ablation is None and record.merge_scales is None
    every = fusiondoctor.check(_fusion(fresh), data=_data(), select=["FD5"], settings=Settings()).inputs[0]
    assert every.measurements.measured == set(MEASUREMENTS)


@pytest.mark.live
def test_a_failed_measurement_skips_its_rules_and_marks_the_diagnosis_incomplete(fresh):
    from fusiondoctor.probes.measure import measure
    from fusiondoctor.probes.probes import Probes

    class Broken(Probes):
        @property
        def merge_scales(self):
            raise RuntimeError("no such tensor")

    model = _fusion(fresh)
    spec = fusiondoctor.load_model_spec(model)
    probes = make_probes(model, spec, _data())
    probes.__class__ = Broken
    record = measure(probes, ("merge_scales", "labels"))
    assert record.measured == {"labels"} and record.failed == {"merge_scales": "RuntimeError: no such tensor"}
    subject = Subject("broken", model=spec, measurements=record)
    report = diagnose(subject, Settings(), [registry.get("FD501"), registry.get("FD504")])
    assert not report.errors, "no rule crashed"
    (skipped,) = report.skipped
    assert skipped.code == "FD501" and skipped.failed == ("merge_scales: RuntimeError: no such tensor",)
    assert report.incomplete and report.exit_code(Severity.ERROR) == 2
    assert "FD501 fusion-branch-scale could not run: measuring merge_scales: RuntimeError" in render(report, "text")
    assert json.loads(render(report, "json"))["summary"]["incomplete"] is True


def test_measurements_are_declared_and_known():
    data_rules = [r for r in registry.all_rules() if "measurements" in r.needs]
    assert data_rules and all(r.measures and set(r.measures) <= set(MEASUREMENTS) for r in data_rules)
    # a rule that may read measurements (FD211, FD302, FD311) declares them too, to have them taken
    optional = [r for r in registry.all_rules() if "measurements" in r.optional]
    assert all(r.measures and set(r.measures) <= set(MEASUREMENTS) for r in optional)
    assert all(not r.measures for r in registry.all_rules() if "measurements" not in r.needs + r.optional)

    def reads(measurements):
        yield from ()

    def ignores(model):
        yield from ()

    with pytest.raises(TypeError, match="declares none"):
        registry.rule("FD997", "test-undeclared", Severity.INFO)(reads)
    with pytest.raises(TypeError, match="unknown measurements"):
        registry.rule("FD998", "test-unknown", Severity.INFO, measures=("weights",))(reads)
    with pytest.raises(TypeError, match="does not take measurements"):
        registry.rule("FD999", "test-unused", Severity.INFO, measures=("labels",))(ignores)
    assert not {"FD997", "FD998", "FD999"} & {r.code for r in registry.all_rules()}
