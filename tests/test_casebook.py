"""The casebook in ``checks/``: each case gives exactly the finding codes its case.toml expects.

Every fast case is built with Keras 3 and checked three ways (a ``.keras`` file, a Keras 3 ``.h5``
file, the live model), and with tf_keras as a Keras 2 ``.h5`` file where the case says it can be.
The live test is marked ``live`` so that CI runs it again under ``KERAS_BACKEND=jax``; the tf_keras
test needs TensorFlow and is skipped on other backends (see the ``tf_keras`` fixture).
"""

from __future__ import annotations

import os
import re

import pytest

import fusiondoctor
from fusiondoctor import Settings, all_rules
from fusiondoctor.registry import get as get_rule
from tests.casebook import CHECKS, VARIANTS, Case, cases, get_case
from tests.helpers import sha256

CASES = cases(slow=False)
PARAMS = [
    pytest.param(case, variant, id=f"{case.name}-{variant}")
    for case in CASES
    for variant in VARIANTS
    if variant in case.expectations
]
KERAS2_PARAMS = [p for p in PARAMS if p.values[0].keras2]
RULE_FOLDER = re.compile(r"^(FD\d{3})-(.+)$")
#: Inputs the casebook provides: models (checks/FD1xx, FD2xx) and training histories (checks/FD3xx).
CASEBOOK_INPUTS = {"model", "compiled", "history"}


def diagnose(target) -> fusiondoctor.Report:
    """Check with the default settings, whatever pyproject.toml the tests happen to run under."""
    return fusiondoctor.check(target, settings=Settings())


def signature(report: fusiondoctor.Report) -> list:
    return sorted((f.code, f.severity.label, f.location.layer or "", f.location.output or "") for f in report.findings)


def assert_expected(report: fusiondoctor.Report, codes: list, not_inspected: list, what: str) -> None:
    crashed = [(e.code, e.exc_type, e.message) for e in report.errors]
    assert not crashed, f"{what}: rules crashed: {crashed}"
    found = sorted({f.code for f in report.findings})
    details = "\n".join(f"  {f.code} {f.location.layer}: {f.message}" for f in report.findings)
    assert found == sorted(set(codes)), f"{what}: found {found}, expected {sorted(set(codes))}\n{details}"
    reasons = [u.reason for u in report.not_inspected]
    for text in not_inspected:
        assert any(text in reason for reason in reasons), f"{what}: no not-inspected entry contains {text!r}: {reasons}"


# ---- parity: every dialect gives the expected codes ---------------------------------------------


@pytest.mark.parametrize("case, variant", PARAMS)
def test_keras3_files(case: Case, variant: str, fresh, tmp_path):
    expected = case.expectations[variant]
    model = case.builder(variant)(fresh)
    # .keras first: Keras 3's legacy .h5 writer pops "optimizer" out of the model's own compile
    # config (keras/src/legacy/saving/saving_utils.py), so anything saved after it loses the optimizer.
    reports = {}
    for suffix in ("keras", "h5"):
        path = tmp_path / f"{case.name}-{variant}.{suffix}"
        model.save(str(path))
        reports[suffix] = diagnose(path)
        assert_expected(
            reports[suffix], expected.codes, expected.not_inspected, f"{case.name}/{variant} Keras 3 .{suffix}"
        )
    assert signature(reports["keras"]) == signature(reports["h5"]), "the .keras and .h5 files of one model disagree"


@pytest.mark.live
@pytest.mark.parametrize("case, variant", PARAMS)
def test_live_model(case: Case, variant: str, fresh, tmp_path):
    expected = case.expectations[variant]
    model = case.builder(variant)(fresh)
    live = diagnose(model)
    assert_expected(
        live, expected.codes, expected.not_inspected, f"{case.name}/{variant} live ({fresh.backend.backend()})"
    )
    path = tmp_path / f"{case.name}-{variant}.keras"
    model.save(str(path))
    assert signature(live) == signature(diagnose(path)), "the live model and its .keras file disagree"


@pytest.mark.parametrize("case, variant", KERAS2_PARAMS)
def test_keras2_h5(case: Case, variant: str, fresh2, tmp_path):
    expected = case.expectations[variant]
    model = case.builder(variant)(fresh2)
    path = tmp_path / f"{case.name}-{variant}-keras2.h5"
    model.save(str(path))
    report = diagnose(path)
    assert_expected(report, expected.codes_keras2, expected.not_inspected, f"{case.name}/{variant} tf_keras .h5")
    spec = fusiondoctor.load_model_spec(path)
    assert spec.keras_major == 2, f"tf_keras wrote a file read as Keras {spec.keras_major} ({spec.keras_version})"


# ---- checking is read-only ---------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["keras", "h5"])
def test_check_does_not_modify_a_bad_file(suffix, fresh, tmp_path):
    case = get_case("FD101")
    path = tmp_path / f"bad.{suffix}"
    case.builder("bad")(fresh).save(str(path))
    before, stat = sha256(path), os.stat(path)
    report = diagnose(path)
    assert report.findings, "the bad model should give findings, or this test proves little"
    assert sha256(path) == before
    assert os.stat(path).st_mtime_ns == stat.st_mtime_ns
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name], "checking wrote files next to the model"


def test_check_does_not_modify_a_keras2_file(fresh2, tmp_path):
    path = tmp_path / "bad-keras2.h5"
    get_case("FD101").builder("bad")(fresh2).save(str(path))
    before = sha256(path)
    assert diagnose(path).findings
    assert sha256(path) == before


# ---- the casebook itself -------------------------------------------------------------------------


def test_every_rule_has_exactly_one_case_folder():
    registered = {r.code: r for r in all_rules()}
    model_rules = sorted(code for code, r in registered.items() if set(r.needs) <= CASEBOOK_INPUTS)
    assert model_rules, "no rule judges a model or a history?"
    folders = {}
    for path in sorted(CHECKS.iterdir()):
        match = RULE_FOLDER.match(path.name)
        if path.is_dir() and match:
            folders.setdefault(match.group(1), []).append(match.group(2))
    missing = [code for code in model_rules if code not in folders]
    assert not missing, f"rules without a case folder in checks/: {missing}"
    unknown = sorted(set(folders) - set(registered))
    assert not unknown, f"case folders for codes that are not registered rules: {unknown}"
    for code, names in folders.items():
        assert names == [registered[code].name], f"{code}: folders {names}, registered name {registered[code].name!r}"


@pytest.mark.parametrize("case", [c for c in cases() if c.rule], ids=lambda c: c.name)
def test_rule_case_is_well_formed(case: Case):
    assert case.name == f"{case.rule}-{get_rule(case.rule).name}", "case.toml's rule and folder differ"
    for variant in VARIANTS:
        assert (case.folder / f"{variant}.py").is_file(), f"{case.name} has no {variant}.py"
        assert variant in case.expectations, f"{case.name}/case.toml has no [{variant}] table"
    bad, good = case.expectations["bad"], case.expectations["good"]
    # The bad model must show its rule: as a finding, or (FD100) as a not-inspected entry.
    assert case.rule in bad.codes or case.rule in bad.codes_keras2 or bad.not_inspected
    assert case.rule not in good.codes and case.rule not in good.codes_keras2


# ---- Keras quirks ---------------------------------------------------------------------------------


@pytest.mark.live
def test_live_model_keeps_its_optimizer_after_an_h5_save(fresh, tmp_path):
    """Keras 3's legacy .h5 writer pops 'optimizer' out of the model's compile config in place
    (keras/src/legacy/saving/saving_utils.py); the live reader falls back to model.optimizer."""
    model = get_case("FD207").builder("bad")(fresh)
    model.save(str(tmp_path / "saved.h5"))
    assert "FD207" in diagnose(model).codes()
