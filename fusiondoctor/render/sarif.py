"""SARIF 2.1.0 for code scanning: rules from the registry, every result with a physical location
(the model or history file) and the layer as a logical location."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .. import registry
from ..types import Finding, Report, Severity, TrialResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _uri(artifact: str) -> str:
    """A repository-relative URI for files under the working directory, else a file URI."""
    if not artifact or artifact.startswith("<"):
        return "model"  # a live model: no file, a stable relative reference
    path = Path(artifact)
    try:
        return path.resolve().relative_to(Path(os.getcwd()).resolve()).as_posix()
    except ValueError:
        return path.resolve().as_uri()


def _rule_entry(rule: registry.Rule) -> dict:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.section("Why is this bad?") or rule.summary},
        "help": {"text": f"fusiondoctor explain {rule.code}", "markdown": rule.doc},
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
        "properties": {"needs": list(rule.needs)},
    }


def _fingerprint(finding: Finding) -> str:
    key = f"{finding.code}|{finding.location.layer}|{finding.location.output}|{finding.location.metric}"
    if finding.location.setting:
        key += f"|{finding.location.setting}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _trial(trial: TrialResult) -> dict:
    """What ``fix`` concluded about a finding's fix, as a result property."""
    return {"verdict": trial.verdict.value, "gain": trial.gain,
            "interval": list(trial.interval) if trial.interval else None, "seeds": trial.seeds}


def _result(finding: Finding, index: dict[str, int], trials: dict[str, TrialResult] | None = None) -> dict:
    uri = _uri(finding.location.artifact or finding.subject)
    location: dict = {"physicalLocation": {"artifactLocation": {"uri": uri}}}
    logical = finding.location.layer or finding.location.output or finding.location.metric or finding.location.setting
    if logical:
        kind = "member" if finding.location.layer or finding.location.output else "variable"
        location["logicalLocations"] = [{"name": logical.rsplit("/", 1)[-1], "fullyQualifiedName": logical,
                                         "kind": kind}]
    text = finding.message + (f" Fix: {finding.fix.title}." if finding.fix else "")
    result = {
        "ruleId": finding.code,
        "level": _LEVELS[finding.severity],
        "message": {"text": text},
        "locations": [location],
        "partialFingerprints": {"fusiondoctor/v1": _fingerprint(finding)},
        "properties": {"name": finding.name, "evidence": dict(finding.evidence),
                       **({"epoch": finding.location.epoch} if finding.location.epoch is not None else {}),
                       **({"setting": finding.location.setting} if finding.location.setting else {})},
    }
    trial = (trials or {}).get(finding.code)
    if trial is not None:
        result["properties"]["trial"] = _trial(trial)
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    return result


def as_dict(report: Report) -> dict:
    from .. import __version__
    from .json_report import _clean

    rules = registry.all_rules()
    index = {r.code: i for i, r in enumerate(rules)}
    trials = {t.code: t for t in reversed(report.trials) if not t.combined}  # the first trial of a code wins
    notifications: list[dict] = [
        {"level": "error", "message": {"text": f"{e.code} {e.name} crashed: {e.exc_type}: {e.message}"},
         "descriptor": {"id": e.code}} for e in report.errors
    ]
    run = {
        "tool": {"driver": {"name": "fusiondoctor", "version": __version__, "informationUri": "https://github.com/fusiondoctor/fusiondoctor",
                            "rules": [_rule_entry(r) for r in rules]}},
        "results": [_result(f, index, trials) for f in report.findings],
        "invocations": [{"executionSuccessful": not report.errors, "toolExecutionNotifications": notifications}],
        "columnKind": "unicodeCodePoints",
    }
    return _clean({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]})


def render(report: Report, **_options) -> str:
    return json.dumps(as_dict(report), indent=2) + "\n"
