"""Plain, frozen data types shared by the engine, the rules and the renderers.

Nothing here knows about Keras, files or presentation.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

JSONValue = str | int | float | bool | None


class Severity(enum.IntEnum):
    """How bad a finding is; ordered so that ``--fail-on`` is a comparison."""

    INFO = 10
    WARNING = 20
    ERROR = 30

    @classmethod
    def parse(cls, text: str | Severity) -> Severity:
        if isinstance(text, Severity):
            return text
        try:
            return cls[str(text).strip().upper()]
        except KeyError:
            choices = ", ".join(s.name.lower() for s in cls)
            raise ValueError(f"unknown severity {text!r} (choose from {choices})") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Location:
    """Where a finding points: a file, a layer path, a model output, a metric, an epoch, or a
    setting (``loss``, ``metrics``, ``optimizer.learning_rate``, ``kernel_initializer``)."""

    artifact: str | None = None
    layer: str | None = None
    output: str | None = None
    metric: str | None = None
    epoch: int | None = None
    setting: str | None = None

    def with_artifact(self, artifact: str | None) -> Location:
        if self.artifact or not artifact:
            return self
        return replace(self, artifact=artifact)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class PatchOp:
    """One semantic edit of a model, independent of the Keras config dialect.

    ``target`` is ``"layer"`` (``name`` is a layer path), ``"loss"`` or ``"metrics"`` (``name`` is an
    output name or None for all outputs; metrics edits are ``remove`` and ``add`` with a list of
    metric names), ``"optimizer"``, or ``"graph"`` (structural edits such as inserting a
    normalization layer before a merge; ``key`` names the edit).
    """

    target: str
    name: str | None
    key: str
    value: Any = None

    def as_dict(self) -> dict:
        return {"target": self.target, "name": self.name, "key": self.key, "value": self.value}


@dataclass(frozen=True)
class Fix:
    """A proposed remedy: a title, a code snippet, and a semantic patch when one exists."""

    title: str
    snippet: str = ""
    patch: tuple[PatchOp, ...] = ()

    def as_dict(self) -> dict:
        return {"title": self.title, "snippet": self.snippet, "patch": [p.as_dict() for p in self.patch]}


@dataclass(frozen=True)
class Symptom:
    """What a rule yields. The engine stamps the rule's code, name and severity on it.

    ``severity`` overrides the rule's default for this one symptom (e.g. a milder case of the same
    mistake).
    """

    message: str
    location: Location = field(default_factory=Location)
    evidence: Mapping[str, JSONValue] = field(default_factory=dict)
    fix: Fix | None = None
    severity: Severity | None = None


@dataclass(frozen=True)
class NotInspected:
    """A part a rule cannot judge (a custom layer, an unknown loss). A rule yields it with a reason
    and a location; the engine stamps the rule's code and the subject on it for the report."""

    reason: str
    location: Location = field(default_factory=Location)
    code: str = ""
    subject: str = ""

    def as_dict(self) -> dict:
        return {"code": self.code, "reason": self.reason, "location": self.location.as_dict(), "subject": self.subject}


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    location: Location
    evidence: Mapping[str, JSONValue]
    fix: Fix | None
    subject: str
    explained_by: tuple[str, ...] = ()
    other_causes: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.label,
            "message": self.message,
            "subject": self.subject,
            "location": self.location.as_dict(),
            "evidence": dict(self.evidence),
            "fix": self.fix.as_dict() if self.fix else None,
            "explained_by": list(self.explained_by),
            "other_causes": list(self.other_causes),
        }


@dataclass(frozen=True)
class Skipped:
    """A rule that did not run: an input it needs was not given (``missing``), or was given but a
    measurement it reads failed (``failed``: why; the diagnosis is then incomplete)."""

    code: str
    name: str
    missing: tuple[str, ...]
    subject: str
    failed: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "missing": list(self.missing), "subject": self.subject,
                "failed": list(self.failed)}


@dataclass(frozen=True)
class RuleError:
    """A rule that crashed. The diagnosis is incomplete, so the exit code is 2."""

    code: str
    name: str
    exc_type: str
    message: str
    traceback: str
    subject: str

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "exc_type": self.exc_type,
            "message": self.message,
            "subject": self.subject,
            "traceback": self.traceback,
        }


class Verdict(str, enum.Enum):
    """What a fix trial concludes. A ``str`` enum: it compares equal to, and serializes as, its lowercase text."""

    CONFIRMED = "confirmed"
    NOT_CONFIRMED = "not confirmed"
    WORSE = "worse"
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class RunsSummary:
    """One model's runs in a trial: the mean and standard deviation of each run's score over the seeds
    that completed, the score curves, why runs ended early, and whether the mean is a lower bound
    (a run stopped, once the verdict could no longer change, counts with its best score so far)."""

    mean: float | None = None
    std: float | None = None
    seeds: int = 0
    curves: tuple[tuple[float, ...], ...] = ()
    ended: str | None = None
    lower_bound: bool = False

    def as_dict(self) -> dict:
        return {"mean": self.mean, "std": self.std, "seeds": self.seeds, "curves": [list(c) for c in self.curves],
                "ended": self.ended, "lower_bound": self.lower_bound}


@dataclass(frozen=True)
class TrialResult:
    """A fix trial as reports show it: the candidate against the unpatched baseline.

    ``gain`` is the mean of the per-seed paired gains (candidate minus baseline on the same seed),
    ``interval`` the confidence interval the verdict was decided on, ``seeds`` the number of paired
    seeds it rests on. ``combined`` marks the trial of every confirmed patch applied together.
    ``output``: on a model with several outputs, the one whose held-out score is compared (the main
    output: the largest loss weight, the last listed on a tie), whichever head the fix patches.
    """

    code: str
    fix: str
    location: str | None
    verdict: Verdict
    gain: float | None = None
    interval: tuple[float, float] | None = None
    seeds: int = 0
    spread: float | None = None
    finding_gone: bool | None = None
    baseline: RunsSummary = field(default_factory=RunsSummary)
    candidate: RunsSummary = field(default_factory=RunsSummary)
    note: str = ""
    patch: tuple[PatchOp, ...] = ()
    combined: bool = False
    output: str | None = None

    def as_dict(self) -> dict:
        return {
            "code": self.code, "fix": self.fix, "location": self.location, "verdict": self.verdict.value,
            "metric_gain": self.gain, "interval": list(self.interval) if self.interval else None,
            "seeds": self.seeds, "spread": self.spread, "finding_gone": self.finding_gone,
            "baseline": self.baseline.as_dict(), "candidate": self.candidate.as_dict(), "note": self.note,
            "patch": [p.as_dict() for p in self.patch], "combined": self.combined, "output": self.output,
        }


@dataclass(frozen=True)
class Report:
    """The result of a diagnosis of one or more subjects.

    ``inputs`` holds what was diagnosed (each ``engine.Subject``: its model spec, history and recorded
    measurements — data, no live objects), for renderers that draw it; it is not serialized.
    """

    subjects: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    not_inspected: tuple[NotInspected, ...] = ()
    errors: tuple[RuleError, ...] = ()
    trials: tuple[TrialResult, ...] = ()
    inputs: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    def codes(self) -> list:
        """The codes found, sorted and without repeats."""
        return sorted({f.code for f in self.findings})

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)

    def failed(self, fail_on: Severity) -> bool:
        return any(f.severity >= fail_on for f in self.findings)

    @property
    def incomplete(self) -> bool:
        """A rule crashed, or could not run because a measurement it reads failed."""
        return bool(self.errors) or any(s.failed for s in self.skipped)

    def exit_code(self, fail_on: Severity) -> int:
        if self.incomplete:
            return 2
        return 1 if self.failed(fail_on) else 0

    def merged(self, other: Report) -> Report:
        return Report(
            self.subjects + other.subjects,
            self.findings + other.findings,
            self.skipped + other.skipped,
            self.not_inspected + other.not_inspected,
            self.errors + other.errors,
            self.trials + other.trials,
            self.inputs + other.inputs,
        )

    # ---- notebooks and data frames ------------------------------------------------------------

    def _repr_html_(self) -> str:
        """The HTML report, shown by Jupyter and Colab when a cell ends with a Report."""
        from .render import html  # lazy: renderers load only when a report is displayed

        return html.render(self)

    def _repr_markdown_(self) -> str:
        """The Markdown report, for front ends that show Markdown rather than HTML."""
        from .render import figures, markdown

        return markdown.render(self, images=figures.report_images(self))

    def to_frame(self):
        """The findings as a pandas DataFrame, one row per finding (pandas is imported here only).

        ``severity`` is an ordered categorical (info < warning < error), so
        ``frame[frame.severity >= "warning"]`` works; ``epoch`` is a nullable integer.
        """
        import pandas as pd

        rows = [{
            "subject": f.subject, "code": f.code, "name": f.name, "severity": f.severity.label, "message": f.message,
            "layer": f.location.layer, "output": f.location.output, "metric": f.location.metric,
            "epoch": f.location.epoch, "fix": f.fix.title if f.fix else None,
            "explained_by": "; ".join(f.explained_by) or None,
        } for f in self.findings]
        frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
        frame["severity"] = pd.Categorical(frame["severity"], categories=[s.label for s in Severity], ordered=True)
        frame["epoch"] = frame["epoch"].astype("Int64")
        return frame


#: The columns of ``Report.to_frame()``, in order.
FRAME_COLUMNS = ("subject", "code", "name", "severity", "message", "layer", "output", "metric", "epoch", "fix",
                 "explained_by")
