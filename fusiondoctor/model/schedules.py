"""The learning rate an optimizer config trains with: a constant, or a Keras schedule read from its
config (both dialects serialize the built-in schedules alike). Pure: no Keras."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .compile import DEFAULT_LEARNING_RATES, parse_optimizer
from .spec import OptimizerSpec


@dataclass(frozen=True)
class LearningRate:
    """What a compiled optimizer's learning rate does over training."""

    optimizer: str  # the optimizer's class name, lower case (``adam``)
    schedule: str | None  # the schedule's class name; None for a constant rate
    start: float  # the rate of the first step
    peak: float  # the highest rate it reaches (after warmup)
    rate_at: Callable[[int], float]  # the rate at a given step

    @property
    def constant(self) -> bool:
        return self.schedule is None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        value = float(value)
    except OverflowError:  # an integer beyond any float (JSON allows 10**400)
        return None
    return value if math.isfinite(value) else None


def _decay(c: dict[str, Any]) -> tuple:
    return _number(c.get("initial_learning_rate")), _number(c.get("decay_steps")), _number(c.get("decay_rate"))


def _exponential(c: dict[str, Any]) -> tuple | None:
    start, steps, rate = _decay(c)
    if start is None or not steps or steps <= 0 or rate is None or rate <= 0:
        return None
    stair = bool(c.get("staircase"))
    return start, start, lambda t: start * rate ** (math.floor(t / steps) if stair else t / steps)


def _inverse_time(c: dict[str, Any]) -> tuple | None:
    start, steps, rate = _decay(c)
    if start is None or not steps or steps <= 0 or rate is None or rate < 0:
        return None
    stair = bool(c.get("staircase"))
    return start, start, lambda t: start / (1 + rate * (math.floor(t / steps) if stair else t / steps))


def _polynomial(c: dict[str, Any]) -> tuple | None:
    start, steps = _number(c.get("initial_learning_rate")), _number(c.get("decay_steps"))
    end, power = _number(c.get("end_learning_rate", 1e-4)), _number(c.get("power", 1.0))
    if start is None or end is None or power is None or not steps or steps <= 0:
        return None
    return start, max(start, end), lambda t: (start - end) * (1 - min(t, steps) / steps) ** power + end


def _piecewise(c: dict[str, Any]) -> tuple | None:
    values = c.get("values")
    boundaries = c.get("boundaries")
    if not isinstance(values, list) or not isinstance(boundaries, list) or not values:
        return None
    rates = [_number(v) for v in values]
    bounds = [_number(b) for b in boundaries]
    if any(r is None for r in rates) or any(b is None for b in bounds):
        return None
    if len(rates) != len(bounds) + 1:
        return None
    return rates[0], max(rates), lambda t: rates[sum(1 for b in bounds if t > b)]


def _cosine(c: dict[str, Any]) -> tuple | None:
    start, steps = _number(c.get("initial_learning_rate")), _number(c.get("decay_steps", c.get("first_decay_steps")))
    alpha = _number(c.get("alpha", 0.0)) or 0.0
    target = _number(c.get("warmup_target"))
    warmup = _number(c.get("warmup_steps")) or 0.0
    if start is None or not steps or steps <= 0:
        return None
    top = target if target is not None and warmup > 0 else start

    def rate(t: int) -> float:
        if warmup and t < warmup:
            return start + (top - start) * t / warmup
        done = min(t - warmup, steps) / steps
        return top * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * done)) + alpha)

    return start, max(start, top), rate


_SCHEDULES = {
    "ExponentialDecay": _exponential, "InverseTimeDecay": _inverse_time, "PolynomialDecay": _polynomial,
    "PiecewiseConstantDecay": _piecewise, "CosineDecay": _cosine, "CosineDecayRestarts": _cosine,
}
#: Schedules whose decay never ends: their rate at any step can be read as a fault (the others decay
#: to a floor the user chose, at a step the user chose).
UNENDING_DECAY = frozenset({"ExponentialDecay", "InverseTimeDecay"})


def learning_rate(optimizer: OptimizerSpec) -> LearningRate | None:
    """The learning rate of a compiled optimizer; None when it cannot be read (an unknown
    schedule or optimizer, a rate that is not a number)."""
    name = optimizer.class_name.lower()
    config = optimizer.raw.get("config") if isinstance(optimizer.raw, dict) else None
    inner = config.get("inner_optimizer") if isinstance(config, dict) else None
    if isinstance(inner, dict) and "learning_rate" not in config:  # LossScaleOptimizer (mixed precision)
        return learning_rate(parse_optimizer(inner))
    rate = config.get("learning_rate", config.get("lr")) if isinstance(config, dict) else None
    if isinstance(rate, dict):
        schedule = str(rate.get("class_name", "")).split(">")[-1]
        registered = str(rate.get("registered_name") or "")
        custom = str(rate.get("class_name", "")).startswith("Custom>") or registered.startswith("Custom")
        reader = None if custom else _SCHEDULES.get(schedule)
        read = reader(rate.get("config") or {}) if reader and isinstance(rate.get("config"), dict) else None
        if read is None:
            return None
        start, peak, at = read
        return LearningRate(name, schedule, start, peak, at)
    constant = _number(rate) if rate is not None else DEFAULT_LEARNING_RATES.get(name)
    if constant is None:
        return None
    return LearningRate(name, None, constant, constant, lambda t: constant)
