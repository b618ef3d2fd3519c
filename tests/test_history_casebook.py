"""The history half of the casebook: FD3xx rule cases and the seed stories' training runs.

Each history case in ``checks/`` (``kind = "history"`` in case.toml) defines ``train(keras,
callbacks=None)``, a real tiny training run, and keeps its result frozen next to it:
``<variant>.history.json`` (the History dict) and ``<variant>.model.json`` (``model.to_json()``),
written by ``checks/freeze_histories.py`` under the TensorFlow backend.

* The fast tests need no Keras: they check each frozen model + history pair, the same history
  written as a CSVLogger CSV, and that the seed-000 history findings are linked to FD101.
* The regeneration tests (``live``, so CI runs them again under ``KERAS_BACKEND=jax``) train every
  case again with ``CSVLogger`` and ``TensorBoard`` attached and check the codes from the returned
  dict, the CSV file, the TensorBoard log directory and the live model with its History object.

case.toml keys read here beyond tests/casebook.py's: ``trainer = "tf_keras"`` (train with tf_keras;
skipped off TensorFlow), ``expect_jax`` / ``expect_torch`` in a variant table (the codes on the JAX
or PyTorch backend where they honestly differ, each with a comment why), ``settings`` in a variant
table (a ``[tool.fusiondoctor]`` table the variant is checked with), and ``xfail_jax`` (a
reason: a known fusiondoctor misfire on the JAX run, reported and kept as a strict xfail so that
the fix is noticed).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

import fusiondoctor
from fusiondoctor import Settings, all_rules
from fusiondoctor.config import settings_from_table
from fusiondoctor.history import read_history
from tests.casebook import VARIANTS, Case, cases, tomllib

HISTORY_CASES = cases(kind="history")
PARAMS = [
    pytest.param(case, variant, id=f"{case.name}-{variant}")
    for case in HISTORY_CASES
    for variant in VARIANTS
    if variant in case.expectations
]
SEED_000 = [c for c in HISTORY_CASES if c.story == "seed-000"]
#: Static findings the seed-000 history symptoms must be linked to.
LINKED = ("FD301", "FD302", "FD303")


def raw_toml(case: Case) -> dict:
    with open(case.folder / "case.toml", "rb") as handle:
        return tomllib.load(handle)


def diagnose(model, history, settings: Settings | None = None) -> fusiondoctor.Report:
    """Check with the default settings (or the case's), whatever pyproject.toml the tests run under."""
    return fusiondoctor.check(model, history=history, settings=settings or Settings())


def case_settings(case: Case, variant: str) -> Settings:
    """The variant's ``settings`` table (as ``[tool.fusiondoctor]`` in pyproject.toml), or the defaults:
    what a user states that the files do not record, such as the training-set size."""
    table = raw_toml(case)[variant].get("settings")
    return settings_from_table(table) if table else Settings()


def assert_codes(report: fusiondoctor.Report, expected: list[str], what: str) -> None:
    crashed = [(e.code, e.exc_type, e.message) for e in report.errors]
    assert not crashed, f"{what}: rules crashed: {crashed}"
    details = "\n".join(f"  {f.code} {f.location.metric or f.location.layer}: {f.message}" for f in report.findings)
    wanted = sorted(set(expected))
    assert report.codes() == wanted, f"{what}: found {report.codes()}, expected {wanted}\n{details}"


def frozen_history(case: Case, variant: str) -> dict[str, list[float]]:
    return json.loads(case.frozen_history(variant).read_text())


def frozen_model(case: Case, variant: str) -> Path:
    return case.folder / f"{variant}.model.json"


def write_csvlogger(history: dict[str, list[float]], path: Path, separator: str = ",") -> Path:
    """The history as keras.callbacks.CSVLogger writes it: an ``epoch`` column, then the metrics in
    sorted order, one row per epoch (floats through ``str``, so NaN is ``nan``)."""
    keys = sorted(history)
    epochs = max(len(values) for values in history.values())
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, delimiter=separator)
        writer.writerow(["epoch", *keys])
        for epoch in range(epochs):
            writer.writerow([epoch, *(history[k][epoch] if epoch < len(history[k]) else "" for k in keys)])
    return path


def same_number(a: float, b: float, rel: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=rel)


# ---- the casebook itself ---------------------------------------------------------------------


def test_every_history_rule_has_a_case_folder():
    history_rules = sorted(r.code for r in all_rules() if "history" in r.needs)
    assert history_rules, "no rule reads a history?"
    covered = sorted({c.rule for c in HISTORY_CASES if c.rule})
    assert covered == history_rules, f"history rules {history_rules}, history case folders for {covered}"


@pytest.mark.parametrize("case", HISTORY_CASES, ids=lambda c: c.name)
def test_history_case_is_well_formed(case: Case):
    if case.rule:
        rule = fusiondoctor.registry.get(case.rule)
        assert case.name == f"{case.rule}-{rule.name}", "case.toml's rule and the folder name differ"
        assert case.rule in case.expectations["bad"].codes, f"{case.name}: the bad run must show {case.rule}"
        assert case.expectations["good"].codes == [], f"{case.name}: the good run must be healthy"
    else:
        assert case.story and case.name.startswith(f"history-{case.story}"), case.name
    assert raw_toml(case).get("trainer", "keras") in ("keras", "tf_keras")
    for variant in VARIANTS:
        assert variant in case.expectations, f"{case.name}/case.toml has no [{variant}] table"
        for suffix in (".py", ".history.json", ".model.json"):
            assert (case.folder / f"{variant}{suffix}").is_file(), f"{case.name} has no {variant}{suffix}"
        module = case.module(variant)
        assert module.__doc__ and module.__doc__.strip(), f"{case.name}/{variant}.py tells no story"
        assert callable(getattr(module, "train", None)), f"{case.name}/{variant}.py defines no train(keras)"


@pytest.mark.parametrize("case, variant", PARAMS)
def test_frozen_run_is_a_real_training_history(case: Case, variant: str):
    history = frozen_history(case, variant)
    assert "loss" in history and "val_loss" in history, sorted(history)
    epochs = len(history["loss"])
    assert epochs >= 3, f"{case.name}/{variant}: only {epochs} epochs"
    assert all(len(values) == epochs for values in history.values()), {k: len(v) for k, v in history.items()}
    config = json.loads(frozen_model(case, variant).read_text())
    assert config["class_name"] in ("Functional", "Sequential"), config["class_name"]


# ---- fast: the frozen runs, no Keras -----------------------------------------------------------


@pytest.mark.parametrize("case, variant", PARAMS)
def test_frozen_history(case: Case, variant: str):
    report = diagnose(frozen_model(case, variant), case.frozen_history(variant), case_settings(case, variant))
    assert_codes(report, case.expectations[variant].codes, f"{case.name}/{variant} frozen JSON")


@pytest.mark.parametrize("case, variant", PARAMS)
def test_frozen_history_as_csvlogger_csv(case: Case, variant: str, tmp_path):
    history = frozen_history(case, variant)
    path = write_csvlogger(history, tmp_path / "training.log")
    spec = read_history(path)
    assert spec.format == "csv"
    assert sorted(spec.names()) == sorted(history)
    # value by value fidelity is tests/test_history_readers.py's (including a known NaN problem)
    report = diagnose(frozen_model(case, variant), path, case_settings(case, variant))
    assert_codes(report, case.expectations[variant].codes, f"{case.name}/{variant} frozen as CSV")


@pytest.mark.parametrize("case", SEED_000, ids=lambda c: c.name)
def test_seed_000_history_findings_are_explained_by_fd101(case: Case):
    report = diagnose(frozen_model(case, "bad"), case.frozen_history("bad"))
    fd101 = [f for f in report.findings if f.code == "FD101"]
    assert [f.location.layer for f in fd101] == ["output_layer"]
    linked = [f for f in report.findings if f.code in LINKED]
    assert {f.code for f in linked} == set(LINKED) & set(case.expectations["bad"].codes)
    for finding in linked:
        assert any(e.startswith("FD101") and "'output_layer'" in e for e in finding.explained_by), (
            f"{finding.code} is not linked to FD101 at output_layer: {finding.explained_by}")
        assert finding.other_causes == (), f"{finding.code} lists other causes although FD101 explains it"


def test_fd303_names_the_loss_falls_accuracy_frozen_fingerprint_of_tensorflow():
    """The frozen seed-000 runs come from Keras 3 on TensorFlow and from tf_keras, which both
    train the logit behind a one-unit softmax: the loss falls while accuracy stays frozen."""
    for case in SEED_000:
        report = diagnose(frozen_model(case, "bad"), case.frozen_history("bad"))
        (fd303,) = [f for f in report.findings if f.code == "FD303"]
        assert fd303.evidence["fingerprint"] == "loss-falls-accuracy-frozen", (case.name, fd303.evidence)


def test_history_findings_without_the_model_list_other_causes():
    """Without the model there is no FD101 to link to: the symptoms fall back to the rule's list
    of other possible causes."""
    case = SEED_000[0]
    report = diagnose(None, case.frozen_history("bad"))
    assert "FD101" not in report.codes()
    fd301 = [f for f in report.findings if f.code == "FD301"]
    assert fd301 and all(f.explained_by == () and f.other_causes for f in fd301)


REGRESSION = [c for c in HISTORY_CASES if c.story == "regression-accuracy"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_accuracy_on_a_regression_is_no_evidence(variant):
    """The regression runs log accuracy frozen at exactly 0.0 while the loss falls. With the model
    the task model says regression and the history rules ignore the metric; with the history alone
    it is listed as not inspected, and nothing is an error."""
    (case,) = REGRESSION
    assert set(frozen_history(case, variant)["accuracy"]) == {0.0}, "the run no longer shows the signature"
    for model in (frozen_model(case, variant), None):
        report = diagnose(model, case.frozen_history(variant))
        assert not {"FD301", "FD302", "FD303"} & set(report.codes()), report.codes()
        assert all(f.severity < fusiondoctor.Severity.ERROR for f in report.findings), report.codes()
    alone = diagnose(None, case.frozen_history(variant))
    reasons = [u.reason for u in alone.not_inspected if u.code == "FD301"]
    assert sorted(r.split(":")[0] for r in reasons) == ["accuracy", "val_accuracy"]
    assert all("real-valued targets" in r for r in reasons)


# ---- live: train every case again (TensorFlow, and JAX in CI) --------------------------------


def expected_codes(case: Case, variant: str, backend: str) -> list[str]:
    table = raw_toml(case)[variant]
    if backend in ("jax", "torch") and f"expect_{backend}" in table:
        return sorted(table[f"expect_{backend}"])
    return case.expectations[variant].codes


@pytest.mark.live
@pytest.mark.parametrize("case, variant", PARAMS)
def test_regenerated_run(case: Case, variant: str, request, tmp_path):
    trainer = raw_toml(case).get("trainer", "keras")
    module = request.getfixturevalue("tf_keras" if trainer == "tf_keras" else "keras3")
    backend = module.backend.backend()
    reason = raw_toml(case)[variant].get("xfail_jax")
    if backend == "jax" and reason:
        request.applymarker(pytest.mark.xfail(strict=True, reason=reason))
    expected = expected_codes(case, variant, backend)
    log, logdir = tmp_path / "training.log", tmp_path / "tensorboard"
    callbacks = [module.callbacks.CSVLogger(str(log)), module.callbacks.TensorBoard(log_dir=str(logdir))]
    try:
        model, history = case.trainer(variant)(module, callbacks=callbacks)
        if trainer == "tf_keras":
            # fusiondoctor reads live Keras 3 models only; a tf_keras model is checked as its .h5 file
            target = tmp_path / "model.h5"
            model.save(str(target))
        else:
            target = model
        what = f"{case.name}/{variant} regenerated ({trainer} on {backend})"
        settings = case_settings(case, variant)
        assert_codes(diagnose(target, history, settings), expected, f"{what}, History dict")
        assert_codes(diagnose(target, log, settings), expected, f"{what}, CSVLogger file")
        assert_codes(diagnose(target, logdir, settings), expected, f"{what}, TensorBoard logs")
        assert isinstance(model.history, module.callbacks.History)
        assert_codes(diagnose(target, model.history, settings), expected, f"{what}, live History")

        frozen = frozen_history(case, variant)
        assert sorted(history) == sorted(frozen), "the regenerated run logs other metrics than the frozen one"
        if backend == "tensorflow":  # the frozen runs are TensorFlow's; other backends initialize differently
            first, was = history["loss"][0], frozen["loss"][0]
            assert same_number(first, was, 0.1), (
                f"{what}: first-epoch loss {first:.4g}, frozen {was:.4g}: run checks/freeze_histories.py")
    finally:
        module.backend.clear_session()
