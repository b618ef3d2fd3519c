"""FD212: the optimizer's learning rate against the range each optimizer is used with."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..model.compile import DEFAULT_LEARNING_RATES
from ..model.schedules import UNENDING_DECAY, LearningRate, learning_rate
from ..model.spec import ModelSpec
from ..registry import rule
from ..types import Fix, Location, NotInspected, PatchOp, Severity, Symptom
from .compile import fine_tuned_backbones

#: Optimizers that scale each step by running gradient statistics (Adam's family, RMSprop, Lion).
ADAPTIVE = frozenset({"adam", "adamw", "adamax", "nadam", "rmsprop", "lion", "lamb", "muon"})
#: Float32 keeps 1e-2 as 0.0099999998: thresholds are compared with this relative slack.
_SLACK = 1e-6
_WHERE = Location(setting="optimizer.learning_rate")


@dataclass(frozen=True)
class LearningRateOptions:
    """Thresholds for FD212."""

    #: Too high for Adam, AdamW, Adamax, Nadam, RMSprop, Lion, Lamb at a constant rate (at or above: warning).
    max_adaptive: float = 3e-2
    #: Too high for SGD (at or above: warning).
    max_sgd: float = 1.0
    #: Too high for Adagrad, Ftrl and Adafactor (at or above: warning).
    max_accumulating: float = 1.0
    #: Too high for Adadelta (at or above: warning); its original algorithm has no learning rate, i.e. 1.0.
    max_adadelta: float = 10.0
    #: A rate less than this factor below the ceiling is reported as an info (Adam: from 1e-2).
    info_factor: float = 3.0
    #: A decaying or warmup schedule may peak this many times above the constant-rate ceiling.
    schedule_allowance: float = 10.0
    #: Too low for any optimizer (at or below: warning): the weights barely move.
    min_rate: float = 1e-6
    #: An exponential or inverse-time decay must still be above min_rate after this many steps.
    horizon_steps: int = 1000


def _ceiling(optimizer: str, options: LearningRateOptions) -> float | None:
    if optimizer in ADAPTIVE:
        return options.max_adaptive
    if optimizer == "sgd":
        return options.max_sgd
    if optimizer == "adadelta":
        return options.max_adadelta
    if optimizer in ("adagrad", "ftrl", "adafactor"):
        return options.max_accumulating
    return None


def _verdict(rate: LearningRate, options: LearningRateOptions) -> tuple[str, str, float, float, Severity] | None:
    """(direction, what, measured rate, threshold, severity) when the rate is out of range."""
    ceiling = _ceiling(rate.optimizer, options)
    what = "learning rate" if rate.constant else f"{rate.schedule} peak learning rate"
    if ceiling is not None:
        limit = ceiling if rate.constant else ceiling * options.schedule_allowance
        if rate.peak >= limit * (1 - _SLACK):
            return "high", what, rate.peak, limit, Severity.WARNING
        if rate.peak >= limit / options.info_factor * (1 - _SLACK):
            return "high", what, rate.peak, limit / options.info_factor, Severity.INFO
    if rate.peak <= options.min_rate * (1 + _SLACK):
        return "low", what, rate.peak, options.min_rate, Severity.WARNING
    if rate.schedule in UNENDING_DECAY:
        later = rate.rate_at(options.horizon_steps)
        if later <= options.min_rate * (1 + _SLACK):
            what = f"{rate.schedule} learning rate after {options.horizon_steps} steps"
            return "low", what, later, options.min_rate, Severity.WARNING
    return None


@rule("FD212", "learning-rate-out-of-range", Severity.WARNING, options=LearningRateOptions)
def learning_rate_out_of_range(compiled: ModelSpec, options: LearningRateOptions) -> Iterator:
    """A learning rate far outside the range its optimizer is used with.

    ## What it does
    Reads the compiled optimizer's learning rate, or its schedule's peak (after warmup) and its
    decay, and compares it with the range each optimizer is used with: too high at or above
    1e-2 for Adam, AdamW, Adamax, Nadam and RMSprop at a constant rate (a decaying or warmup
    schedule may peak 10 times higher), 1.0 for SGD, Adagrad and Ftrl, 10 for Adadelta (whose
    original rate is 1.0); too low at or below 1e-6 for any of them, including an exponential or
    inverse-time decay that gets there within 1000 steps. Each optimizer's Keras default is in
    range. A backbone being fine-tuned is FD207's business, which uses a lower ceiling.

    ## Why is this bad?
    Adam normalizes each step to about the learning rate, so at 0.1 every weight jumps by about
    0.1 per step: the loss oscillates or diverges, ReLUs die, and accuracy drops to chance. SGD
    at 1.0 overshoots unless the loss is unusually flat. At 1e-6 or below the weights barely move
    and the loss looks flat for many epochs, which reads like a broken model. `decay_steps=1`
    in an exponential schedule (meant as "every epoch") shrinks the rate by the decay factor on
    every batch, so it is gone within a few hundred steps.

    ## Example
    ```python
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.1), loss="categorical_crossentropy")
    ```

    ## Use instead
    ```python
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="categorical_crossentropy")
    ```
    Use a schedule (`keras.optimizers.schedules.CosineDecay` with warmup) or
    `keras.callbacks.ReduceLROnPlateau` to go higher at first and lower later.
    """
    optimizer = compiled.compile.optimizer
    if optimizer is None:
        return
    rate = learning_rate(optimizer)
    if rate is None:
        what = f"learning-rate schedule {optimizer.schedule}" if optimizer.schedule else "learning rate"
        yield NotInspected(f"optimizer {optimizer.class_name}: its {what} cannot be read", _WHERE)
        return
    if _ceiling(rate.optimizer, options) is None:
        yield NotInspected(f"optimizer {optimizer.class_name}: no learning-rate range known", _WHERE)
    found = _verdict(rate, options)
    if found is None:
        return
    direction, what, measured, limit, severity = found
    if direction == "high" and fine_tuned_backbones(compiled):
        return  # FD207 reports it at the backbone, against the (lower) fine-tuning ceiling
    default = DEFAULT_LEARNING_RATES.get(rate.optimizer, 1e-3)
    name = optimizer.class_name
    if rate.optimizer != name.lower():  # the optimizer a LossScaleOptimizer wraps
        name = f"{name} ({rate.optimizer})"
    if direction == "low":
        verdict = f"too low (threshold {limit:g}): the weights barely move and the loss looks flat for many epochs"
    elif severity == Severity.WARNING:
        verdict = f"too high (threshold {limit:g}): each step overshoots, the loss oscillates or diverges and units die"
    else:
        verdict = (f"high (from {limit:g}): it may train a small model, but it is {rate.peak / default:.0f}x the usual "
                   "rate and deeper models tend to oscillate or diverge at it")
    yield Symptom(
        f"{name} {what} is {measured:g}, {verdict}",
        _WHERE,
        {"optimizer": optimizer.class_name, "learning_rate": _round(measured), "schedule": rate.schedule,
         "initial_learning_rate": _round(rate.start) if rate.schedule else None,
         ("max_learning_rate" if direction == "high" else "min_learning_rate"): limit},
        Fix(f"Use the usual learning rate of {name}, {default:g} (or a schedule around it)",
            f"optimizer=keras.optimizers.{optimizer.class_name}(learning_rate={default:g})",
            (PatchOp("optimizer", None, "learning_rate", default),)),
        None if severity == Severity.WARNING else severity,
    )


def _round(value: float) -> float:
    return float(f"{value:.6g}")
