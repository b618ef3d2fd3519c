"""The engine: injection, skipping, crash isolation, severity override, dedupe, exit codes."""

from __future__ import annotations

from fusiondoctor import registry
from fusiondoctor.config import Settings
from fusiondoctor.engine import Subject, diagnose
from fusiondoctor.registry import Rule
from fusiondoctor.types import Location, NotInspected, Report, Severity, Symptom


def _rule(func, needs=("model",), code="FD990", severity=Severity.WARNING) -> Rule:
    return Rule(code, f"test-{code.lower()}", severity, func, needs, None, "Test rule.", False)


def test_missing_input_records_skipped():
    r = _rule(lambda history: iter(()), needs=("history",))
    report = diagnose(Subject("s", model=object()), Settings(), [r])
    assert [s.code for s in report.skipped] == ["FD990"]
    assert report.skipped[0].missing == ("history",)
    assert not report.findings and not report.errors


def test_crashing_rule_becomes_an_error_and_others_still_run():
    def boom(model):
        raise RuntimeError("kaput")
        yield  # pragma: no cover

    def fine(model):
        yield Symptom("found", Location(layer="x"))

    report = diagnose(Subject("s", model=object()), Settings(), [_rule(boom), _rule(fine, code="FD991")])
    assert [e.code for e in report.errors] == ["FD990"]
    assert "kaput" in report.errors[0].message and "RuntimeError" == report.errors[0].exc_type
    assert [f.code for f in report.findings] == ["FD991"]
    assert report.exit_code(Severity.ERROR) == 2  # an incomplete diagnosis never looks green


def test_engine_stamps_identity_and_allows_severity_override_and_dedupes():
    def twice(model):
        yield Symptom("a", Location(layer="x"))
        yield Symptom("a again", Location(layer="x"))
        yield Symptom("mild", Location(layer="y"), severity=Severity.INFO)
        yield NotInspected("custom thing", Location(layer="z"))

    report = diagnose(Subject("file.h5", model=object()), Settings(), [_rule(twice)])
    assert [(f.code, f.severity, f.location.layer) for f in report.findings] == [
        ("FD990", Severity.WARNING, "x"), ("FD990", Severity.INFO, "y")]
    assert report.findings[0].location.artifact == "file.h5"
    assert [u.reason for u in report.not_inspected] == ["custom thing"]


def test_exit_codes_follow_fail_on():
    report = Report(("s",), findings=diagnose(
        Subject("s", model=object()), Settings(), [_rule(lambda model: iter([Symptom("w")]))]).findings)
    assert report.exit_code(Severity.WARNING) == 1
    assert report.exit_code(Severity.ERROR) == 0
    assert Report().exit_code(Severity.INFO) == 0


def test_compiled_input_requires_a_compile_config():
    class Spec:
        compile = None

    r = registry.get("FD203")
    report = diagnose(Subject("s", model=Spec()), Settings(), [r])
    assert report.skipped and report.skipped[0].missing == ("compiled",)
