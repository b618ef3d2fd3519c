"""Measurements on metric series. They measure; the FD3xx rules judge."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from .spec import HistorySpec, Series

#: Keras' crossentropy on a saturated wrong prediction: -ln(1e-7) through its epsilon clipping.
#: A one-unit softmax outputs 1.0 for everything, so the loss is this value times the share of negatives.
SATURATED_BCE = 15.942385

def finite_values(series: Series) -> List[float]:
    return [v for v in series.values if math.isfinite(v)]


@dataclass(frozen=True)
class Frozen:
    value: float
    epochs: int
    spread: float


def frozen(series: Series, tolerance: float, min_epochs: int, relative: bool = False) -> Optional[Frozen]:
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


def direction_changes(values: Sequence[float]) -> Tuple[int, float]:
    """Number of up/down reversals and the mean absolute step relative to the median value."""
    steps = [b - a for a, b in zip(values, values[1:])]
    reversals = sum(1 for a, b in zip(steps, steps[1:]) if a * b < 0)
    ordered = sorted(values)
    median = ordered[len(ordered) // 2]
    amplitude = (sum(abs(s) for s in steps) / len(steps)) / abs(median) if steps and median else 0.0
    return reversals, amplitude


def first_nonfinite(series: Series) -> Optional[Tuple[int, float]]:
    for epoch, value in zip(series.epochs, series.values):
        if not math.isfinite(value):
            return epoch, value
    return None


def uniform_classes(loss: float, classes: Optional[int], tolerance: float) -> Optional[int]:
    """K when ``loss`` equals ln K, the crossentropy of a uniform K-way prediction."""
    candidates = [classes] if classes else range(2, 1001)
    for k in candidates:
        if k and k >= 2 and abs(loss - math.log(k)) <= tolerance:
            return k
    return None


def primary_accuracy(history: HistorySpec, validation: bool) -> Optional[Series]:
    """The accuracy series to judge: ``accuracy`` / ``val_accuracy`` first, then any other."""
    found = [s for s in history.accuracies() if s.is_validation == validation]
    found.sort(key=lambda s: (s.base not in ("accuracy", "acc"), s.name))
    return found[0] if found else None


def classes_of(model) -> Optional[int]:
    """Number of classes of a single-output model: K for a K-unit head, 2 for one unit."""
    if model is None or len(model.outputs) != 1:
        return None
    width = model.nodes[model.outputs[0].key].width
    if width is None:
        return None
    return 2 if width == 1 else width
