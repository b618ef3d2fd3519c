"""The data half of the casebook: FD5xx rule cases and the seed-003 data story.

Each data case in ``checks/`` (``kind = "data"`` in case.toml) defines ``make(keras)``, which builds
a tiny fusion model, generates synthetic data with a fixed seed and a known ground truth, trains
the model briefly where the rule needs a trained model, and returns ``(model, (x, y))``: the model
and the probe data (``y`` is ``None`` where the case is about inputs only).

For every case and variant the finding codes must equal case.toml's ``expect``, checked three ways:

* (a) the live model with ``fusiondoctor.check(model, data=(x, y))``;
* (b) the model saved as ``.keras`` and the data as ``.npz`` (one array per input, named after the
  input layer, plus ``y`` or ``y_<output>``), through the command line in a real process:
  ``python -m fusiondoctor check m.keras --data d.npz --format json``;
* (c) where case.toml says ``keras2 = true``, the case built with tf_keras and saved as a Keras 2
  ``.h5`` (TensorFlow only; skipped on other backends), checked from the file.

case.toml keys read here beyond tests/casebook.py's, per variant: ``expect_jax`` (the codes on JAX,
where they differ), ``findings``, a list of
``[code, severity, layer or output]`` that must be exactly the findings of each code listed (where
each finding points, not only which rules fired), and ``contains``, ``[code, text]`` pairs: some
finding of that code must say ``text`` (which branch is the loud one, which the best).

The tests that run Keras are marked ``live``: CI runs them on TensorFlow and again with
``KERAS_BACKEND=jax``. Cases marked ``slow`` in case.toml (a keras.applications backbone) are also
marked ``slow``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pytest

import fusiondoctor
from fusiondoctor import Settings, all_rules
from tests.casebook import CHECKS, VARIANTS, Case, cases, tomllib

DATA_CASES = cases(kind="data")
PARAMS = [
    pytest.param(case, variant, id=f"{case.name}-{variant}", marks=[pytest.mark.slow] if case.slow else [])
    for case in DATA_CASES
    for variant in VARIANTS
    if variant in case.expectations
]
KERAS2_PARAMS = [p for p in PARAMS if p.values[0].keras2]
REPO = CHECKS.parent


@dataclass(frozen=True)
class Seen:
    """One finding, as the report object or the JSON report gives it."""

    code: str
    severity: str
    where: str
    message: str


@dataclass(frozen=True)
class Expected:
    codes: list[str]
    findings: list[tuple[str, str, str]]
    contains: list[tuple[str, str]]


def expected(case: Case, variant: str) -> Expected:
    """The expectations of one variant; ``expect_jax`` replaces ``expect`` on JAX where a briefly
    trained model genuinely ends up different (as in the history casebook)."""
    import keras

    with open(case.folder / "case.toml", "rb") as handle:
        table = tomllib.load(handle)[variant]
    codes = (
        table.get("expect_jax", table.get("expect", []))
        if keras.backend.backend() == "jax"
        else table.get("expect", [])
    )
    return Expected(sorted(set(codes)), [tuple(f) for f in table.get("findings", [])],
                    [tuple(c) for c in table.get("contains", [])])


def seen_in_report(report: fusiondoctor.Report) -> list[Seen]:
    crashed = [(e.code, e.exc_type, e.message) for e in report.errors]
    assert not crashed, f"rules crashed: {crashed}"
    return [
        Seen(f.code, f.severity.label, f.location.layer or f.location.output or "", f.message) for f in report.findings
    ]


def seen_in_json(document: dict) -> list[Seen]:
    crashed = [(e.get("code"), e.get("exc_type"), e.get("message")) for e in document.get("errors", [])]
    assert not crashed, f"rules crashed: {crashed}"
    return [
        Seen(f["code"], f["severity"], f["location"].get("layer") or f["location"].get("output") or "", f["message"])
        for f in document["findings"]
    ]


def assert_expected(seen: list[Seen], want: Expected, what: str) -> None:
    details = "\n".join(f"  {s.code} {s.severity} at {s.where!r}: {s.message}" for s in seen)
    found = sorted({s.code for s in seen})
    assert found == want.codes, f"{what}: found {found}, expected {want.codes}\n{details}"
    for code in sorted({f[0] for f in want.findings}):
        actual = sorted((s.code, s.severity, s.where) for s in seen if s.code == code)
        wanted = sorted(f for f in want.findings if f[0] == code)
        assert actual == wanted, f"{what}: {code} findings {actual}, expected {wanted}\n{details}"
    for code, text in want.contains:
        assert any(s.code == code and text in s.message for s in seen), (
            f"{what}: no {code} finding says {text!r}\n{details}"
        )


def npz_arrays(model, x, y) -> dict[str, np.ndarray]:
    """The .npz layout the command line reads: one array per input, named after the input layer,
    plus ``y`` (one output) or ``y_<output>`` (several)."""
    names = [t.name for t in model.inputs]
    arrays = list(x) if isinstance(x, (list, tuple)) else [x]
    assert len(names) == len(arrays), f"the case gives {len(arrays)} arrays for inputs {names}"
    found = {name: np.asarray(a) for name, a in zip(names, arrays)}
    if isinstance(y, dict):
        found.update({f"y_{name}": np.asarray(value) for name, value in y.items()})
    elif y is not None:
        found["y"] = np.asarray(y)
    return found


def start_cli(model_path, data_path) -> subprocess.Popen:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.Popen([sys.executable, "-m", "fusiondoctor", "check", str(model_path), "--data", str(data_path),
                             "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=str(model_path.parent))


# ---- (a) live model and (b) .keras + .npz through the command line -----------------------------


@pytest.mark.live
@pytest.mark.parametrize("case, variant", PARAMS)
def test_data_case(case: Case, variant: str, fresh, tmp_path):
    want = expected(case, variant)
    model, (x, y) = case.module(variant).make(fresh)
    backend = fresh.backend.backend()
    # Files first (probing must not change the model, but a save after it would prove nothing).
    model_path, data_path = tmp_path / f"{case.name}-{variant}.keras", tmp_path / f"{case.name}-{variant}.npz"
    model.save(str(model_path))
    np.savez(data_path, **npz_arrays(model, x, y))
    cli = start_cli(model_path, data_path)  # its start-up overlaps the live check
    try:
        live = fusiondoctor.check(model, data=(x, y), settings=Settings())
    finally:
        try:
            stdout, stderr = cli.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            cli.kill()
            stdout, stderr = cli.communicate()
    assert_expected(seen_in_report(live), want, f"{case.name}/{variant} live ({backend})")
    assert cli.returncode in (0, 1), f"CLI exit {cli.returncode}:\n{stderr[-3000:]}"
    from_cli = seen_in_json(json.loads(stdout))
    assert_expected(from_cli, want, f"{case.name}/{variant} .keras + .npz via the CLI ({backend})")
    assert cli.returncode == (1 if any(s.severity in ("warning", "error") for s in from_cli) else 0)


# ---- (c) Keras 2 .h5 written by tf_keras ----------------------------------------------------------


@pytest.mark.live
@pytest.mark.parametrize("case, variant", KERAS2_PARAMS)
def test_data_case_keras2_h5(case: Case, variant: str, fresh2, tmp_path):
    want = expected(case, variant)
    model, (x, y) = case.module(variant).make(fresh2)
    path = tmp_path / f"{case.name}-{variant}-keras2.h5"
    model.save(str(path))
    assert fusiondoctor.load_model_spec(path).keras_major == 2, "tf_keras should write a Keras 2 file"
    report = fusiondoctor.check(path, data=(x, y), settings=Settings())
    assert_expected(seen_in_report(report), want, f"{case.name}/{variant} tf_keras .h5")


# ---- ground truth outside the casebook's bad/good pairs -----------------------------------------


@pytest.mark.live
def test_loud_noise_branch_makes_the_fused_model_worse_than_its_best_branch(fresh):
    """The issue's "fused model vs its best unimodal branch": eight frozen ReLU features of pure
    noise at 100x the scale of eight informative caption features. Training cannot bring the head
    back from the loud branch in 12 epochs, so the fused model scores at chance while the caption
    branch alone reads ~0.83. FD501 sees the scale; FD506 must see the gap too."""
    keras, layers = fresh, fresh.layers

    def data(n, seed):
        rng = np.random.default_rng(seed)
        y = rng.permutation(np.arange(n) % 2)
        image, text = rng.normal(size=(n, 32)), rng.normal(size=(n, 16))
        text[:, :4] += 0.65 * (2.0 * y[:, None] - 1.0)
        return [image.astype("float32"), text.astype("float32")], y.astype("float32")

    keras.utils.set_random_seed(0)
    image, text = keras.Input((32,), name="image_embedding"), keras.Input((16,), name="text")
    x = layers.Dense(8, activation="relu", trainable=False, name="image_features")(image)
    t = layers.Dense(8, activation="relu", name="text_features")(text)
    out = layers.Dense(1, activation="sigmoid", name="label")(layers.concatenate([x, t], name="fusion"))
    model = keras.Model([image, text], out)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy", metrics=["accuracy"])
    kernel, bias = model.get_layer("image_features").get_weights()
    model.get_layer("image_features").set_weights([kernel * 100, bias * 100])
    model.fit(*data(512, 1), epochs=12, batch_size=64, verbose=0)
    probe_x, probe_y = data(512, 2)
    accuracy = float(np.mean((model.predict(probe_x, verbose=0)[:, 0] > 0.5) == probe_y))
    assert accuracy < 0.65, f"the loud noise branch should swamp the head (accuracy {accuracy:.3f})"
    report = fusiondoctor.check(model, data=(probe_x, probe_y), settings=Settings())
    assert_expected(seen_in_report(report), Expected(["FD501", "FD506"], [("FD506", "warning", "fusion")],
                                                     [("FD506", "'text_features'")]), "loud noise branch")


# ---- the casebook itself ---------------------------------------------------------------------------


def test_every_data_rule_has_a_case_folder():
    data_rules = {r.code: r for r in all_rules() if "measurements" in r.needs}
    assert data_rules, "no rule needs data probes?"
    by_rule = {c.rule: c for c in DATA_CASES if c.rule}
    missing = sorted(set(data_rules) - set(by_rule))
    assert not missing, f"data rules without a case folder in checks/: {missing}"
    for code, rule in sorted(data_rules.items()):
        case = by_rule[code]
        assert case.name == f"{code}-{rule.name}", f"{code}: folder {case.name}, registered name {rule.name!r}"
        for variant in VARIANTS:
            assert (case.folder / f"{variant}.py").is_file(), f"{case.name} has no {variant}.py"
            assert variant in case.expectations, f"{case.name}/case.toml has no [{variant}] table"
            assert callable(getattr(case.module(variant), "make", None)), (
                f"{case.name}/{variant}.py defines no make(keras)"
            )
        assert code in case.expectations["bad"].codes, f"{case.name}: the bad case does not expect {code}"
        assert code not in case.expectations["good"].codes, f"{case.name}: the good case expects {code}"
    stories = [c for c in DATA_CASES if c.story]
    assert [c.story for c in stories] == ["seed-003"], f"data stories: {[c.name for c in stories]}"
    unnamed = [c.name for c in DATA_CASES if not c.rule and not c.story]
    assert not unnamed, f"data cases that name neither a rule nor a story: {unnamed}"


@pytest.mark.live
def test_input_scaling_is_quiet_when_the_first_layer_normalizes_the_input(fresh):
    """FD503 with its healthy twins in one model: 0-255 pixels into BatchNormalization, into an
    (unadapted) Normalization layer and into LayerNormalization right after the input are not
    "unscaled"; the same pixels into a plain Conv2D are."""
    keras, layers = fresh, fresh.layers
    keras.utils.set_random_seed(0)
    inputs, branches = [], []
    for name, first in (("bn", layers.BatchNormalization), ("norm", layers.Normalization),
                        ("ln", layers.LayerNormalization), ("raw", None)):
        x = keras.Input((8, 8, 1), name=name)
        inputs.append(x)
        h = first(name=f"{name}_first")(x) if first else x
        h = layers.GlobalAveragePooling2D()(layers.Conv2D(4, 3, activation="relu", name=f"{name}_conv")(h))
        branches.append(layers.LayerNormalization(name=f"{name}_out")(h))
    out = layers.Dense(2, activation="softmax", name="label")(layers.concatenate(branches, name="fusion"))
    model = keras.Model(inputs, out)
    pixels = np.round(np.random.default_rng(0).random((64, 8, 8, 1)) * 255).astype("float32")
    report = fusiondoctor.check(model, data=([pixels] * 4,), settings=Settings(select=("FD503",)))
    assert_expected(seen_in_report(report), Expected(["FD503"], [("FD503", "warning", "raw")], []),
                    "inputs normalized by their first layer")


@pytest.mark.live
def test_multi_hot_labels_under_a_softmax_are_reported_by_fd504(fresh):
    """Movie genres (several per film) trained with a softmax and categorical crossentropy: FD504
    names the multi-label task, with the sigmoid + binary crossentropy patch. Its healthy twins stay
    silent: the same multi-hot labels under sigmoids and binary crossentropy, and one-hot labels
    (one genre per film) under the softmax."""
    keras, layers = fresh, fresh.layers
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 8)).astype("float32")
    multi_hot = (rng.random((128, 5)) < 0.3).astype("float32")
    multi_hot[:, 0] = 1.0  # every film is at least a drama, most are more
    one_hot = np.eye(5, dtype="float32")[rng.integers(0, 5, size=128)]

    def model(activation, loss):
        keras.utils.set_random_seed(0)
        inputs = keras.Input((8,), name="plot")
        out = layers.Dense(5, activation=activation, name="genres")(layers.Dense(8, activation="relu")(inputs))
        built = keras.Model(inputs, out)
        built.compile(optimizer="adam", loss=loss)
        return built

    settings = Settings(select=("FD504",))
    bad = fusiondoctor.check(model("softmax", "categorical_crossentropy"), data=(x, multi_hot), settings=settings)
    [finding] = [f for f in seen_in_report(bad) if f.code == "FD504"]
    assert (finding.severity, finding.where) == ("error", "genres") and "multi-hot" in finding.message
    [fd504] = bad.findings
    assert [(p.target, p.key, p.value) for p in fd504.fix.patch] == [
        ("layer", "activation", "sigmoid"), ("loss", "name", "binary_crossentropy")]
    for activation, loss, labels in (("sigmoid", "binary_crossentropy", multi_hot),
                                     ("softmax", "categorical_crossentropy", one_hot)):
        good = fusiondoctor.check(model(activation, loss), data=(x, labels), settings=settings)
        assert seen_in_report(good) == [], f"{activation} + {loss}: {seen_in_report(good)}"
