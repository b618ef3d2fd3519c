"""FD3xx: symptoms in a training history (Keras History, JSON, CSVLogger CSV, TensorBoard logs)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from ..history.signals import (
    SATURATED_BCE,
    classes_of,
    direction_changes,
    finite_values,
    first_nonfinite,
    frozen,
    meaningless_accuracies,
    primary_accuracy,
    relative_change,
    uniform_classes,
)
from ..history.spec import HistorySpec
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


@dataclass(frozen=True)
class FrozenOptions:
    """Thresholds for FD301."""

    #: Largest spread (max - min) of a metric that still counts as frozen.
    tolerance: float = 1e-4
    #: Fewest epochs needed before calling a metric frozen.
    min_epochs: int = 3


@rule("FD301", "frozen-metric", Severity.WARNING, options=FrozenOptions,
      explained_by=CONSTANT_OUTPUT_CAUSES, causes=CONSTANT_OTHER_CAUSES)
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
    #: How far above chance (1/K) the best validation accuracy may be and still count as chance.
    margin: float = 0.03
    #: Fewest epochs needed.
    min_epochs: int = 3


@rule("FD302", "chance-level-accuracy", Severity.WARNING, options=ChanceOptions,
      explained_by=CONSTANT_OUTPUT_CAUSES + ("FD102", "FD104", "FD207"),
      causes=("labels shuffled out of step with the inputs", "a train/validation split from different distributions",
              "too little data for the model's size") + CONSTANT_OTHER_CAUSES[1:3])
def chance_level_accuracy(history: HistorySpec, options: ChanceOptions, model: ModelSpec = None) -> Iterator:
    """Validation accuracy that never rises above chance (1/K for K classes).

    ## What it does
    Compares the best validation accuracy over all epochs with 1/K, taking K from the task model
    (a binary output has two classes) or from the `classes` option. Accuracy on a regression
    output, or frozen at 0.0 without a model to say it is a classifier, is not judged.

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
    chance = 1.0 / classes
    best = max(values)
    if best > chance + options.margin:
        return
    yield Symptom(
        f"{series.name} never rises above chance: best {best:.4f} over {len(values)} epochs, "
        f"chance is 1/{classes} = {chance:.4f}",
        Location(metric=series.name),
        {"metric": series.name, "best": _round(best), "last": _round(values[-1]), "classes": classes,
         "chance": _round(chance), "margin": options.margin},
    )


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


@rule("FD304", "overfitting", Severity.WARNING, options=OverfitOptions, explained_by=("FD102", "FD104", "FD207"),
      causes=("too little data for the model's size (e.g. 4096-unit dense layers on a few thousand clips)",
              "too many epochs without EarlyStopping", "no dropout, weight decay or augmentation"))
def overfitting(history: HistorySpec, options: OverfitOptions) -> Iterator[Symptom]:
    """Validation loss that turns upward while training loss keeps falling.

    ## What it does
    Finds the epoch of the best validation loss and checks whether, afterwards, the validation
    loss rises by more than `min-rise` of its best value while the training loss keeps falling.

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
      explained_by=("FD202", "FD204", "FD207", "FD212"),
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


@rule("FD306", "oscillating-loss", Severity.WARNING, options=OscillationOptions, explained_by=("FD207", "FD212"),
      causes=("a learning rate too high", "a batch size too small for the learning rate", "unshuffled, ordered data"))
def oscillating_loss(history: HistorySpec, options: OscillationOptions) -> Iterator[Symptom]:
    """A training loss that jumps up and down from epoch to epoch instead of settling.

    ## What it does
    Counts how often the epoch-to-epoch change of the training loss reverses direction, and how
    large the steps are relative to the loss.

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
    reversals, amplitude = direction_changes(values)
    share = reversals / (len(values) - 2)
    path = sum(abs(b - a) for a, b in zip(values, values[1:], strict=False))
    efficiency = abs(values[-1] - values[0]) / path if path else 1.0
    reverses = share >= options.min_reversal_share and amplitude >= options.min_amplitude
    if reverses and efficiency <= options.max_efficiency:
        yield Symptom(
            f"loss reverses direction in {reversals} of {len(values) - 2} epochs with steps of {amplitude:.0%} of its "
            f"level and gets nowhere (net change {efficiency:.0%} of the distance travelled): the optimizer overshoots",
            Location(metric="loss"),
            {"reversals": reversals, "reversal_share": _round(share), "min_reversal_share": options.min_reversal_share,
             "amplitude": _round(amplitude), "min_amplitude": options.min_amplitude,
             "efficiency": _round(efficiency), "max_efficiency": options.max_efficiency})


@dataclass(frozen=True)
class FlatOptions:
    """Thresholds for FD307."""

    #: The loss is flat when it never falls more than this share below its first value.
    max_improvement: float = 0.01
    #: Fewest epochs needed.
    min_epochs: int = 4


@rule("FD307", "flat-loss", Severity.WARNING, options=FlatOptions,
      explained_by=CONSTANT_OUTPUT_CAUSES + ("FD207", "FD212"),
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
