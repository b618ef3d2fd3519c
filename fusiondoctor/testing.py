"""Assertions for test suites: keep broken models out of a code base.

Plain functions, usable with or without the pytest plugin. A failing assertion shows the findings
the way the text report does, and fusiondoctor's own frames are hidden from the traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .config import Settings, parse_severity, resolve
from .engine import diagnose
from .subject import make_subject
from .types import Report, Severity


def run_check(obj: Any, history: Any = None, settings: Settings | None = None,
              select: Iterable[str] | None = None, ignore: Iterable[str] = (),
              fail_on: str | None = None) -> tuple[Report, Settings]:
    """The report on ``obj`` and the settings it was judged with."""
    active = resolve(settings, select=select, ignore=ignore, fail_on=fail_on)
    return diagnose(make_subject(obj, history=history, limits=active.limits), active), active


def failure_text(report: Report, fail_on: Severity) -> str:
    """The text report restricted to what fails at ``fail_on``, for assertion messages."""
    from .render.text import finding_block

    lines = [f"fusiondoctor found problems at or above '{fail_on.label}':", ""]
    for finding in report.findings:
        if finding.severity >= fail_on:
            lines.extend(finding_block(finding))
            lines.append("")
    for error in report.errors:
        lines.append(
            f"{error.code} {error.name} crashed ({error.exc_type}: {error.message}): the diagnosis is incomplete"
        )
    return "\n".join(lines).rstrip()


def assert_healthy(obj: Any, history: Any = None, *, select: Iterable[str] | None = None,
                   ignore: Iterable[str] = (), fail_on: str | None = None,
                   settings: Settings | None = None) -> Report:
    """Fail unless ``obj`` (a keras.Model or model file, and/or ``history``) has no finding at or
    above ``fail_on`` (default: the configured fail-on, ``warning``) and no rule crashed."""
    __tracebackhide__ = True
    report, active = run_check(obj, history, settings, select, ignore, fail_on)
    if report.failed(active.fail_on) or report.errors:
        raise AssertionError(failure_text(report, active.fail_on))
    return report


def assert_finds(code: str, obj: Any, history: Any = None, *, settings: Settings | None = None) -> Report:
    """Fail unless the rule ``code`` reports ``obj``: for rule authors and regression tests."""
    __tracebackhide__ = True
    report, _ = run_check(obj, history, settings or Settings(), select=[code])
    if code.upper() not in report.codes():
        found = ", ".join(f.code for f in report.findings) or "nothing"
        raise AssertionError(f"expected fusiondoctor to report {code.upper()}, but it found {found}")
    return report


def assert_trains(model: Any, data: Any, *, steps: int = 30, batch_size: int = 32, min_drop: float = 0.3) -> dict:
    """The classic smoke test: a fresh copy of ``model`` can overfit one small batch of ``data``.

    ``data`` is ``(x, y)``. The copy is re-initialized and compiled like ``model`` (``model`` itself
    is not trained); it trains ``steps`` steps on the first ``batch_size`` samples. Passes when the
    loss falls by at least ``min_drop`` of its first value AND the predictions differ between
    samples: a model that outputs a constant (a softmax over one unit) can lower its loss on
    TensorFlow without ever changing a prediction.
    """
    __tracebackhide__ = True
    from .live.smoke import overfit_one_batch  # lazy: needs Keras

    result = overfit_one_batch(model, data, steps=steps, batch_size=batch_size)
    problems = []
    if result["loss_drop"] < min_drop:
        problems.append(
            f"the loss fell only {result['loss_drop']:.1%} ({result['loss_first']:.4g} -> "
            f"{result['loss_last']:.4g}) in {steps} steps on {result['samples']} samples (needed {min_drop:.0%})"
        )
    if result["prediction_spread"] <= 1e-6:
        problems.append(
            f"every sample gets the same prediction (spread {result['prediction_spread']:.2g}): the output is constant"
        )
    if problems:
        raise AssertionError("the model cannot overfit one small batch: " + "; ".join(problems)
                             + ". Run fusiondoctor.check(model) for the cause.")
    return result


__all__ = ["assert_finds", "assert_healthy", "assert_trains", "failure_text", "run_check", "parse_severity"]
