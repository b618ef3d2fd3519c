"""The engine: run the selected rules on a subject and collect a Report.

Pure: no I/O, no Keras, no measuring. A subject carries only data — a ModelSpec, a HistorySpec and
the measurements recorded before the engine runs — so a diagnosis can be replayed from a record.
"""

from __future__ import annotations

import dataclasses
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .config import Settings
from .history.spec import HistorySpec
from .measurements import Measurements, MonitorReadings
from .model.spec import ModelSpec
from .registry import INPUTS, Rule
from .types import Finding, NotInspected, Report, RuleError, Skipped, Symptom


@dataclass(frozen=True)
class Subject:
    """Everything known about one thing under diagnosis; absent inputs are None."""

    name: str
    model: ModelSpec | None = None
    history: HistorySpec | None = None
    measurements: Measurements | None = None
    monitor: MonitorReadings | None = None

    def inputs(self) -> dict[str, Any]:
        compiled = self.model if self.model is not None and getattr(self.model, "compile", None) else None
        return {
            "model": self.model,
            "compiled": compiled,
            "history": self.history,
            "measurements": self.measurements,
            "monitor": self.monitor,
        }


def _missing(rule: Rule, available: dict[str, Any]) -> tuple:
    missing = tuple(n for n in rule.needs if available.get(n) is None)
    if "compiled" in missing and available.get("model") is None:  # no model at all: say so once
        missing = tuple("model" if n == "compiled" else n for n in missing)
    return tuple(dict.fromkeys(missing))


def _unmeasured(rule: Rule, available: dict[str, Any]) -> tuple:
    """Why measurements the rule reads are not in the record (failed, or not taken)."""
    if "measurements" not in rule.needs:
        return ()  # a rule that only may read measurements runs without them
    record = available.get("measurements")
    return record.missing(rule.measures) if record is not None and rule.measures else ()


def _run_rule(rule: Rule, subject: Subject, available: dict[str, Any], settings: Settings, out: _Collector) -> None:
    kwargs = {n: available[n] for n in rule.needs}
    kwargs.update({n: available[n] for n in rule.optional if available.get(n) is not None})
    if rule.takes_options:
        kwargs["options"] = settings.options_for(rule)
    try:
        for item in rule.func(**kwargs) or ():
            out.add(rule, subject, item)
    except Exception as exc:  # a crashed rule becomes a result, never hides the others
        out.errors.append(
            RuleError(rule.code, rule.name, type(exc).__name__, str(exc), traceback.format_exc(), subject.name)
        )


@dataclass
class _Collector:
    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    not_inspected: list[NotInspected] = field(default_factory=list)
    errors: list[RuleError] = field(default_factory=list)
    _seen: set = field(default_factory=set)

    def add(self, rule: Rule, subject: Subject, item: Any) -> None:
        if isinstance(item, NotInspected):
            self.not_inspected.append(dataclasses.replace(
                item, code=rule.code, location=item.location.with_artifact(subject.name), subject=subject.name))
            return
        if not isinstance(item, Symptom):
            raise TypeError(f"rule {rule.code} yielded {type(item).__name__}, expected Symptom or NotInspected")
        location = item.location.with_artifact(subject.name)
        key = (rule.code, subject.name, location)
        if key in self._seen:
            return
        self._seen.add(key)
        severity = item.severity if item.severity is not None else rule.severity
        self.findings.append(
            Finding(rule.code, rule.name, severity, item.message, location, dict(item.evidence), item.fix, subject.name)
        )


def diagnose(subject: Subject, settings: Settings | None = None, rules: Iterable[Rule] | None = None) -> Report:
    """Run the active rules on one subject."""
    settings = settings or Settings()
    active = list(rules) if rules is not None else settings.rules()
    available = subject.inputs()
    out = _Collector()
    for rule in active:
        missing = _missing(rule, available)
        unmeasured = () if missing else _unmeasured(rule, available)
        if missing or unmeasured:
            out.skipped.append(Skipped(rule.code, rule.name, missing or ("measurements",), subject.name, unmeasured))
            continue
        _run_rule(rule, subject, available, settings, out)
    findings = sorted(link(out.findings, {r.code: r for r in active}),
                      key=lambda f: (-f.severity, f.code, f.location.layer or "", f.location.epoch or 0))
    return Report((subject.name,), tuple(findings), tuple(out.skipped), tuple(out.not_inspected), tuple(out.errors),
                  inputs=(subject,))


def link(findings: list[Finding], rules: dict[str, Rule]) -> list[Finding]:
    """Attach to each symptom the findings that explain it (rule.explained_by), or, when none
    does, the rule's list of other possible causes."""
    linked = []
    for finding in findings:
        rule = rules.get(finding.code)
        if rule is None or not (rule.explained_by or rule.causes):
            linked.append(finding)
            continue
        explaining = tuple(
            f"{f.code} {f.name}" + (f" at layer '{f.location.layer}'" if f.location.layer else "")
            for f in findings if f.code in rule.explained_by and f.subject == finding.subject
        )
        linked.append(dataclasses.replace(
            finding, explained_by=tuple(dict.fromkeys(explaining)), other_causes=() if explaining else rule.causes))
    return linked


def describe_missing(name: str) -> str:
    return INPUTS.get(name, name)
