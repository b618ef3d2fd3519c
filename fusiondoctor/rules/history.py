"""FD3xx: symptoms in a training history (Keras History, JSON, CSVLogger CSV, TensorBoard logs)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..history.signals import (
    SATURATED_BCE,
    classes_of,
    direction_changes,
    efficiency,
    falling_share,
    finite_values,
    first_nonfinite,
    frozen,
    meaningless_accuracies,
    primary_accuracy,
    prior_entropy,
    relative_change,
    uniform_classes,
)
from ..history.spec import HistorySpec, Series
from ..measurements import Measurements
from ..model import vocab
from ..model.compile import DEFAULT_LEARNING_RATES
from ..model.schedules import learning_rate
from ..model.spec import ModelSpec
from ..registry import rule
from ..types import Fix, Location, NotInspected, PatchOp, Severity, Symptom

#: Static findings that make a model predict one constant class.
CONSTANT_OUTPUT_CAUSES = ("FD101", "FD108", "FD201", "FD202", "FD204")
CONSTANT_OTHER_CAUSES = (
    "labels that do not vary (all one class) or do not match the inputs",
    "inputs that are constant or all zero after preprocessing",
    "a learning rate so high that the first steps saturate the output, or so low that nothing moves",
    "dead ReLU units feeding the head",
)


def _round(value: float) -> float:
    return round(value, 4) if math.isfinite(value) else value


RATE_SETTING = "optimizer.learning_rate"


@dataclass(frozen=True)
class CompiledRate:
    """The compiled optimizer's learning rate, as far as the model file tells."""

    optimizer: str  # class name, as written (``Adam``)
    rate: float  # the constant rate, or a schedule's peak
    default: float  # the optimizer's Keras default
    schedule: str | None


def compiled_rate(model: ModelSpec | None) -> CompiledRate | None:
    """The learning rate the model was compiled with, when the model and its optimizer are known."""
    optimizer = model.compile.optimizer if model is not None and getattr(model, "compile", None) else None
    rate = learning_rate(optimizer) if optimizer is not None else None
    if rate is None or not math.isfinite(rate.peak) or rate.peak <= 0:
        return None
    return CompiledRate(optimizer.class_name, rate.peak, DEFAULT_LEARNING_RATES.get(rate.optimizer, 1e-3),
                        rate.schedule)


def rate_evidence(rate: CompiledRate | None) -> dict:
    if rate is None:
        return {}
    return {"optimizer": rate.optimizer, "learning_rate": float(f"{rate.rate:.6g}"), "schedule": rate.schedule}


def _nice(value: float) -> float:
    """``value`` to one significant digit (3e-4, not 3.162e-4)."""
    return float(f"{value:.0e}")


def rate_fix(rate: CompiledRate | None, direction: str) -> Fix:
    """Lower (or raise) the learning rate tenfold; a patch when the compiled rate is known (a
    schedule is replaced by a constant rate tenfold below, or above, its peak)."""
    if direction == "lower":
        if rate is None:
            return Fix("Lower the learning rate tenfold (and clip gradients)",
                       "optimizer=keras.optimizers.Adam(learning_rate=1e-4, clipnorm=1.0)")
        new = _nice(rate.rate / 10)
        return Fix(f"Lower the {rate.optimizer} learning rate tenfold, from {rate.rate:g} to {new:g}",
                   f"optimizer=keras.optimizers.{rate.optimizer}(learning_rate={new:g})",
                   (PatchOp("optimizer", None, "learning_rate", new),))
    if rate is None:
        return Fix("Raise the learning rate tenfold (Adam's usual rate is 1e-3, SGD's 1e-2)",
                   "optimizer=keras.optimizers.Adam(learning_rate=1e-3)")
    new = _nice(rate.rate * 10)
    return Fix(f"Raise the {rate.optimizer} learning rate tenfold, from {rate.rate:g} to {new:g} "
               f"(its usual rate is {rate.default:g})",
               f"optimizer=keras.optimizers.{rate.optimizer}(learning_rate={new:g})",
               (PatchOp("optimizer", None, "learning_rate", new),))


@dataclass(frozen=True)
class FrozenOptions:
    """Thresholds for FD301."""

    #: Largest spread (max - min) of a metric that still counts as frozen.
    tolerance: float = 1e-4
    #: Fewest epochs needed before calling a metric frozen.
    min_epochs: int = 3


@rule("FD301", "frozen-metric", Severity.WARNING, options=FrozenOptions,
      explained_by=CONSTANT_OUTPUT_CAUSES + ("FD309", "FD311"), causes=CONSTANT_OTHER_CAUSES)
def frozen_metric(history: HistorySpec, options: FrozenOptions, model: ModelSpec = None) -> Iterator:
    """An accuracy metric that does not move at all across epochs.

    ## What it does
    Finds accuracy metrics (training and validation) whose values stay within a tiny tolerance
    for every epoch. Accuracy on a regression output (by the task model) means nothing and is
    never judged; without the model, an accuracy frozen at exactly 0.0 is the signature of
    accuracy on real-valued targets, and is listed as not inspected instead.

    ## Why is this bad?
    Accuracy changes whenever any prediction flips. A value that is identical epoch after epoch
    means the model predicts the same class for every sample: the accuracy equals the share of that
    class (0.5 on balanced data, the positive rate otherwise). The loss may still fall (Keras 3 on
    TensorFlow trains the logit behind a one-unit softmax), which makes the bug easy to miss.

    ## Example
    ```text
    Epoch 1/50 - accuracy: 0.5000 - loss: 8.0590 - val_accuracy: 0.5000 - val_loss: 7.9712
    Epoch 2/50 - accuracy: 0.5000 - loss: 8.0590 - val_accuracy: 0.5000 - val_loss: 7.9712
    ```

    ## Use instead
    ```text
    Epoch 1/50 - accuracy: 0.6118 - loss: 0.6587 - val_accuracy: 0.6641 - val_loss: 0.6312
    Epoch 2/50 - accuracy: 0.7021 - loss: 0.5770 - val_accuracy: 0.7109 - val_loss: 0.5690
    ```
    Fix the cause the report links (for example FD101, a softmax over one unit).
    """
    meaningless = meaningless_accuracies(history, model)
    for name, reason in meaningless.items():
        yield NotInspected(f"{name}: {reason}", Location(metric=name))
    for series in history.accuracies():
        if series.name in meaningless:
            continue
        result = frozen(series, options.tolerance, options.min_epochs)
        if result is None or result.value >= 1.0 - options.tolerance:
            continue  # frozen at 1.0 is a solved task, not a stuck one
        yield Symptom(
            f"{series.name} is frozen at {result.value:.4f} for all {result.epochs} epochs: the model predicts "
            f"the same class for every sample, so accuracy equals that class's share",
            Location(metric=series.name),
            {"metric": series.name, "value": _round(result.value), "epochs": result.epochs,
             "spread": _round(result.spread), "tolerance": options.tolerance},
        )


@dataclass(frozen=True)
class ChanceOptions:
    """Thresholds for FD302."""

    #: Number of classes when no model is given (None: take it from the model).
    classes: int | None = None
    #: How far above chance (1/K) the best validation accuracy may be and still count as chance;
    #: against a majority share it shrinks in proportion to the room left above chance.
    margin: float = 0.03
    #: Fewest epochs needed.
    min_epochs: int = 3


@rule("FD302", "chance-level-accuracy", Severity.WARNING, options=ChanceOptions,
      explained_by=CONSTANT_OUTPUT_CAUSES + ("FD102", "FD104", "FD207", "FD309", "FD310", "FD311"),
      causes=("labels shuffled out of step with the inputs", "a train/validation split from different distributions",
              "too little data for the model's size") + CONSTANT_OTHER_CAUSES[1:3], measures=("labels",))
def chance_level_accuracy(history: HistorySpec, options: ChanceOptions, model: ModelSpec = None,
                          measurements: Measurements = None) -> Iterator:
    """Validation accuracy that never rises above chance (1/K for K classes, or the majority share).

    ## What it does
    Compares the best validation accuracy over all epochs with chance: 1/K, taking K from the task
    model (a binary output has two classes) or from the `classes` option, or, when the class
    balance is known from the labels of `--data`, the majority class's share (always answering
    the majority class scores that much). Accuracy on a regression output, or frozen at 0.0
    without a model to say it is a classifier, is not judged.

    ## Why is this bad?
    A model at 1/K has learned nothing that carries over to new data. When training accuracy
    climbs at the same time, the model memorizes the training set (or the backbone's statistics
    drift, as with a BatchNormalization backbone fine-tuned on a few hundred spectrograms).

    ## Example
    ```text
    val_accuracy: 0.19 0.21 0.18 0.20 0.22   (6 classes: chance is 0.167)
    ```

    ## Use instead
    ```text
    val_accuracy: 0.31 0.42 0.49 0.55 0.58
    ```
    Check labels and splits first, then the findings the report links.
    """
    classes = options.classes or classes_of(model)
    meaningless = meaningless_accuracies(history, model)
    series = primary_accuracy(history, True, meaningless) or primary_accuracy(history, False, meaningless)
    if series is None:
        return
    if not classes:
        yield NotInspected(f"{series.name}: number of classes unknown (give the model, or set the classes option)",
                           Location(metric=series.name))
        return
    values = finite_values(series)
    if len(values) < options.min_epochs:
        return
    chance, how, margin = 1.0 / classes, f"1/{classes}", options.margin
    counts = class_counts(measurements, model)
    if counts and len(counts) <= classes and max(counts) / sum(counts) > chance:
        # the margin shrinks with the room left above chance: 0.03 of 1/2's room is 0.004 of 0.926's
        margin = options.margin * (1 - max(counts) / sum(counts)) / (1 - chance)
        chance, how = max(counts) / sum(counts), f"the majority class's share of the {sum(counts)} labels given"
    best = max(values)
    if best > chance + margin:
        return
    yield Symptom(
        f"{series.name} never rises above chance: best {best:.4f} over {len(values)} epochs, "
        f"chance is {how} = {chance:.4f}",
        Location(metric=series.name),
        {"metric": series.name, "best": _round(best), "last": _round(values[-1]), "classes": classes,
         "chance": _round(chance), "margin": _round(margin),
         "class_counts": ", ".join(map(str, counts)) if counts else None},
    )


def class_counts(measurements: Measurements | None, model: ModelSpec | None) -> tuple[int, ...] | None:
    """Samples per class of the single classification output, from the measured labels."""
    if measurements is None or not measurements.labels or model is None or len(model.outputs) != 1:
        return None
    summary = measurements.labels.get(model.outputs[0].name)
    counts = summary.class_counts if summary is not None else None
    return counts if counts and sum(counts) > 0 and len(counts) >= 2 else None


@dataclass(frozen=True)
class FingerprintOptions:
    """Thresholds for FD303."""

    #: Relative spread of a loss that still counts as constant.
    loss_tolerance: float = 1e-3
    #: How closely loss / 15.94 must match the share of the other class for the saturated fingerprint.
    share_tolerance: float = 0.02
    #: How closely a constant loss must match ln K for the uniform-output fingerprint.
    uniform_tolerance: float = 2e-3
    #: A loss at or below this from the first epoch is the one-unit categorical crossentropy fingerprint.
    zero_loss: float = 1e-6
    #: Relative fall of the loss that counts as "the loss moves" while accuracy stays frozen.
    moving_loss: float = 0.05
    #: Fewest epochs needed.
    min_epochs: int = 3


@dataclass(frozen=True)
class Fingerprint:
    kind: str
    message: str
    evidence: dict
    metric: str


def constant_prediction_fingerprint(history: HistorySpec, options: FingerprintOptions, classes: int | None = None,
                                    model: ModelSpec | None = None) -> Fingerprint | None:
    """The loss signature of a model that outputs the same prediction for every sample, if any.
    Accuracy series that mean nothing (a regression's, or frozen at 0.0 without a model that says
    classifier) are no evidence."""
    loss = history.get("loss")
    if loss is None:
        return None
    values = finite_values(loss)
    if len(values) < options.min_epochs or len(values) != len(loss.values):
        return None
    accuracy = primary_accuracy(history, False, meaningless_accuracies(history, model))
    acc_frozen = frozen(accuracy, 1e-4, options.min_epochs) if accuracy else None
    if values[0] <= options.zero_loss and max(values) <= options.zero_loss:
        return Fingerprint("zero-loss", f"loss is {values[0]:.2g} from the first epoch: a categorical crossentropy "
                           "over one unit is always 0, so nothing is learned", {"loss": values[0]}, "loss")
    loss_frozen = frozen(loss, options.loss_tolerance, options.min_epochs, relative=True)
    if loss_frozen and acc_frozen and 0 < loss_frozen.value <= SATURATED_BCE * 1.001:
        share = loss_frozen.value / SATURATED_BCE
        if abs(share - (1 - acc_frozen.value)) <= options.share_tolerance:
            return Fingerprint(
                "saturated",
                f"loss is pinned at {loss_frozen.value:.4f} = 15.94 x {share:.3f}, and {accuracy.name} at "
                f"{acc_frozen.value:.4f} = 1 - {share:.3f}: every sample gets the same saturated prediction "
                "(the signature of a softmax over one unit in Keras 2 and in Keras 3 on JAX/PyTorch)",
                {"loss": _round(loss_frozen.value), "share_of_other_class": _round(share),
                 accuracy.name: _round(acc_frozen.value), "saturated_loss": SATURATED_BCE}, "loss")
    if loss_frozen:
        k = uniform_classes(loss_frozen.value, classes, options.uniform_tolerance)
        if k and not classes and not (acc_frozen and abs(acc_frozen.value - 1.0 / k) <= 0.05):
            k = None  # without the model, ln K alone is too easy to match by chance
        if k:
            return Fingerprint(
                "uniform", f"loss is pinned at {loss_frozen.value:.4f} = ln {k}: the model outputs the uniform "
                f"distribution over {k} classes for every sample",
                {"loss": _round(loss_frozen.value), "classes": k, "ln_k": _round(math.log(k))}, "loss")
    if acc_frozen and relative_change(values) >= options.moving_loss:
        return Fingerprint(
            "loss-falls-accuracy-frozen",
            f"loss falls by {relative_change(values):.0%} while {accuracy.name} stays at {acc_frozen.value:.4f}: the "
            "loss trains something the predictions never show (a softmax over one unit looks like this in Keras 3 "
            "on TensorFlow and tf_keras, which train the logit behind it; so does a model that can only move its bias)",
            {"loss_first": _round(values[0]), "loss_last": _round(values[-1]), accuracy.name: _round(acc_frozen.value)},
            accuracy.name)
    return None


@rule("FD303", "constant-prediction-loss", Severity.ERROR, options=FingerprintOptions,
      explained_by=CONSTANT_OUTPUT_CAUSES, causes=CONSTANT_OTHER_CAUSES)
def constant_prediction_loss(history: HistorySpec, options: FingerprintOptions,
                             model: ModelSpec = None) -> Iterator[Symptom]:
    """A loss curve with the fingerprint of a model that outputs one constant prediction.

    ## What it does
    Recognizes four signatures of a constant output, which differ by Keras version and backend:
    a loss pinned at 15.94 x (share of the other class) with accuracy frozen at the remaining share
    (a saturated output: Keras 2, Keras 3 on JAX or PyTorch); a loss of ~0 from the first epoch
    (categorical crossentropy on one unit); a loss pinned at ln K (uniform output over K classes);
    and a loss that falls while accuracy stays frozen (Keras 3 on TensorFlow and tf_keras, which
    train the pre-softmax logit of a one-unit softmax). Accuracy on a regression output, or frozen
    at exactly 0.0 (the signature of accuracy on real-valued targets) without a model that says
    the output is a classifier, is never evidence.

    ## Why is this bad?
    The model cannot tell samples apart, so no amount of training helps. The numbers name the
    mechanism: 15.94 is Keras' crossentropy of a prediction clipped at 1e-7, so a loss of 7.97 on
    balanced binary data is every sample predicted positive with probability 1.0.

    ## Example
    ```text
    loss: 8.0590 8.0590 8.0590   accuracy: 0.4945 0.4945 0.4945   (8.059 = 15.94 x 0.5055)
    ```

    ## Use instead
    ```text
    loss: 0.6587 0.5770 0.5102   accuracy: 0.6118 0.7021 0.7530
    ```
    """
    found = constant_prediction_fingerprint(history, options, classes_of(model), model)
    if found is None:
        return
    yield Symptom(found.message, Location(metric=found.metric), {"fingerprint": found.kind, **found.evidence})


@dataclass(frozen=True)
class OverfitOptions:
    """Thresholds for FD304."""

    #: Rise of the validation loss above its best value, relative to the best, that counts as overfitting.
    min_rise: float = 0.1
    #: Fewest epochs after the best validation loss before calling it.
    patience: int = 2
    #: After the best epoch the training loss must move downward, not back and forth: its net fall
    #: divided by the distance it travels must be at least this (an oscillating loss is far below).
    min_train_efficiency: float = 0.3


@rule("FD304", "overfitting", Severity.WARNING, options=OverfitOptions, explained_by=("FD102", "FD104", "FD207"),
      causes=("too little data for the model's size (e.g. 4096-unit dense layers on a few thousand clips)",
              "too many epochs without EarlyStopping", "no dropout, weight decay or augmentation"))
def overfitting(history: HistorySpec, options: OverfitOptions) -> Iterator[Symptom]:
    """Validation loss that turns upward while training loss keeps falling.

    ## What it does
    Finds the epoch of the best validation loss and checks whether, afterwards, the validation
    loss rises by more than `min-rise` of its best value while the training loss keeps falling.
    A training loss that goes back and forth after that epoch (net fall below `min-train-efficiency`
    of the distance travelled) is an optimizer overshooting (FD306, FD309), not overfitting.

    ## Why is this bad?
    From that epoch on the model memorizes the training set: every further epoch makes it worse
    on new data. The gap between training and validation loss at the end measures how much.

    ## Example
    ```text
    loss:     0.69 0.52 0.38 0.25 0.14 0.07
    val_loss: 0.68 0.58 0.55 0.59 0.67 0.80   (best at epoch 2, then rising)
    ```

    ## Use instead
    ```python
    model.fit(..., callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=2,
                                                            restore_best_weights=True)])
    ```
    and add dropout, weight decay, augmentation or more data.
    """
    for train, val in history.losses():
        if val is None:
            continue
        points = [(e, v) for e, v in zip(val.epochs, val.values, strict=False) if math.isfinite(v)]
        if len(points) < options.patience + 2:
            continue
        best_epoch, best = min(points, key=lambda p: p[1])
        after = [p for p in points if p[0] > best_epoch]
        last_epoch, last = points[-1]
        train_at = dict(zip(train.epochs, train.values, strict=False))
        if len(after) < options.patience or best <= 0:
            continue
        tail = [v for _, v in after[-options.patience:]]
        if min(tail) < best * (1 + options.min_rise):
            continue  # the rise must persist over the last `patience` epochs, not be one noisy point
        train_best, train_last = train_at.get(best_epoch, math.nan), train_at.get(last_epoch, math.nan)
        if not train_last < train_best * (1 - options.min_rise):
            continue  # training loss must keep falling: otherwise it is noise or oscillation, not overfitting
        train_after = [v for e, v in zip(train.epochs, train.values, strict=False)
                       if e >= best_epoch and math.isfinite(v)]
        if len(train_after) >= 3 and efficiency(train_after) < options.min_train_efficiency:
            continue  # the training loss wanders back and forth: an optimizer overshooting (FD306), not memorizing
        gap = last - train_at[last_epoch]
        yield Symptom(
            f"{val.name} is best at epoch {best_epoch} ({best:.4f}) and then rises to {last:.4f} by epoch {last_epoch} "
            f"while {train.name} keeps falling ({train_at[best_epoch]:.4f} -> {train_at[last_epoch]:.4f}): overfitting "
            f"from epoch {best_epoch}",
            Location(metric=val.name, epoch=best_epoch),
            {"best_epoch": best_epoch, "best_val_loss": _round(best), "last_val_loss": _round(last),
             "rise": _round((last - best) / best), "min_rise": options.min_rise, "final_gap": _round(gap)},
            Fix("Regularize the head (dropout before the output layer) and stop at the best epoch",
                "x = layers.Dropout(0.3)(x)\ncallbacks=[keras.callbacks.EarlyStopping(monitor='val_loss', "
                "patience=2, restore_best_weights=True)]",
                (PatchOp("graph", None, "dropout", 0.3),)),
        )


@dataclass(frozen=True)
class DivergenceOptions:
    """Thresholds for FD305."""

    #: The loss diverges when its last value exceeds its lowest value by this factor.
    factor: float = 3.0


@rule("FD305", "nan-or-divergence", Severity.ERROR, options=DivergenceOptions,
      explained_by=("FD202", "FD204", "FD207", "FD212", "FD309"),
      causes=("a learning rate too high", "unnormalized inputs (pixels in 0-255)",
              "labels outside the range the loss expects",
              "log or division of zero in a custom loss"))
def nan_or_divergence(history: HistorySpec, options: DivergenceOptions) -> Iterator[Symptom]:
    """A loss that becomes NaN or infinite, or climbs far above its lowest value.

    ## What it does
    Finds the first epoch where a loss is NaN or infinite, and losses whose last value exceeds
    their minimum by `factor` (default 3x).

    ## Why is this bad?
    A NaN loss poisons every weight it touches: from that step on the model outputs NaN and all
    further training is wasted. A loss that climbs back up has left the basin it found, usually
    because steps are too large.

    ## Example
    ```text
    loss: 2.30 1.95 5.10 48.7 nan nan
    ```

    ## Use instead
    ```python
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-4, clipnorm=1.0), ...)
    model.fit(..., callbacks=[keras.callbacks.TerminateOnNaN()])
    ```
    and check inputs and labels for NaN and range.
    """
    for series in history.series.values():
        if not series.is_loss:
            continue
        bad = first_nonfinite(series)
        if bad is not None:
            yield Symptom(
                f"{series.name} becomes {bad[1]} at epoch {bad[0]}", Location(metric=series.name, epoch=bad[0]),
                {"metric": series.name, "first_bad_epoch": bad[0], "value": str(bad[1])})
            continue
        values = finite_values(series)
        if series.is_validation or len(values) < 3 or min(values) <= 0:
            continue  # a rising validation loss is overfitting (FD304), not divergence
        low = min(values)
        if values[-1] >= options.factor * low and values[-1] > values[0]:
            low_epoch = series.epochs[values.index(low)]
            yield Symptom(
                f"{series.name} diverges: it falls to {low:.4g} at epoch {low_epoch}, then climbs to {values[-1]:.4g}",
                Location(metric=series.name, epoch=low_epoch),
                {"metric": series.name, "lowest": _round(low), "last": _round(values[-1]), "factor": options.factor})


@dataclass(frozen=True)
class OscillationOptions:
    """Thresholds for FD306."""

    #: Share of epoch-to-epoch steps that reverse direction.
    min_reversal_share: float = 0.5
    #: Mean step size relative to the median loss.
    min_amplitude: float = 0.1
    #: Net change divided by the path length (sum of step sizes): below this the loss goes back and forth.
    max_efficiency: float = 0.3
    #: Fewest epochs needed.
    min_epochs: int = 6


def _oscillation(values: list[float]) -> tuple[int, float, float, float]:
    """(reversals, share of steps that reverse, mean step relative to the median, efficiency)."""
    reversals, amplitude = direction_changes(values)
    return reversals, reversals / max(len(values) - 2, 1), amplitude, efficiency(values)


def oscillates(values: list[float], options: OscillationOptions) -> bool:
    """FD306's verdict on a loss curve: it goes back and forth, in large steps, and gets nowhere."""
    if len(values) < options.min_epochs:
        return False
    _, share, amplitude, net = _oscillation(values)
    return share >= options.min_reversal_share and amplitude >= options.min_amplitude and net <= options.max_efficiency


def _settled_from(history: HistorySpec, options: OscillationOptions) -> int | None:
    """The epoch of the best validation loss when, from there on, the training loss oscillates (as
    FD306 judges a whole run) and the validation loss goes back and forth too (no steady rise,
    which would be overfitting): a run that descends first and then overshoots around its minimum."""
    loss, val = history.get("loss"), history.get("val_loss")
    if loss is None or val is None:
        return None
    points = val.finite()
    if len(points) < options.min_epochs:
        return None
    best = min(points, key=lambda p: p[1])[0]
    train = [v for e, v in zip(loss.epochs, loss.values, strict=False) if e >= best and math.isfinite(v)]
    after = [v for e, v in points if e >= best]
    if len(train) < options.min_epochs or len(after) < options.min_epochs or not oscillates(train, options):
        return None
    return best if efficiency(after) <= options.max_efficiency else None


@rule("FD306", "oscillating-loss", Severity.WARNING, options=OscillationOptions,
      explained_by=("FD207", "FD212", "FD309"),
      causes=("a learning rate too high", "a batch size too small for the learning rate", "unshuffled, ordered data"))
def oscillating_loss(history: HistorySpec, options: OscillationOptions, model: ModelSpec = None) -> Iterator[Symptom]:
    """A training loss that jumps up and down from epoch to epoch instead of settling.

    ## What it does
    Counts how often the epoch-to-epoch change of the training loss reverses direction, and how
    large the steps are relative to the loss; over the whole run, or, for a run that first
    descends, from the epoch of the best validation loss on, when the validation loss goes back
    and forth there too (a steady rise would be overfitting, FD304). It points at the optimizer's
    learning rate; with the compiled model, the fix lowers it tenfold.

    ## Why is this bad?
    The epoch loss averages many batches, so in healthy training it falls smoothly. Large swings
    mean each epoch undoes the previous one: the optimizer overshoots, typically because the
    learning rate is too high.

    ## Example
    ```text
    loss: 0.92 0.55 0.97 0.51 1.04 0.58 0.99
    ```

    ## Use instead
    ```python
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-4), ...)
    callbacks=[keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)]
    ```
    """
    loss = history.get("loss")
    if loss is None:
        return
    values = finite_values(loss)
    if len(values) < options.min_epochs:
        return
    start, where = 0, ""
    if not oscillates(values, options):
        start = _settled_from(history, options)
        if start is None:
            return
        where = f" from epoch {start} (the best validation loss) on"
        values = [v for e, v in zip(loss.epochs, loss.values, strict=False) if e >= start and math.isfinite(v)]
    reversals, share, amplitude, efficiency = _oscillation(values)
    rate = compiled_rate(model)
    yield Symptom(
        f"loss{where} reverses direction in {reversals} of {len(values) - 2} epochs with steps of {amplitude:.0%} "
        f"of its level and gets nowhere (net change {efficiency:.0%} of the distance travelled): the optimizer "
        "overshoots",
        Location(metric="loss", epoch=start or None, setting=RATE_SETTING),
        {"reversals": reversals, "reversal_share": _round(share), "min_reversal_share": options.min_reversal_share,
         "amplitude": _round(amplitude), "min_amplitude": options.min_amplitude,
         "efficiency": _round(efficiency), "max_efficiency": options.max_efficiency, "from_epoch": start,
         **rate_evidence(rate)},
        rate_fix(rate, "lower"))


@dataclass(frozen=True)
class FlatOptions:
    """Thresholds for FD307."""

    #: The loss is flat when it never falls more than this share below its first value.
    max_improvement: float = 0.01
    #: Fewest epochs needed.
    min_epochs: int = 4


@rule("FD307", "flat-loss", Severity.WARNING, options=FlatOptions,
      explained_by=CONSTANT_OUTPUT_CAUSES + ("FD207", "FD212", "FD309"),
      causes=("a learning rate far too low", "every layer frozen (nothing trainable)", "vanishing gradients through "
              "saturated activations") + CONSTANT_OTHER_CAUSES[:2])
def flat_loss(history: HistorySpec, options: FlatOptions) -> Iterator[Symptom]:
    """A training loss that does not improve from the first epoch on.

    ## What it does
    Finds training losses that never fall more than `max-improvement` (1%) below their first value,
    unless FD303 already recognizes the loss as a constant-prediction fingerprint.

    ## Why is this bad?
    Nothing is being learned: the gradient does not reach the weights, the weights cannot move,
    or the steps are too small to matter.

    ## Example
    ```text
    loss: 0.6931 0.6930 0.6931 0.6930 0.6931
    ```

    ## Use instead
    ```text
    loss: 0.6931 0.6102 0.5480 0.5011 0.4620
    ```
    """
    if constant_prediction_fingerprint(history, FingerprintOptions()) is not None:
        return
    for train, _ in history.losses():
        values = finite_values(train)
        if len(values) < options.min_epochs or len(values) != len(train.values):
            continue
        improvement = relative_change(values)
        if improvement < options.max_improvement:
            yield Symptom(
                f"{train.name} does not improve: {values[0]:.4f} at the start, at best {min(values):.4f} "
                f"({improvement:.1%}) over {len(values)} epochs",
                Location(metric=train.name),
                {"first": _round(values[0]), "best": _round(min(values)), "improvement": _round(improvement),
                 "max_improvement": options.max_improvement})


@dataclass(frozen=True)
class ValidationBetterOptions:
    """Thresholds for FD308."""

    #: Validation loss must be below training loss by at least this share, on average.
    min_margin: float = 0.05
    #: Fewest epochs needed.
    min_epochs: int = 3


@rule("FD308", "validation-better-than-training", Severity.INFO, options=ValidationBetterOptions,
      causes=("dropout and regularization, which only act during training (expected, harmless)",
              "a validation set that is easier than, or overlaps with, the training set (leakage)",
              "training loss averaged over an epoch while the model improves within it"))
def validation_better_than_training(history: HistorySpec, options: ValidationBetterOptions) -> Iterator[Symptom]:
    """Validation loss below training loss at every epoch.

    ## What it does
    Compares the validation loss after each epoch with the training loss of the next epoch (the
    training loss is an average over an epoch in which the model still improves) and reports when
    validation is lower every time, by at least `min-margin` on average.

    ## Why is this bad?
    It often is not: dropout and weight penalties only act during training, so the training loss
    is measured on a handicapped model. But a validation set that leaks training samples, or is
    easier than the real data, shows the same pattern and makes every validation number optimistic.

    ## Example
    ```text
    loss:     0.71 0.60 0.52 0.47
    val_loss: 0.55 0.45 0.39 0.35
    ```

    ## Use instead
    ```python
    # check that no sample (or near-duplicate) sits in both splits, then compare without dropout:
    train_loss = model.evaluate(x_train, y_train, verbose=0)
    ```
    """
    if constant_prediction_fingerprint(history, FingerprintOptions()) is not None:
        return  # a constant output explains any gap
    for train, val in history.losses():
        if val is None:
            continue
        # the training loss is averaged over an epoch of a still-improving model: compare the
        # validation loss after epoch e with the training loss of epoch e + 1
        train_at = dict(zip(train.epochs, train.values, strict=False))
        pairs = [(train_at[e + 1], v) for e, v in zip(val.epochs, val.values, strict=False)
                 if e + 1 in train_at and math.isfinite(v) and math.isfinite(train_at[e + 1]) and train_at[e + 1] > 0]
        if len(pairs) < options.min_epochs or not all(v < t for t, v in pairs):
            continue
        margin = sum((t - v) / t for t, v in pairs) / len(pairs)
        if margin >= options.min_margin:
            yield Symptom(
                f"{val.name} is below {train.name} at all {len(pairs)} epochs (by {margin:.0%} on average)",
                Location(metric=val.name),
                {"epochs": len(pairs), "mean_margin": _round(margin), "min_margin": options.min_margin})


# ---- FD309 / FD310: the learning rate, named from the curve ------------------------------------------


@dataclass(frozen=True)
class HighRateOptions:
    """Thresholds for FD309."""

    #: Blow-up: the loss of the first two epochs exceeds the lowest later loss by this factor...
    explosion: float = 10.0
    #: ... and accuracy never rises more than this above its first-epoch value...
    stuck_gain: float = 0.05
    #: ... and over the second half of the run the loss falls less than this share (the network is dead).
    stalled: float = 0.1
    #: Collapse: the loss ends flat at least this factor above its earlier lowest value...
    collapse: float = 1.3
    #: ... while accuracy falls at least this far below its best.
    collapse_drop: float = 0.1
    #: Collapse without an accuracy metric: the flat end must be this factor above the lowest value.
    collapse_without_accuracy: float = 3.0
    #: Relative spread of the last `tail` epochs that counts as flat.
    flat_spread: float = 0.02
    #: Epochs at the end that must be flat for a collapse.
    tail: int = 3
    #: Saturated: a loss frozen from epoch 1 on at least this factor above ln K (with the model).
    saturated_factor: float = 3.0
    #: Spike: an epoch's loss at least this factor above the lowest loss before it.
    spike: float = 3.0
    #: NaN after finite epochs counts when the last finite loss had climbed this factor above the lowest.
    nan_rise: float = 1.5
    #: Fewest epochs needed (NaN excepted).
    min_epochs: int = 4


def _stalled(values: list[float], share: float) -> bool:
    """Over the second half of the run the loss gets no lower than ``share`` below where the half starts."""
    half = values[len(values) // 2:]
    return half[0] > 0 and (half[0] - min(half)) / half[0] < share


def _flat(values: list[float], spread: float) -> bool:
    mean = sum(values) / len(values)
    return mean > 0 and (max(values) - min(values)) <= spread * mean


def _accuracy_values(history: HistorySpec, model: ModelSpec | None) -> list[float] | None:
    series = primary_accuracy(history, False, meaningless_accuracies(history, model))
    if series is None or len(finite_values(series)) != len(series.values):
        return None
    return list(series.values)


def _rate_too_high_for(rate: CompiledRate | None) -> bool:
    """The compiled rate is at least FD212's info level for its optimizer (Adam: 1e-2)."""
    from .optimizer import LearningRateOptions, _ceiling

    if rate is None:
        return False
    ceiling = _ceiling(rate.optimizer.lower(), LearningRateOptions())
    return ceiling is not None and rate.rate >= ceiling / LearningRateOptions().info_factor * (1 - 1e-6)


#: Keras' categorical crossentropy of a wrong prediction clipped at 1e-7: -ln(1e-7).
SATURATED_CCE = -math.log(1e-7)


def _saturated(values: list[float], accuracy: list[float] | None, untrained: float | None,
               options: HighRateOptions) -> str | None:
    """How a loss frozen from epoch 1 on, with accuracy frozen too, shows saturated outputs: far
    above ln K (the loss of predicting the class shares), or equal to the clipped crossentropy of
    the samples outside the predicted class; None when it does not."""
    if accuracy is None or len(accuracy) != len(values) or len(values) < options.min_epochs:
        return None
    rest, acc = values[1:], accuracy[1:]
    if not _flat(rest, 1e-3) or max(acc) - min(acc) > 1e-4:
        return None
    level, wrong = rest[-1], 1.0 - acc[-1]
    if untrained is not None and level >= options.saturated_factor * untrained:
        return f"{level / untrained:.1f}x ln {round(math.exp(untrained))} (the loss of a model that knows nothing)"
    for constant, name in ((SATURATED_CCE, "16.12"), (SATURATED_BCE, "15.94")):
        if wrong > 0 and abs(level - constant * wrong) <= 0.02 * level:
            return f"= {name} x {wrong:.4f}, the clipped crossentropy of every sample outside the predicted class"
    return None


def high_rate_evidence(loss: Series, accuracy: list[float] | None, rate: CompiledRate | None,
                       options: HighRateOptions, untrained: float | None = None) -> list[tuple[str, int, str]]:
    """(kind, epoch, sentence) for each signature of steps too large on a training loss: a blow-up
    in the first epochs that leaves the network dead, a collapse to a flat loss above the best one,
    spikes, and NaN after a climb."""
    found: list[tuple[str, int, str]] = []
    bad = first_nonfinite(loss)
    values = list(loss.values) if bad is None else [v for v in loss.values[:loss.epochs.index(bad[0])]]
    if bad is not None:
        climbed = len(values) >= 2 and min(values) > 0 and values[-1] >= options.nan_rise * min(values)
        if climbed or _rate_too_high_for(rate):
            why = (f"after climbing from {min(values):.4g} to {values[-1]:.4g}" if climbed
                   else f"at a learning rate of {rate.rate:g}")
            found.append(("nan", bad[0], f"{loss.name} becomes {bad[1]} at epoch {bad[0]} {why}"))
        return found
    if len(values) < options.min_epochs or min(values) <= 0:
        return found
    epochs = loss.epochs
    peak_at = 0 if values[0] >= values[1] else 1
    later = values[peak_at + 1:]
    tail, before = values[-options.tail:], values[:-options.tail]
    saturated = _saturated(values, accuracy, untrained, options)
    if saturated:
        found.append(("blow-up", epochs[1], f"{loss.name} is stuck at {values[-1]:.4g} from epoch {epochs[1]}, "
                      f"{saturated}, and accuracy at {accuracy[-1]:.4f}: the first steps blew the weights up and every "
                      "sample now gets the same saturated prediction"))
        return found
    if accuracy is not None and len(accuracy) == len(values) and values[peak_at] >= options.explosion * min(later) \
            and max(accuracy[1:]) <= accuracy[0] + options.stuck_gain and _stalled(values, options.stalled):
        found.append(("blow-up", epochs[peak_at],
                      f"{loss.name} explodes to {values[peak_at]:.4g} in epoch {epochs[peak_at]} and the network is "
                      f"dead after it: {loss.name} settles at {later[-1]:.4g} and accuracy never rises above "
                      f"{max(accuracy):.4f} (it starts at {accuracy[0]:.4f})"))
        return found
    if before and _flat(tail, options.flat_spread):
        low = min(before)
        ratio = tail[-1] / low
        if accuracy is not None and len(accuracy) == len(values):
            dropped = max(accuracy) - accuracy[-1]
            if ratio >= options.collapse and dropped >= options.collapse_drop:
                found.append(("collapse", epochs[values.index(low)],
                              f"{loss.name} reaches {low:.4g}, then collapses to a flat {tail[-1]:.4g} while accuracy "
                              f"falls from {max(accuracy):.4f} to {accuracy[-1]:.4f}: a step threw the weights out "
                              "of the basin they had found and left units dead"))
        elif ratio >= options.collapse_without_accuracy:
            found.append(("collapse", epochs[values.index(low)],
                          f"{loss.name} reaches {low:.4g}, then climbs to a flat {tail[-1]:.4g}"))
    if oscillates(values, OscillationOptions()):
        return found  # spikes of a loss going back and forth are FD306's, which points at the rate too
    for i in range(1, len(values)):
        low = min(values[:i])
        if values[i] >= options.spike * low:
            found.append(("spike", epochs[i], f"{loss.name} spikes to {values[i]:.4g} at epoch {epochs[i]}, "
                          f"{values[i] / low:.1f}x its lowest value before ({low:.4g})"))
            break
    return found


@rule("FD309", "learning-rate-too-high", Severity.WARNING, options=HighRateOptions, explained_by=("FD207", "FD212"),
      causes=("a learning rate too large for this model, its initialization or its batch size",
              "unnormalized inputs or targets (pixels in 0-255, prices in dollars) that make every step huge",
              "no gradient clipping on a recurrent model"))
def learning_rate_too_high(history: HistorySpec, options: HighRateOptions, model: ModelSpec = None) -> Iterator:
    """A training loss with the marks of steps that are too large: a blow-up, a collapse, spikes, NaN.

    ## What it does
    Reads the training loss for four signatures of a learning rate that is too high: a blow-up,
    either a loss in the first two epochs `explosion` (10) times above anything later, after which
    accuracy never rises above its first-epoch value, or a loss and accuracy frozen from epoch 1
    on at saturated outputs (`saturated-factor` (3) times ln K with the model; the clipped
    crossentropy 16.12 or 15.94 times the share outside the predicted class without it): the
    network died in the blow-up; a loss that ends flat at
    least `collapse` (1.3) times above its best while accuracy falls by `collapse-drop` (0.1)
    (without an accuracy metric: three times above its best); an epoch `spike` (3) times above
    the lowest loss before it; and NaN after the loss had climbed (or, with the compiled model,
    NaN at a learning rate at FD212's "high" level). It points at the optimizer's learning rate;
    with the compiled model, the fix lowers it tenfold.

    ## Why is this bad?
    A step much larger than the loss surface allows throws the weights far from where they were:
    the loss jumps, ReLUs whose inputs are pushed below zero for every sample never come back,
    and softmax outputs saturate. What is left predicts the class shares for every sample (a flat
    loss at the prior's entropy, accuracy at the majority share), so a history that shows only
    "frozen accuracy" is often a run that died in its first epoch.

    ## Example
    ```text
    Adam(learning_rate=1.0)
    loss:     16.89 3.439 1.341 1.705 1.062 1.062 1.062 1.062
    accuracy: 0.469 0.455 0.428 0.477 0.445 0.445 0.477 0.477
    ```

    ## Use instead
    ```text
    Adam(learning_rate=1e-3)
    loss:     1.152 1.018 0.923 0.833 0.744 0.660 0.585 0.522
    accuracy: 0.279 0.516 0.611 0.684 0.754 0.785 0.815 0.828
    ```
    Lower the rate tenfold, add `clipnorm=1.0`, and normalize inputs and targets.
    """
    loss = history.get("loss")
    if loss is None or not loss.values:
        return
    if constant_prediction_fingerprint(history, FingerprintOptions(), classes_of(model), model) is not None:
        return  # a constant output (FD303) explains a stuck accuracy
    rate = compiled_rate(model)
    found = high_rate_evidence(loss, _accuracy_values(history, model), rate, options, _untrained_loss(model))
    if not found:
        return
    kind, epoch, first = found[0]
    dead = kind in ("nan", "blow-up", "collapse")
    yield Symptom(
        f"the learning rate is too high: {first}" + "".join(f"; {sentence}" for _, _, sentence in found[1:])
        + (f" ({rate.optimizer} at {rate.rate:g})" if rate else ""),
        Location(metric=loss.name, epoch=epoch, setting=RATE_SETTING),
        {"signatures": ", ".join(k for k, _, _ in found), "epoch": epoch, **rate_evidence(rate)},
        rate_fix(rate, "lower"),
        Severity.ERROR if dead else None,
    )


@dataclass(frozen=True)
class LowRateOptions:
    """Thresholds for FD310."""

    #: The loss must fall by more than this share in all (less is a flat loss, FD307)...
    min_improvement: float = 0.01
    #: ... and by less than this share.
    max_improvement: float = 0.3
    #: Mean fall per epoch, relative to the first loss, at most this.
    max_step: float = 0.02
    #: Share of epochs in which the loss falls, at least this (steady, not noise).
    min_falling_share: float = 0.8
    #: Mean fall over the second half of the run over that of the first half, at least this (it is
    #: not slowing down: no plateau has been reached).
    min_pace: float = 0.5
    #: With a crossentropy of known classes, the last loss is still at least this share of ln K.
    floor_share: float = 0.5
    #: Fewest epochs needed.
    min_epochs: int = 5


def _untrained_loss(model: ModelSpec | None) -> float | None:
    """ln K, the crossentropy of a classifier that has learned nothing, when the model tells K."""
    classes = classes_of(model)
    if not classes or model is None:
        return None
    loss = model.outputs[0].loss
    if loss is None or loss.family not in (vocab.BINARY, vocab.CATEGORICAL, vocab.SPARSE):
        return None
    return math.log(classes)


@rule("FD310", "learning-rate-too-low", Severity.WARNING, options=LowRateOptions, explained_by=("FD212",),
      causes=("a learning rate far below the optimizer's usual range",
              "a learning-rate schedule that decays too fast",
              "most of the network frozen, so that only a few weights learn"))
def learning_rate_too_low(history: HistorySpec, options: LowRateOptions, model: ModelSpec = None) -> Iterator:
    """A training loss that falls slowly and steadily, far from where it could get.

    ## What it does
    Finds training losses that fall in nearly every epoch (`min-falling-share`), by less than
    `max-step` (2%) of the first loss per epoch and less than `max-improvement` (30%) in all,
    without slowing down (the second half of the run falls at least `min-pace` as fast as the
    first), with a validation loss that falls too. With the compiled model of a crossentropy
    classifier, the last loss must still be at least `floor-share` of ln K (the loss of a model
    that has learned nothing) and the finding is a warning; from a history alone it is an info.
    It points at the optimizer's learning rate; with the compiled model, the fix raises it tenfold.

    ## Why is this bad?
    A model that still improves at the same pace at the end of the run has not converged: it is
    walking down the loss surface in steps too small to get anywhere in the epochs it has. It is
    not overfitting (the validation loss falls too) and not a flat loss (it moves): each epoch is
    wasted on a fraction of the progress a usual learning rate makes.

    ## Example
    ```text
    SGD(learning_rate=5e-4)
    loss: 1.232 1.228 1.224 1.220 1.216 1.213 1.209 1.205   (3 classes: ln 3 = 1.099)
    ```

    ## Use instead
    ```text
    SGD(learning_rate=5e-2)
    loss: 1.021 0.853 0.721 0.615 0.538 0.480 0.437 0.405
    ```
    Raise the rate tenfold (or use Adam at 1e-3), or train with a schedule that starts higher.
    """
    if constant_prediction_fingerprint(history, FingerprintOptions(), classes_of(model), model) is not None:
        return  # a constant output (FD303) moves only its bias: slow, but no learning rate fixes it
    for train, val in history.losses():
        if train.name != "loss":
            continue
        values = finite_values(train)
        if len(values) < options.min_epochs or len(values) != len(train.values) or values[0] <= 0:
            continue
        improvement = (values[0] - values[-1]) / values[0]
        step = improvement / (len(values) - 1)
        if not options.min_improvement <= improvement < options.max_improvement or step > options.max_step:
            continue
        if falling_share(values) < options.min_falling_share:
            continue
        half = len(values) // 2
        first, second = values[0] - values[half], values[half] - values[-1]
        pace = (second / (len(values) - 1 - half)) / (first / half) if first > 0 else 0.0
        if pace < options.min_pace:
            continue  # slowing down: a plateau, not a crawl
        if val is not None:
            val_values = finite_values(val)
            if len(val_values) < 2 or val_values[-1] >= val_values[0]:
                continue
        untrained = _untrained_loss(model)
        if untrained is not None and values[-1] < options.floor_share * untrained:
            continue  # already far below an untrained classifier's loss: slow, but close to done
        rate = compiled_rate(model)
        yield Symptom(
            f"{train.name} falls slowly and steadily: {values[0]:.4g} -> {values[-1]:.4g} ({improvement:.1%}) over "
            f"{len(values)} epochs, about {step:.2%} per epoch and not slowing down"
            + (f", still {values[-1] / untrained:.0%} of ln {round(math.exp(untrained))} = {untrained:.4f}, "
               "the loss of a model that has learned nothing" if untrained else "")
            + ": the learning rate is too low" + (f" ({rate.optimizer} at {rate.rate:g})" if rate else ""),
            Location(metric=train.name, setting=RATE_SETTING),
            {"first": _round(values[0]), "last": _round(values[-1]), "improvement": _round(improvement),
             "per_epoch": _round(step), "pace": _round(pace),
             "untrained_loss": _round(untrained) if untrained else None,
             **rate_evidence(rate)},
            rate_fix(rate, "raise"),
            None if untrained is not None else Severity.INFO,
        )


# ---- FD311: the majority class and nothing else ------------------------------------------------------


@dataclass(frozen=True)
class MajorityOptions:
    """Thresholds for FD311."""

    #: Fewest epochs at the end over which accuracy must be pinned...
    tail: int = 3
    #: ... and at least this share of all epochs (a learning model can repeat a value a few times).
    min_pinned_share: float = 0.4
    #: Largest spread of accuracy over the tail that counts as pinned.
    pinned: float = 2e-3
    #: With the class balance known: how close accuracy must sit to the majority share.
    share_tolerance: float = 0.01
    #: The majority share (or the pinned accuracy, from a history alone) must be at least this: a
    #: balanced task's collapse is a uniform output (FD303).
    min_share: float = 0.6
    #: How close (relative) the last loss must be to the entropy of the class shares.
    entropy_tolerance: float = 0.05
    #: Fewest epochs needed.
    min_epochs: int = 4


def _pinned_stretch(values: list[float], spread: float) -> int:
    """How many epochs at the end stay within ``spread`` of one another."""
    count = 1
    while count < len(values):
        window = values[-(count + 1):]
        if max(window) - min(window) > spread:
            break
        count += 1
    return count


def _loss_of(accuracy: Series) -> str:
    """The loss logged with an accuracy: ``loss`` for ``accuracy``, ``val_out_loss`` for ``val_out_accuracy``."""
    match = _ACCURACY_NAME.match(accuracy.base)
    prefix = match.group(1) if match else ""
    return ("val_" if accuracy.is_validation else "") + prefix + "loss"


_ACCURACY_NAME = re.compile(r"(.*?)(acc|accuracy|binary_accuracy|categorical_accuracy|sparse_categorical_accuracy)$")


def _binary_entropy(share: float) -> float:
    return prior_entropy((share, 1.0 - share)) if 0 < share < 1 else 0.0


def _near_k_minus_one_over_k(share: float) -> int | None:
    """K when ``share`` is (K-1)/K for K in 3..50: what binary accuracy reports on a K-class head
    that predicts nothing."""
    for k in range(3, 51):
        if abs(share - (k - 1) / k) <= 1e-3:
            return k
    return None


@rule("FD311", "majority-class-collapse", Severity.WARNING, options=MajorityOptions, measures=("labels",),
      explained_by=CONSTANT_OUTPUT_CAUSES + ("FD213", "FD309"),
      causes=("class imbalance without class weights or resampling (the loss rewards answering the majority)",
              "features that carry too little signal for the model to beat the prior",
              "binary accuracy on a multi-class head (it reports (K-1)/K for a model that predicts nothing)")
      + CONSTANT_OTHER_CAUSES[:1])
def majority_class_collapse(history: HistorySpec, options: MajorityOptions, model: ModelSpec = None,
                            measurements: Measurements = None) -> Iterator:
    """Accuracy pinned at the majority class's share while the loss drifts to the prior's entropy.

    ## What it does
    Finds accuracy series (training and validation) that end pinned for `tail` epochs and at
    least `min-pinned-share` of the run, never higher before, at the majority class's share (from
    the labels of `--data`, within `share-tolerance`), or, from a history alone, at a value of at
    least `min-share`; and checks
    that the matching loss ends within `entropy-tolerance` of the crossentropy of always answering
    the class shares (the entropy of the labels: -sum p ln p; from a history alone, of two classes
    with the pinned share). A constant-output fingerprint (FD303) takes precedence.

    ## Why is this bad?
    On imbalanced data the cheapest way to lower the loss is to predict the class shares for every
    sample. Accuracy then reads high (0.93 on 7% positives) and stays exactly at the share, the
    loss glides down to the entropy of the shares, and the model never flags a single minority
    sample. The history looks like slow, healthy training, which is why it goes unnoticed. The same
    numbers appear when binary accuracy is read on a K-class head: it scores (K-1)/K while nothing
    is learned.

    ## Example
    ```text
    7.4% positives, no class weights
    accuracy: 0.818 0.902 0.921 0.926 0.926 0.926 0.926   (majority share 0.926)
    loss:     0.491 0.415 0.364 0.330 0.308 0.292 0.281   (entropy of the shares 0.264)
    ```

    ## Use instead
    ```python
    model.fit(x, y, class_weight={0: 1.0, 1: n_negative / n_positive}, ...)
    model.compile(..., metrics=[keras.metrics.AUC(name="auc"), keras.metrics.Recall(name="recall")])
    ```
    or resample the minority class, and judge the model by AUC or recall, not accuracy.
    """
    if constant_prediction_fingerprint(history, FingerprintOptions(), classes_of(model), model) is not None:
        return  # a constant output explains it (FD303)
    counts = class_counts(measurements, model)
    share = max(counts) / sum(counts) if counts else None
    meaningless = meaningless_accuracies(history, model)
    for series in history.accuracies():
        if series.name in meaningless:
            continue
        values = finite_values(series)
        loss = history.get(_loss_of(series))
        if len(values) < options.min_epochs or len(values) != len(series.values) or loss is None:
            continue
        losses = finite_values(loss)
        stretch = _pinned_stretch(values, options.pinned)
        tail = values[-stretch:]
        pinned = sum(tail) / len(tail)
        if stretch < max(options.tail, options.min_pinned_share * len(values)) or not losses \
                or max(values) > pinned + options.pinned:
            continue
        if share is not None:
            if share < options.min_share or abs(pinned - share) > options.share_tolerance:
                continue
            entropy, basis = prior_entropy(counts), f"the entropy of the class shares ({len(counts)} classes)"
        else:
            if pinned < options.min_share or pinned >= 1.0:
                continue
            entropy, basis = _binary_entropy(pinned), f"the entropy of a {pinned:.3f} / {1 - pinned:.3f} split"
        if entropy <= 0 or abs(losses[-1] - entropy) > options.entropy_tolerance * entropy:
            continue
        k = _near_k_minus_one_over_k(pinned) if share is None else None
        yield Symptom(
            f"{series.name} is pinned at {pinned:.4f}"
            + (", the majority class's share of the labels given," if share is not None else "")
            + f" for the last {stretch} epochs and {loss.name} ends at {losses[-1]:.4f}, {basis} = {entropy:.4f}: "
            "the model answers the majority class for every sample and has learned only the class shares"
            + (f" (on a {k}-class head, binary accuracy scores {pinned:.4f} = {k - 1}/{k} for the same nothing)"
               if k else ""),
            Location(metric=series.name),
            {"metric": series.name, "pinned": _round(pinned), "majority_share": _round(share) if share else None,
             "loss": _round(losses[-1]), "prior_entropy": _round(entropy),
             "class_counts": ", ".join(map(str, counts)) if counts else None},
            Fix("Weight the classes (or resample the minority) and judge the model by AUC or recall",
                "model.fit(x, y, class_weight={0: 1.0, 1: n_negative / n_positive})\n"
                "metrics=[keras.metrics.AUC(name='auc'), keras.metrics.Recall(name='recall')]"),
        )


# ---- FD312: a head the data cannot support -------------------------------------------------------------


@dataclass(frozen=True)
class HeadSizeOptions:
    """Thresholds for FD312."""

    #: Training samples (a hint; otherwise steps per epoch x `batch-size` from the history).
    samples: int | None = None
    #: The batch size behind the history's steps per epoch (Keras' default for ``fit``).
    batch_size: int = 32
    #: Trainable dense parameters per training sample from which the head is too large.
    max_per_sample: float = 10_000.0


def _trainable(model: ModelSpec, path: str) -> bool:
    """The layer and every model it sits in are trainable."""
    layers = model.layers
    while path in layers:
        layer = layers[path]
        if not layer.trainable:
            return False
        if layer.parent is None:
            return True
        path = layer.parent
    return True


def trainable_dense_parameters(model: ModelSpec) -> dict[str, int]:
    """Trainable parameters of each Dense layer (kernel and bias), by layer path; a shared layer once."""
    found: dict[str, int] = {}
    for node in model.nodes.values():
        layer = node.layer
        class_name, config = layer.inner
        if class_name != "Dense" or layer.path in found or not node.inputs or not _trainable(model, layer.path):
            continue
        units, fan_in = layer.units, model.nodes[node.inputs[0]].width if node.inputs[0] in model.nodes else None
        if not units or not fan_in:
            continue
        found[layer.path] = fan_in * units + (units if config.get("use_bias", True) else 0)
    return found


@rule("FD312", "head-too-large-for-data", Severity.WARNING, options=HeadSizeOptions, explained_by=("FD109",),
      causes=("Flatten over a large feature map feeding wide Dense layers (GlobalAveragePooling2D is far smaller)",
              "a backbone fine-tuned end to end on a few thousand samples"))
def head_too_large_for_data(model: ModelSpec, history: HistorySpec, options: HeadSizeOptions) -> Iterator:
    """Far more trainable dense parameters than training samples can support.

    ## What it does
    Adds up the trainable parameters of the Dense layers (kernel and bias, inside trainable
    models only) and divides by the number of training samples: the `samples` option when given,
    otherwise the steps per epoch a live History records times `batch-size` (32, Keras' default).
    From `max-per-sample` (10,000) parameters per sample it reports; a warning when the history
    also shows overfitting (FD304), otherwise an info. Without a training-set size it is silent.

    ## Why is this bad?
    With tens of thousands of free parameters per sample, the dense layers can store every
    training sample: the training loss falls towards 0 while the validation loss turns upward
    within a few epochs. Seed 004 (GIF sentiment) trained about 50 million dense parameters after
    Flatten on 3,500 clips, 14,000 per clip, and validation accuracy never passed 0.6.

    ## Example
    ```python
    x = layers.Flatten()(features)                     # 8192 features
    x = layers.Dense(4096, activation="relu")(x)       # 33.6M parameters, 3,500 training clips
    ```

    ## Use instead
    ```python
    x = layers.GlobalAveragePooling3D()(features)      # 512 features
    x = layers.Dense(256, activation="relu")(x)        # 131k parameters
    x = layers.Dropout(0.5)(x)
    ```
    or more data (augmentation), and EarlyStopping on the validation loss.
    """
    if options.samples:
        samples, how = int(options.samples), "the samples option"
    elif history.steps:
        samples = history.steps * options.batch_size
        how = f"{history.steps} steps per epoch x batch size {options.batch_size}"
    else:
        return
    dense = trainable_dense_parameters(model)
    total = sum(dense.values())
    if samples <= 0 or not total or total / samples < options.max_per_sample:
        return
    largest = max(dense, key=dense.get)
    overfit = next(iter(overfitting(history, OverfitOptions())), None)
    per_sample = total / samples
    yield Symptom(
        f"{total:,} trainable dense parameters for {samples:,} training samples ({how}): {per_sample:,.0f} per "
        f"sample, enough to memorize every one (the largest, '{largest}', has {dense[largest]:,})"
        + (f"; the history shows it: {overfit.message}" if overfit else ""),
        Location(layer=largest),
        {"trainable_dense_parameters": total, "samples": samples, "samples_from": how,
         "per_sample": round(per_sample, 1), "max_per_sample": options.max_per_sample, "largest_layer": largest,
         "largest_parameters": dense[largest], "overfitting_from_epoch": overfit.location.epoch if overfit else None},
        Fix("Shrink the head: pool the features instead of flattening them, use fewer units, add dropout, and stop "
            "at the best epoch", "x = layers.GlobalAveragePooling2D()(features)\nx = layers.Dense(256, "
            "activation='relu')(x)\nx = layers.Dropout(0.5)(x)"),
        None if overfit else Severity.INFO,
    )
