"""DoctorCallback: the same rules, during ``model.fit``, with epoch hooks only.

    model.fit(x, y, epochs=50, callbacks=[fusiondoctor.DoctorCallback(action="stop")])

``on_train_begin`` runs the model and compile rules (a softmax over one unit is reported before
the first step); ``on_epoch_end`` runs the history rules on the callback's own log buffer and,
every ``every`` epochs, the live monitors (FD6xx). Each finding is reported once; messages wait for
the next epoch boundary so they never cut into Keras' progress bar. No batch hooks: they would
switch off Keras' asynchronous dispatch.
"""

from __future__ import annotations

from collections.abc import Iterable

import keras
import numpy as np

from .config import Settings, parse_severity, resolve
from .engine import Subject, diagnose
from .errors import FusionDoctorError
from .history.spec import from_columns
from .live.keras_model import first_samples
from .live.monitor import Monitor
from .model.live import raw_from_live
from .model.normalize import normalize
from .render.text import finding_block
from .types import Report, Severity

ACTIONS = ("warn", "stop", "raise")
_STATIC = {"model", "compiled"}
#: Samples of the probe batch used by the live monitors.
PROBE_SAMPLES = 64


class DiagnosisError(FusionDoctorError):
    """Raised by DoctorCallback(action="raise"); ``report`` holds the findings."""

    def __init__(self, report: Report, fail_on: Severity):
        from .testing import failure_text

        super().__init__(failure_text(report, fail_on))
        self.report = report


class DoctorCallback(keras.callbacks.Callback):
    """Diagnose a model while it trains; warn, stop, or raise with the cause."""

    def __init__(self, select: Iterable[str] | None = None, ignore: Iterable[str] = (), fail_on: str = "error",
                 action: str = "warn", report: str | None = None, probe: tuple | None = None, every: int = 5,
                 settings: Settings | None = None, verbose: bool = True, show: str = "warning"):
        super().__init__()
        if action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}, not {action!r}")
        if every < 1:
            raise ValueError("every must be a positive number of epochs")
        self.action = action
        self.report_path = report
        self.every = every
        self.verbose = verbose
        self.probe = (first_samples(probe[0], PROBE_SAMPLES), first_samples(probe[1], PROBE_SAMPLES)) \
            if probe is not None else None
        self.settings = resolve(settings, select=select, ignore=ignore, fail_on=fail_on)
        self.fail_on = self.settings.fail_on
        self.show = parse_severity(show)  # findings below this go to the report file only
        self.report = Report()
        self._logs: dict[str, list[float]] = {}
        self._seen: set = set()
        self._pending: list[str] = []
        self.stopped_by_doctor = False

    # ---- Keras hooks -------------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        self._logs, self._seen, self._pending, self.report = {}, set(), [], Report()
        self._spec = normalize(raw_from_live(self.model, f"<model {self.model.name}>"))
        self._name = self._spec.source
        self._monitor = Monitor(self._spec)
        self._monitor.start(self.model)
        rules = [r for r in self.settings.rules() if set(r.needs) <= _STATIC]
        self._consider(diagnose(Subject(self._name, model=self._spec), self.settings, rules))
        self._flush()  # before the first epoch: nothing to interleave with yet

    def on_epoch_begin(self, epoch, logs=None):
        self._flush()

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            if isinstance(value, (int, float, np.floating, np.integer)):
                self._logs.setdefault(key, []).append(float(value))
        history = from_columns(self._logs, self._name, "callback") if self._logs else None
        monitor = self._monitor.read(self.model, epoch, self.probe) if (epoch + 1) % self.every == 0 else None
        rules = [
            r
            for r in self.settings.rules()
            if r.needs and not set(r.needs) <= _STATIC and set(r.needs) <= {"history", "monitor", "model", "compiled"}
        ]
        self._consider(
            diagnose(Subject(self._name, model=self._spec, history=history, monitor=monitor), self.settings, rules)
        )

    def on_train_end(self, logs=None):
        self._flush()
        if self.report_path:
            self._write_report()

    # ---- internals ---------------------------------------------------------------------------

    def _consider(self, report: Report) -> None:
        """Keep new findings, queue their messages, and act on the first that reaches fail_on."""
        fresh = []
        for finding in report.findings:
            location = finding.location
            key = (finding.code, location.layer, location.output, location.metric)
            if key in self._seen:
                continue
            self._seen.add(key)
            fresh.append(finding)
        self.report = self.report.merged(
            Report(report.subjects[:0], tuple(fresh), (), report.not_inspected, report.errors)
        )
        for finding in (f for f in fresh if f.severity >= self.show):
            self._pending.append("\n".join(["fusiondoctor: " + finding_block(finding)[0], *finding_block(finding)[1:]]))
        failing = [f for f in fresh if f.severity >= self.fail_on]
        if not failing:
            return
        if self.action == "stop":
            self.model.stop_training = True
            self.stopped_by_doctor = True
            self._pending.append(f"fusiondoctor: stopping training: {failing[0].code} {failing[0].name}")
        elif self.action == "raise":
            self._flush()
            raise DiagnosisError(Report(("",), tuple(failing)), self.fail_on)

    def _flush(self) -> None:
        if self.verbose and self._pending:
            print("\n".join(self._pending), flush=True)  # stdout, like Keras' own progress lines
        self._pending = []

    def _write_report(self) -> None:
        from pathlib import Path

        from .render import SUFFIXES, render

        path = Path(self.report_path)
        fmt = SUFFIXES.get(path.suffix.lower(), "text")
        report = Report((self._name,), self.report.findings, (), self.report.not_inspected, self.report.errors)
        path.write_text(render(report, fmt), encoding="utf-8")
