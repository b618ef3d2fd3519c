"""Measurements on metric series. They measure; the FD3xx rules judge."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from ..model.task import tasks
from .spec import HistorySpec, Series

#: Keras' crossentropy on a saturated wrong prediction: -ln(1e-7) through its epsilon clipping.
#: A one-unit softmax outputs 1.0 for everything, so the loss is this value times the share of negatives.
SATURATED_BCE = 15.942385

def finite_values(series: Series) -> list[float]:
    return [v for v in series.values if math.isfinite(v)]


@dataclass(frozen=True)
class Frozen:
    value: float
    epochs: int
    spread: float


def frozen(series: Series, tolerance: float, min_epochs: int, relative: bool = False) -> Frozen | None:
    """The series stays within ``tolerance`` (absolute, or relative to its mean) for all its epochs."""
    values = finite_values(series)
    if len(values) < min_epochs or len(values) != len(series.values):
        return None
    spread = max(values) - min(values)
    mean = sum(values) / len(values)
    limit = tolerance * abs(mean) if relative else tolerance
    return Frozen(mean, len(values), spread) if spread <= limit else None


def relative_change(values: Sequence[float]) -> float:
    """(first - min) / first: how far a loss has come down from where it started."""
    first = values[0]
    return (first - min(values)) / abs(first) if first else 0.0


def direction_changes(values: Sequence[float]) -> tuple[int, float]:
    """Number of up/down reversals and the mean absolute step relative to the median value."""
    steps = [b - a for a, b in zip(values, values[1:], strict=False)]
    reversals = sum(1 for a, b in zip(steps, steps[1:], strict=False) if a * b < 0)
    ordered = sorted(values)
    median = ordered[len(ordered) // 2]
    amplitude = (sum(abs(s) for s in steps) / len(steps)) / abs(median) if steps and median else 0.0
    return reversals, amplitude


def efficiency(values: Sequence[float]) -> float:
    """Net change divided by the path length (the sum of step sizes): 1.0 for a curve that moves one
    way only, near 0 for one that goes back and forth and ends where it started."""
    path = sum(abs(b - a) for a, b in zip(values, values[1:], strict=False))
    return abs(values[-1] - values[0]) / path if path else 1.0


def falling_share(values: Sequence[float]) -> float:
    """Share of epoch-to-epoch steps that go down."""
    steps = [b - a for a, b in zip(values, values[1:], strict=False)]
    return sum(1 for s in steps if s < 0) / len(steps) if steps else 0.0


def prior_entropy(counts: Sequence[int]) -> float:
    """Crossentropy (nats) of always predicting the class shares: what a model that ignores its
    inputs converges to."""
    total = sum(counts)
    return -sum(c / total * math.log(c / total) for c in counts if c) if total else math.nan


def first_nonfinite(series: Series) -> tuple[int, float] | None:
    for epoch, value in zip(series.epochs, series.values, strict=False):
        if not math.isfinite(value):
            return epoch, value
    return None


def uniform_classes(loss: float, classes: int | None, tolerance: float) -> int | None:
    """K when ``loss`` equals ln K, the crossentropy of a uniform K-way prediction."""
    candidates = [classes] if classes else range(2, 1001)
    for k in candidates:
        if k and k >= 2 and abs(loss - math.log(k)) <= tolerance:
            return k
    return None


def primary_accuracy(history: HistorySpec, validation: bool, exclude: Collection[str] = ()) -> Series | None:
    """The accuracy series to judge: ``accuracy`` / ``val_accuracy`` first, then any other; series
    named in ``exclude`` (see :func:`meaningless_accuracies`) are never judged."""
    found = [s for s in history.accuracies() if s.is_validation == validation and s.name not in exclude]
    found.sort(key=lambda s: (s.base not in ("accuracy", "acc"), s.name))
    return found[0] if found else None


def _owner(series: Series, model) -> str | None:
    """The model output an accuracy series belongs to: the only one, or the one its name starts with."""
    if len(model.outputs) == 1:
        return model.outputs[0].name
    matches = [o.name for o in model.outputs if series.base.startswith(o.name + "_")]
    return max(matches, key=len) if matches else None


def meaningless_accuracies(history: HistorySpec, model=None) -> dict[str, str]:
    """Accuracy series that are evidence of nothing, with the reason: those of a regression output
    (by the task model), and, unless the model says the output is a classifier, those frozen at
    exactly 0.0 -- the signature of accuracy on real-valued targets, not of a constant classifier
    (which scores the share of the class it predicts)."""
    found: dict[str, str] = {}
    known = tasks(model) if model is not None else {}
    for series in history.accuracies():
        owner = _owner(series, model) if model is not None else None
        task = known.get(owner) if owner else None
        values = finite_values(series)
        if task is not None and task.kind == "regression":
            found[series.name] = f"belongs to the regression output '{owner}', where accuracy means nothing"
        elif (task is None or not task.is_classification) and values and len(values) == len(series.values) \
                and max(values) == 0.0 == min(values):
            found[series.name] = ("frozen at 0.0: the signature of accuracy on real-valued targets (a regression), "
                                  "not of a constant classifier; give the model to tell")
    return found


def classes_of(model) -> int | None:
    """Number of classes of a single-output model, from the task model: 2 for a binary output,
    K for a K-class one; None for regression, multi-label (no single chance level) or unknown."""
    if model is None or len(model.outputs) != 1:
        return None
    task = tasks(model)[model.outputs[0].name]
    return task.classes if task.kind in ("binary", "multiclass") else None
