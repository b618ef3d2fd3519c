"""FD208-FD211, FD213, FD214: the loss, the metrics and the output range against the task of each output.

The task comes from the task model (``fusiondoctor.model.task``), the one place that infers it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from ..measurements import Measurements
from ..model import vocab
from ..model.graph import Head
from ..model.spec import ModelSpec
from ..model.task import LabelSummary, Task, head_tasks
from ..registry import rule
from ..types import Fix, Location, PatchOp, Severity, Symptom

#: What each classification task is trained with: (activation, loss).
_CLASSIFIER = {"binary": ("sigmoid", "binary_crossentropy"), "multiclass": ("softmax", "categorical_crossentropy"),
               "multilabel": ("sigmoid", "binary_crossentropy")}


def _where(head: Head, setting: str) -> Location:
    return Location(layer=head.location_layer, output=head.output.name, setting=setting)


def _task_evidence(task: Task) -> dict:
    return {"task": task.describe(), "task_evidence": "; ".join(task.evidence)}


def activation_patch(head: Head, activation: str) -> tuple[PatchOp, ...]:
    """A patch that makes the head apply ``activation``: an edit of the layer's ``activation``, or,
    for an activation-only layer without that setting (ReLU, Softmax), bypassing it when the new
    activation is linear; nothing when neither fits."""
    layer = head.source.layer
    class_name, config = layer.inner
    if "activation" in config and class_name == layer.class_name:
        return (PatchOp("layer", layer.path, "activation", activation),)
    if activation == "linear" and class_name in vocab.ACTIVATION_LAYERS and len(head.source.inputs) == 1:
        return (PatchOp("graph", layer.path, "bypass", None),)
    return ()


# ---- FD208 ---------------------------------------------------------------------------------------


@rule("FD208", "regression-loss-on-classifier", Severity.WARNING)
def regression_loss_on_classifier(compiled: ModelSpec) -> Iterator[Symptom]:
    """A regression loss (MSE, MAE, Huber, log-cosh) on a classification output.

    ## What it does
    Finds outputs whose task is classification, from a softmax over several units, a sigmoid or
    several units scored with accuracy (see the task model), trained with a regression loss:
    mean squared or absolute error, Huber, log-cosh, MAPE or MSLE.

    ## Why is this bad?
    A squared error on probabilities barely punishes a confident wrong answer: through a sigmoid
    or softmax its gradient carries the factor p(1 - p), which vanishes exactly when the
    prediction is confidently wrong, so those samples stop teaching the model. On linear outputs
    the model regresses unbounded scores onto 0/1 targets and spends its capacity on matching the
    zeros. Training is slow, stalls early, and ends below what crossentropy reaches on the same
    model. (It does train, which is why it is a warning.)

    ## Example
    ```python
    out = layers.Dense(10, activation="softmax")(x)
    model.compile(loss="mse", metrics=["accuracy"])
    ```

    ## Use instead
    ```python
    out = layers.Dense(10, activation="softmax")(x)
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"])  # one-hot labels
    ```
    Use `sparse_categorical_crossentropy` for integer labels, and one sigmoid unit with
    `binary_crossentropy` for two classes.
    """
    for head, task in head_tasks(compiled):
        loss = head.output.loss
        if not task.is_classification or loss is None or not vocab.is_loss(loss.name, vocab.ERROR_LOSSES):
            continue
        activation, proper = _CLASSIFIER[task.kind]
        patch = (PatchOp("loss", head.output.name, "name", proper),)
        if head.activation != activation:
            patch += activation_patch(head, activation)
        units = head.width or (task.classes if task.kind != "binary" else 1)
        regression_metrics = not head.output.metrics or all(
            vocab.metric_kind(m.name, m.resolved) == "regression" for m in head.output.metrics)
        yield Symptom(
            f"output '{head.output.name}' is a {task.describe()} classifier, but it is trained with {loss.name}, a "
            f"regression loss: its gradient vanishes on confidently wrong predictions, so it learns slowly and "
            f"stalls below what {proper} reaches"
            + (f" (if the targets are real values instead, a {head.activation} cannot reach them: make the output "
               "linear)" if regression_metrics and head.activation in vocab.PROBABILITY_ACTIVATIONS else ""),
            _where(head, "loss"),
            {"loss": loss.name, "activation": head.activation, "units": head.width, **_task_evidence(task)},
            Fix(f"Train it with {proper}" + (f" on a {activation} output" if head.activation != activation else ""),
                f'layers.Dense({units}, activation="{activation}")\n'
                f'model.compile(loss="{proper}", metrics=["accuracy"])',
                patch),
        )


# ---- FD209 / FD210 -----------------------------------------------------------------------------------


def _metric_names(head: Head, kind: str) -> list[str]:
    return [m.name for m in head.output.metrics if vocab.metric_kind(m.name, m.resolved) == kind]


@rule("FD209", "accuracy-on-regression", Severity.WARNING)
def accuracy_on_regression(compiled: ModelSpec) -> Iterator[Symptom]:
    """An accuracy metric on a regression output.

    ## What it does
    Finds outputs whose task is regression (a regression loss on a linear, ReLU or bounded
    output) that report `accuracy`, `binary_accuracy` or `categorical_accuracy`.

    ## Why is this bad?
    Accuracy counts exact class matches. On real-valued targets Keras compares each target with a
    thresholded prediction (`accuracy` on one unit is binary accuracy), so the metric sits at
    0.0 (or at the share of targets that happen to be exactly 0 or 1) whatever the model learns:
    a healthy regression looks broken, and a broken one cannot be told from a healthy one. If the
    output is really a yes/no classifier, it is the loss and activation that are wrong.

    ## Example
    ```python
    out = layers.Dense(1)(x)                       # house price
    model.compile(loss="mse", metrics=["accuracy"])
    ```

    ## Use instead
    ```python
    out = layers.Dense(1)(x)
    model.compile(loss="mse", metrics=["mae", keras.metrics.RootMeanSquaredError()])
    ```
    For a binary classifier: `layers.Dense(1, activation="sigmoid")` with `binary_crossentropy`.
    """
    for head, task in head_tasks(compiled):
        accuracy = _metric_names(head, "accuracy")
        if task.kind != "regression" or not accuracy:
            continue
        patch = (PatchOp("metrics", head.output.name, "remove", accuracy),)
        if not _metric_names(head, "regression"):
            patch += (PatchOp("metrics", head.output.name, "add", ["mae"]),)
        yield Symptom(
            f"output '{head.output.name}' is a regression ({head.output.loss.name} on a {head.activation or 'linear'} "
            f"output) but reports {', '.join(accuracy)}: accuracy counts exact class matches, so on real-valued "
            "targets it stays near 0 whatever the model learns; track MAE or RMSE (if the output is meant to "
            "be a yes/no classifier, it needs a sigmoid and binary crossentropy instead)",
            _where(head, "metrics"),
            {"metrics": ", ".join(m.name for m in head.output.metrics), "accuracy_metrics": ", ".join(accuracy),
             **_task_evidence(task)},
            Fix("Report regression metrics (MAE, RMSE) instead of accuracy",
                'model.compile(loss="mse", metrics=["mae", keras.metrics.RootMeanSquaredError()])', patch),
        )


@rule("FD210", "regression-metrics-on-classifier", Severity.WARNING)
def regression_metrics_on_classifier(compiled: ModelSpec) -> Iterator[Symptom]:
    """Only regression metrics (MAE, MSE, RMSE) on a classification output.

    ## What it does
    Finds classification outputs whose metrics are all regression errors: `mae`, `mse`, `rmse`,
    `mape`, `r2_score`.

    ## Why is this bad?
    An error between probabilities and 0/1 labels says little about how often the model is right:
    MAE falls while every prediction is still the majority class. The logs (and callbacks that
    monitor them, such as EarlyStopping or ModelCheckpoint) then track the wrong quantity.

    ## Example
    ```python
    out = layers.Dense(3, activation="softmax")(x)
    model.compile(loss="categorical_crossentropy", metrics=["mae"])
    ```

    ## Use instead
    ```python
    out = layers.Dense(3, activation="softmax")(x)
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    ```
    For multi-label outputs track `keras.metrics.AUC(multi_label=True)`, precision and recall.
    """
    for head, task in head_tasks(compiled):
        metrics = head.output.metrics
        if not task.is_classification or not metrics or len(_metric_names(head, "regression")) != len(metrics):
            continue
        wanted = "auc" if task.kind == "multilabel" else "accuracy"
        yield Symptom(
            f"output '{head.output.name}' is a {task.describe()} classifier but reports only regression metrics "
            f"({', '.join(m.name for m in metrics)}), which do not say how often it is right; track {wanted}",
            _where(head, "metrics"),
            {"metrics": ", ".join(m.name for m in metrics), **_task_evidence(task)},
            Fix(f"Add {wanted} to the metrics", f'model.compile(..., metrics=["{wanted}"])',
                (PatchOp("metrics", head.output.name, "add", [wanted]),)),
        )


# ---- FD211 ---------------------------------------------------------------------------------------------


def _span(bounds: tuple[float, float]) -> str:
    low, high = bounds
    show = lambda v: "inf" if v == math.inf else "-inf" if v == -math.inf else f"{v:g}"  # noqa: E731
    return f"[{show(low)}, {show(high)}]"


def _measured_targets(task: Task, labels: LabelSummary | None) -> tuple[float, float] | None:
    """The measured range of a regression output's labels (integer targets included), or None."""
    if task.from_labels and task.bounded:
        return task.bounded
    if labels is not None and labels.distinct > 0 and math.isfinite(labels.minimum) and math.isfinite(labels.maximum):
        return (labels.minimum, labels.maximum)
    return None


def _regression_range(head: Head, task: Task, labels: LabelSummary | None = None) -> tuple | None:
    """(severity, message, target range) when a regression head cannot reach its targets; with the
    labels measured, their real range decides."""
    activation = head.activation or "linear"
    head_range = vocab.ACTIVATION_RANGES.get(activation)
    loss = head.output.loss
    if head_range is None or loss is None or vocab.loss_kind(loss.name) != "regression":
        return None
    low, high = head_range
    measured = _measured_targets(task, labels)
    if measured is not None:
        target_low, target_high = measured
        if target_low >= low and target_high <= high:
            return None
        outside = "below " + f"{low:g}" if target_low < low else "above " + f"{high:g}"
        return (Severity.WARNING, f"the labels span {_span(measured)} but {activation} outputs only "
                f"{_span(head_range)}: the targets {outside} can never be predicted", measured)
    if not vocab.is_loss(loss.name, vocab.UNBOUNDED_REGRESSION_LOSSES):
        return None  # MSLE, Poisson: non-negative targets, which a non-negative output can reach
    if activation in vocab.DEAD_BELOW_ZERO:
        return (Severity.WARNING, f"{activation} cannot output a negative value, and while its input is negative "
                "its gradient is 0: predictions below 0 are impossible, and a head pushed below 0 for every "
                "sample stops learning and predicts 0", None)
    if math.isfinite(low) and math.isfinite(high):
        return (Severity.INFO, f"{activation} confines predictions to {_span(head_range)}: fine only if the "
                f"targets are scaled into that range", None)
    return None


def _bounded(activation: str) -> bool:
    return all(math.isfinite(v) for v in vocab.ACTIVATION_RANGES.get(activation, (-math.inf, math.inf)))


def _logits_range(head: Head) -> str | None:
    """What goes wrong when a logits loss (or a hinge loss) reads an output that cannot be negative
    or cannot leave (-1, 1)."""
    loss = head.output.loss
    activation = head.activation or "linear"
    head_range = vocab.ACTIVATION_RANGES.get(activation)
    if loss is None or head_range is None or activation in vocab.PROBABILITY_ACTIVATIONS:
        return None
    kind = vocab.loss_kind(loss.name)
    low, high = head_range
    if kind in ("binary", "categorical", "sparse") and loss.from_logits:
        if low >= 0:
            return (f"{activation} logits are never negative: a sigmoid of them never drops below 0.5 and a softmax "
                    "can never push a class below the others' floor, and a logit stuck below 0 gets no gradient")
        if math.isfinite(low) and math.isfinite(high):
            return (f"{activation} keeps the logits in {_span(head_range)}: probabilities stay between "
                    f"{1 / (1 + math.exp(-low)):.2f} and {1 / (1 + math.exp(-high)):.2f}, so the loss cannot fall")
    if kind == "hinge" and low >= 0:
        return (f"{activation} outputs are never negative, but the hinge loss needs outputs on both sides of 0 "
                "(labels -1/+1)")
    return None


@rule("FD211", "output-range-cannot-reach-targets", Severity.WARNING, measures=("labels",))
def output_range_cannot_reach_targets(compiled: ModelSpec, measurements: Measurements = None) -> Iterator[Symptom]:
    """An output activation whose range cannot reach the targets of its loss.

    ## What it does
    Compares the range of each output's activation with what its loss needs: a ReLU on a
    regression trained with MSE, MAE, Huber or log-cosh (targets that may be negative); a
    sigmoid or tanh on such a regression (an info: the targets must be scaled into its range);
    a ReLU or tanh in front of a `from_logits=True` crossentropy; a non-negative output under a
    hinge loss. With the labels of `--data`, it compares their measured range instead: negative
    targets under a ReLU, targets outside [0, 1] under a sigmoid or outside [-1, 1] under a tanh
    are warnings, and targets inside the range keep it silent.

    ## Why is this bad?
    A ReLU output cannot predict a negative value, and while its input is negative its gradient
    is 0: once the head is pushed below zero for every sample it predicts 0 forever. A sigmoid
    caps predictions at 1, so unscaled targets (prices, ages) are out of reach. Logits through a
    ReLU are never negative, so a sigmoid of them never goes below 0.5; through a tanh they stay
    in (-1, 1) and probabilities in (0.27, 0.73), and the loss cannot fall.

    ## Example
    ```python
    out = layers.Dense(1, activation="relu")(x)  # temperature anomaly, often negative
    model.compile(loss="mse")
    ```

    ## Use instead
    ```python
    out = layers.Dense(1)(x)                     # linear: any real value
    model.compile(loss="mse")
    ```
    For strictly positive targets `softplus` (or a log transform of the targets) keeps the
    gradient alive; for logits, use no activation at all.
    """
    labels = (measurements.labels or {}) if measurements is not None else {}
    for head, task in head_tasks(compiled, labels):
        activation = head.activation or "linear"
        if task.kind == "regression":
            found = _regression_range(head, task, labels.get(head.output.name))
            if found is None:
                continue
            severity, why, targets = found
        elif task.is_classification:
            why = _logits_range(head)
            if why is None:
                continue
            severity, targets = Severity.WARNING, None
        else:
            continue
        yield Symptom(
            f"output '{head.output.name}' ({task.describe()}, loss {head.output.loss.name}) applies {activation} in "
            f"'{head.location_layer}': {why}",
            _where(head, "activation"),
            {"activation": activation, "output_range": _span(vocab.ACTIVATION_RANGES[activation]),
             "target_range": _span(targets) if targets else None, "loss": head.output.loss.name,
             **_task_evidence(task)},
            Fix(f"Make '{head.location_layer}' linear"
                + (" (or scale the targets into its range)" if _bounded(activation) else ""),
                f'layers.Dense({head.width or 1}, name="{head.source.layer.name}")  # no activation',
                activation_patch(head, "linear")),
            None if severity == Severity.WARNING else severity,
        )


# ---- FD213 ---------------------------------------------------------------------------------------------


def _binary_accuracies(head: Head) -> list[str]:
    return [m.name for m in head.output.metrics if vocab.metric_name(m.resolved or m.name) == "binary_accuracy"]


@rule("FD213", "binary-accuracy-on-multiclass", Severity.WARNING)
def binary_accuracy_on_multiclass(compiled: ModelSpec) -> Iterator[Symptom]:
    """Binary accuracy reported for a multi-class output.

    ## What it does
    Finds outputs whose task is multi-class with K >= 3 classes (a softmax over K units, see the
    task model) that report binary accuracy: an explicit `binary_accuracy` /
    `BinaryAccuracy()`, or `'accuracy'` where Keras resolves it to binary accuracy (Keras
    2.0-2.3 did so for any binary crossentropy). The softmax + binary crossentropy case with a plain
    `'accuracy'` is FD203's, whose loss fix also changes what `'accuracy'` means.

    ## Why is this bad?
    Binary accuracy thresholds each of the K units at 0.5 and averages over units. On one-hot
    labels a model that predicts nothing (every unit below 0.5) gets K-1 of K units right:
    (K-1)/K, 0.90 on 10 classes, from the first epoch. The number looks excellent while the model
    may be at chance, and callbacks that monitor it (EarlyStopping, ModelCheckpoint) pick the
    wrong epoch.

    ## Example
    ```python
    out = layers.Dense(10, activation="softmax")(x)
    model.compile(loss="categorical_crossentropy", metrics=["binary_accuracy"])
    ```

    ## Use instead
    ```python
    out = layers.Dense(10, activation="softmax")(x)
    model.compile(loss="categorical_crossentropy", metrics=["categorical_accuracy"])
    ```
    (`sparse_categorical_accuracy` for integer labels; in Keras 3 `'accuracy'` picks the right one.)
    """
    for head, task in head_tasks(compiled):
        loss = head.output.loss
        if task.kind != "multiclass" or not task.classes or task.classes < 3:
            continue
        found = _binary_accuracies(head)
        if loss is not None and loss.family == vocab.BINARY and head.activation == "softmax":
            found = [m for m in found if m not in vocab.ACCURACY_ALIASES]  # FD203's fix re-resolves 'accuracy'
        if not found:
            continue
        k = task.classes
        wanted = "sparse_categorical_accuracy" if loss is not None and loss.family == vocab.SPARSE \
            else "categorical_accuracy"
        yield Symptom(
            f"output '{head.output.name}' is a {task.describe()} classifier but reports {', '.join(found)} as binary "
            f"accuracy, which averages K yes/no answers per sample: a model that predicts nothing scores "
            f"{k - 1}/{k} = {(k - 1) / k:.2f}; track {wanted}",
            _where(head, "metrics"),
            {"metrics": ", ".join(m.name for m in head.output.metrics), "binary_accuracy_metrics": ", ".join(found),
             "inflated_floor": round((k - 1) / k, 4), **_task_evidence(task)},
            Fix(f"Report {wanted} instead of binary accuracy", f'model.compile(..., metrics=["{wanted}"])',
                (PatchOp("metrics", head.output.name, "remove", found),
                 PatchOp("metrics", head.output.name, "add", [wanted]))),
        )


# ---- FD214 ---------------------------------------------------------------------------------------------

#: Accuracies that take an argmax over the output's units: on one unit the argmax is always 0.
_ARGMAX_ACCURACIES = frozenset({"categorical_accuracy", "sparse_categorical_accuracy", "top_k_categorical_accuracy",
                                "sparse_top_k_categorical_accuracy"})


@rule("FD214", "categorical-accuracy-on-single-unit", Severity.WARNING)
def categorical_accuracy_on_single_unit(compiled: ModelSpec) -> Iterator[Symptom]:
    """A categorical accuracy (an argmax over units) on a one-unit classifier.

    ## What it does
    Finds one-unit classification outputs (a binary classifier: one sigmoid unit, or one logit)
    that report `categorical_accuracy`, `sparse_categorical_accuracy` or a top-k categorical
    accuracy. A regression output with any accuracy is FD209's.

    ## Why is this bad?
    These metrics compare the argmax of the prediction with the label's class. Over one unit the
    argmax is always 0, whatever the model outputs: `categorical_accuracy` then compares 0 with
    the argmax of a one-column label (also 0) and reads 1.0 from the first batch (with 1-D labels
    Keras 3 takes the argmax across the batch and reads a constant such as 0.25), and
    `sparse_categorical_accuracy` reads the share of negative labels (0.695 on 30% positives).
    Neither moves when the model learns, so the logs (and EarlyStopping or ModelCheckpoint on
    them) track nothing.

    ## Example
    ```python
    out = layers.Dense(1, activation="sigmoid")(x)
    model.compile(loss="binary_crossentropy", metrics=["categorical_accuracy"])
    ```

    ## Use instead
    ```python
    out = layers.Dense(1, activation="sigmoid")(x)
    model.compile(loss="binary_crossentropy", metrics=["binary_accuracy", keras.metrics.AUC(name="auc")])
    ```
    """
    for head, task in head_tasks(compiled):
        if head.width != 1 or not task.is_classification:
            continue
        found = [m.name for m in head.output.metrics if vocab.metric_name(m.resolved or m.name) in _ARGMAX_ACCURACIES]
        if not found:
            continue
        yield Symptom(
            f"output '{head.output.name}' has one unit ({task.describe()}) but reports {', '.join(found)}, an argmax "
            "over units: over one unit the argmax is always 0, so the metric stays at a constant (1.0, or the share "
            "of negative labels) whatever the model learns; track binary_accuracy",
            _where(head, "metrics"),
            {"metrics": ", ".join(m.name for m in head.output.metrics), "argmax_metrics": ", ".join(found),
             **_task_evidence(task)},
            Fix("Report binary accuracy instead", 'model.compile(..., metrics=["binary_accuracy"])',
                (PatchOp("metrics", head.output.name, "remove", found),
                 PatchOp("metrics", head.output.name, "add", ["binary_accuracy"]))),
        )
