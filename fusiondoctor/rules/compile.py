"""FD2xx: the loss, metrics and optimizer against the model's output heads."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..model import vocab
from ..model.backbones import Backbone
from ..model.graph import Head, heads
from ..model.spec import ModelSpec, Node
from ..model.task import head_tasks
from ..registry import rule
from ..types import Fix, Location, PatchOp, Severity, Symptom
from .structure import transferred_backbones

_CROSSENTROPY = (vocab.BINARY, vocab.CATEGORICAL, vocab.SPARSE)


def _loss_heads(model: ModelSpec) -> Iterator[Head]:
    """Output heads that have a known loss; NotInspected for custom losses or activations."""
    for head in heads(model):
        loss = head.output.loss
        if loss is None or not loss.is_known:
            continue
        if head.activation and head.activation.startswith("custom:"):
            continue
        yield head


def _where(head: Head) -> Location:
    return Location(layer=head.location_layer, output=head.output.name)


def _loss_label(head: Head) -> str:
    loss = head.output.loss
    if loss.raw is not None and not isinstance(loss.raw, str):
        return f"{loss.name}(from_logits={loss.from_logits})"
    return loss.name


@rule("FD201", "probability-output-with-logits-loss", Severity.ERROR)
def probability_output_with_logits_loss(compiled: ModelSpec) -> Iterator[Symptom]:
    """An output that already applies sigmoid or softmax, trained with a `from_logits=True` loss.

    ## What it does
    Compares each output's activation with the `from_logits` setting of its crossentropy loss.

    ## Why is this bad?
    With `from_logits=True` the loss applies sigmoid/softmax itself, so probabilities are squashed
    a second time. Outputs in [0, 1] become logits in [0, 1]: predictions cluster near 0.5-0.73,
    gradients shrink, and training stalls at a high loss.

    ## Example
    ```python
    out = layers.Dense(10, activation="softmax")(x)
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ```

    ## Use instead
    ```python
    out = layers.Dense(10, activation="softmax")(x)
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy())  # from_logits=False
    ```
    or keep `from_logits=True` and make the output linear: `layers.Dense(10)(x)`.
    """
    for head in _loss_heads(compiled):
        loss = head.output.loss
        if loss.family in _CROSSENTROPY and loss.from_logits and head.activation in vocab.PROBABILITY_ACTIVATIONS:
            yield Symptom(
                f"output '{head.output.name}' applies {head.activation} in '{head.location_layer}', but its loss "
                f"{loss.name} has from_logits=True and applies it again",
                _where(head),
                {"activation": head.activation, "loss": loss.name, "from_logits": True},
                Fix(
                    "Set from_logits=False on the loss (the output already gives probabilities)",
                    f"loss=keras.losses.{_class_name(loss.family)}(from_logits=False)",
                    (PatchOp("loss", head.output.name, "from_logits", False),),
                ),
            )


def _class_name(family: str | None) -> str:
    return {vocab.BINARY: "BinaryCrossentropy", vocab.CATEGORICAL: "CategoricalCrossentropy",
            vocab.SPARSE: "SparseCategoricalCrossentropy"}.get(family or "", "Loss")


@rule("FD202", "non-probability-output-with-probability-loss", Severity.ERROR)
def non_probability_output_with_probability_loss(compiled: ModelSpec) -> Iterator[Symptom]:
    """A crossentropy loss expecting probabilities on an output that does not produce them.

    ## What it does
    Finds outputs with a linear (or ReLU, tanh, ...) activation whose crossentropy loss has
    `from_logits=False`, the default.

    ## Why is this bad?
    The loss clips the raw outputs into [1e-7, 1 - 1e-7] before taking logarithms. Every logit
    outside that range is clipped, its gradient is zero, and the model stops learning from those
    samples; negative outputs of a sparse categorical loss give NaN.

    ## Example
    ```python
    out = layers.Dense(1)(x)  # linear
    model.compile(loss="binary_crossentropy")
    ```

    ## Use instead
    ```python
    out = layers.Dense(1)(x)
    model.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True))
    ```
    or give the output a `sigmoid` (one unit, multi-label) or `softmax` (classes) activation.
    """
    for head in _loss_heads(compiled):
        loss = head.output.loss
        if loss.family not in _CROSSENTROPY or loss.from_logits or head.activation is None:
            continue
        if head.activation in vocab.PROBABILITY_ACTIVATIONS or head.activation == "log_softmax":
            continue
        linear = head.activation == "linear"
        probability = "sigmoid" if loss.family == vocab.BINARY else "softmax"
        fix = (
            Fix("Tell the loss that the output is logits: from_logits=True",
                f"loss=keras.losses.{_class_name(loss.family)}(from_logits=True)",
                (PatchOp("loss", head.output.name, "from_logits", True),))
            if linear else
            Fix(f"Give '{head.source.layer.name}' a {probability} activation",
                f'activation="{probability}"',
                (PatchOp("layer", head.location_layer, "activation", probability),))
        )
        yield Symptom(
            f"output '{head.output.name}' is {head.activation} in '{head.location_layer}', but its loss {loss.name} "
            "expects probabilities (from_logits=False), so outputs outside [0, 1] are clipped and give no gradient",
            _where(head),
            {"activation": head.activation, "loss": loss.name, "from_logits": False},
            fix,
        )


@rule("FD203", "binary-crossentropy-on-softmax", Severity.ERROR)
def binary_crossentropy_on_softmax(compiled: ModelSpec) -> Iterator[Symptom]:
    """Binary crossentropy on a softmax output of two or more units.

    ## What it does
    Finds softmax outputs with K >= 2 units trained with binary crossentropy. It is an error for
    K >= 3 and a warning for K = 2, where the two losses coincide on one-hot labels.

    ## Why is this bad?
    Binary crossentropy treats each unit as an independent yes/no question, while softmax makes the
    units compete; the objective no longer matches the model. The reported accuracy misleads too:
    when `'accuracy'` resolves to binary accuracy (Keras 2.0-2.3 did so for this loss; any version
    does with an explicit `binary_accuracy`), it averages over units and a model that predicts
    nothing scores (K-1)/K.

    ## Example
    ```python
    out = layers.Dense(2, activation="softmax", name="nfc8")(x)
    model.compile(loss="binary_crossentropy", metrics=["accuracy"])
    ```

    ## Use instead
    ```python
    out = layers.Dense(2, activation="softmax", name="nfc8")(x)
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    ```
    or, for two classes, `layers.Dense(1, activation="sigmoid")` with binary crossentropy.
    """
    for head in _loss_heads(compiled):
        loss = head.output.loss
        if loss.family != vocab.BINARY or head.activation != "softmax" or not head.width or head.width < 2:
            continue
        k = head.width
        binary_acc = [m.name for m in head.output.metrics if m.resolved == "binary_accuracy"]
        severity = Severity.WARNING if k == 2 else None
        yield Symptom(
            f"output '{head.output.name}' is a {k}-unit softmax in '{head.location_layer}' trained with binary "
            "crossentropy; use categorical crossentropy"
            + (f" (metric {binary_acc[0]!r} is binary accuracy here, inflated to at least {(k - 1) / k:.2f})"
               if binary_acc else ""),
            _where(head),
            {"units": k, "activation": "softmax", "loss": loss.name,
             "binary_accuracy_metrics": ", ".join(binary_acc) or None,
             "accuracy_floor_if_binary": round((k - 1) / k, 4)},
            Fix("Use categorical crossentropy (or sparse categorical crossentropy for integer labels)",
                'model.compile(loss="categorical_crossentropy", metrics=["accuracy"])',
                (PatchOp("loss", head.output.name, "name", "categorical_crossentropy"),)),
            severity,
        )


@rule("FD204", "categorical-crossentropy-on-single-unit", Severity.ERROR)
def categorical_crossentropy_on_single_unit(compiled: ModelSpec) -> Iterator[Symptom]:
    """Categorical or sparse categorical crossentropy on an output with one unit.

    ## What it does
    Finds one-unit outputs trained with `categorical_crossentropy` or
    `sparse_categorical_crossentropy`.

    ## Why is this bad?
    Categorical crossentropy normalizes the predictions over the units; with one unit the
    normalized prediction is always 1, so the loss is 0 from the first step and nothing is learned.
    Sparse categorical crossentropy with one unit knows only class 0: label 1 is out of range
    (an error on CPU, NaN on GPU).

    ## Example
    ```python
    out = layers.Dense(1, activation="sigmoid")(x)
    model.compile(loss="categorical_crossentropy")
    ```

    ## Use instead
    ```python
    out = layers.Dense(1, activation="sigmoid")(x)
    model.compile(loss="binary_crossentropy")
    ```
    """
    for head in _loss_heads(compiled):
        loss = head.output.loss
        if loss.family not in (vocab.CATEGORICAL, vocab.SPARSE) or head.width != 1:
            continue
        effect = "the loss is 0 from the first step" if loss.family == vocab.CATEGORICAL else "label 1 is out of range"
        yield Symptom(
            f"output '{head.output.name}' has 1 unit but is trained with {loss.name}: {effect}",
            _where(head),
            {"units": 1, "loss": loss.name},
            Fix("Use binary crossentropy with a single sigmoid unit",
                'model.compile(loss="binary_crossentropy")',
                (PatchOp("loss", head.output.name, "name", "binary_crossentropy"),)),
        )


@rule("FD205", "categorical-crossentropy-on-sigmoid", Severity.WARNING)
def categorical_crossentropy_on_sigmoid(compiled: ModelSpec) -> Iterator[Symptom]:
    """Categorical crossentropy on a multi-unit sigmoid (multi-label) output.

    ## What it does
    Finds outputs with K >= 2 sigmoid units trained with categorical (or sparse categorical)
    crossentropy.

    ## Why is this bad?
    Independent sigmoids say "several labels may be on"; categorical crossentropy rescales the
    outputs to sum to one and rewards a single class. Multi-label targets are then learned as a
    distribution over labels and no unit is pushed towards 0 for absent labels. With sparse
    categorical crossentropy the labels are one class id per sample, so the sigmoids should be a
    softmax.

    ## Example
    ```python
    out = layers.Dense(18, activation="sigmoid")(x)
    model.compile(loss="categorical_crossentropy")
    ```

    ## Use instead
    ```python
    out = layers.Dense(18, activation="sigmoid")(x)        # multi-label
    model.compile(loss="binary_crossentropy", metrics=[keras.metrics.AUC(multi_label=True)])
    ```
    For one label per sample use `activation="softmax"` instead.
    """
    for head in _loss_heads(compiled):
        loss = head.output.loss
        if loss.family not in (vocab.CATEGORICAL, vocab.SPARSE) or head.activation != "sigmoid" or not head.width \
                or head.width < 2:
            continue
        if loss.family == vocab.SPARSE:
            yield Symptom(
                f"output '{head.output.name}' has {head.width} independent sigmoid units but is trained with "
                f"{loss.name}, whose labels are one class id per sample: use a softmax",
                _where(head),
                {"units": head.width, "activation": "sigmoid", "loss": loss.name},
                Fix("Use a softmax output for one class per sample", 'activation="softmax"',
                    (PatchOp("layer", head.location_layer, "activation", "softmax"),)),
            )
            continue
        yield Symptom(
            f"output '{head.output.name}' has {head.width} independent sigmoid units but is trained with {loss.name}, "
            "which treats them as one distribution",
            _where(head),
            {"units": head.width, "activation": "sigmoid", "loss": loss.name},
            Fix("Use binary crossentropy for multi-label outputs (or softmax for single-label ones)",
                'model.compile(loss="binary_crossentropy")',
                (PatchOp("loss", head.output.name, "name", "binary_crossentropy"),)),
        )


@rule("FD206", "accuracy-only-multilabel", Severity.WARNING)
def accuracy_only_multilabel(compiled: ModelSpec) -> Iterator[Symptom]:
    """Accuracy as the only metric of a multi-label output.

    ## What it does
    Finds multi-label outputs (the task model's reading, typically K >= 2 sigmoid units with
    binary crossentropy) whose only metrics are accuracy.

    ## Why is this bad?
    Labels are sparse: with 18 genres and about 2 per film, predicting "no genre" everywhere scores
    89% binary accuracy. Keras 2.0-2.3 resolved `'accuracy'` to that binary accuracy; Keras 3
    resolves it to categorical accuracy (does the top unit match the top label?), which ignores
    every other label. Either number hides how the model does on the labels that matter; in the
    movie-genre story, accuracy read 0.79 while F1 was 0.33.

    ## Example
    ```python
    out = layers.Dense(18, activation="sigmoid")(x)
    model.compile(loss="binary_crossentropy", metrics=["accuracy"])
    ```

    ## Use instead
    ```python
    model.compile(loss="binary_crossentropy", metrics=[
        keras.metrics.AUC(multi_label=True, name="auc"),
        keras.metrics.Precision(name="precision"), keras.metrics.Recall(name="recall"),
        keras.metrics.F1Score(average="macro", threshold=0.5, name="f1"),
    ])
    ```
    """
    for head, task in head_tasks(compiled):
        metrics = head.output.metrics
        if task.kind != "multilabel" or not task.classes:
            continue
        if not metrics or not all(vocab.metric_kind(m.name, m.resolved) == "accuracy" for m in metrics):
            continue
        resolved = ", ".join(f"{m.name}={m.resolved or 'unknown'}" for m in metrics)
        yield Symptom(
            f"output '{head.output.name}' is multi-label ({task.classes} {head.activation} units) but reports only "
            f"accuracy ({resolved}), which sparse labels inflate; track AUC, F1, precision and recall",
            Location(layer=head.location_layer, output=head.output.name, setting="metrics"),
            {"units": task.classes, "metrics": resolved, "task_evidence": "; ".join(task.evidence)},
            Fix("Add AUC(multi_label=True), F1Score, Precision and Recall to the metrics",
                'metrics=[keras.metrics.AUC(multi_label=True), keras.metrics.F1Score(average="macro", threshold=0.5)]'),
        )


def fine_tuned_backbones(model: ModelSpec) -> list[tuple[Backbone, list[Node], list[Node]]]:
    """Transferred keras.applications backbones with trainable weighted layers: (backbone, its
    trainable weighted nodes, all its weighted nodes)."""
    found = []
    for backbone in transferred_backbones(model):
        weighted = [model.nodes[k] for k in backbone.members
                    if model.nodes[k].layer.class_name in vocab.WEIGHTED_CLASSES]
        trainable = [n for n in weighted if n.layer.trainable]
        if trainable:
            found.append((backbone, trainable, weighted))
    return found


@dataclass(frozen=True)
class FineTuneOptions:
    """Thresholds for FD207."""

    #: Highest learning rate for adaptive optimizers (Adam, RMSprop, ...) when fine-tuning.
    max_adaptive_lr: float = 1e-4
    #: Highest learning rate for SGD when fine-tuning.
    max_sgd_lr: float = 1e-2


@rule("FD207", "fine-tuning-learning-rate-too-high", Severity.WARNING, options=FineTuneOptions)
def fine_tuning_learning_rate_too_high(compiled: ModelSpec, options: FineTuneOptions) -> Iterator[Symptom]:
    """A learning rate meant for training from scratch, used to fine-tune an unfrozen pretrained backbone.

    ## What it does
    Finds `keras.applications` backbones whose weighted layers are trainable under a new head, and
    compares the optimizer's (initial) learning rate with a fine-tuning ceiling: 1e-4 for adaptive
    optimizers, 1e-2 for SGD.

    ## Why is this bad?
    The new head starts from random weights and sends large, noisy gradients into the backbone. At
    Adam's or RMSprop's default rate of 1e-3 the pretrained filters are rewritten in the first
    epochs; on a small dataset the model overfits and validation accuracy falls to chance. If the
    backbone was trained from scratch (weights=None) this does not apply.

    ## Example
    ```python
    base = InceptionV3(weights="imagenet", include_top=False, pooling="avg")  # all layers trainable
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")     # lr = 1e-3
    ```

    ## Use instead
    ```python
    base.trainable = False                       # train the head first
    model.compile(optimizer=keras.optimizers.Adam(1e-3), ...); model.fit(...)
    base.trainable = True                        # then fine-tune everything gently
    model.compile(optimizer=keras.optimizers.Adam(1e-5), ...); model.fit(...)
    ```
    """
    optimizer = compiled.compile.optimizer
    if optimizer is None or optimizer.learning_rate is None:
        return
    ceiling = options.max_sgd_lr if optimizer.class_name.lower() == "sgd" else options.max_adaptive_lr
    if optimizer.learning_rate <= ceiling:
        return
    for backbone, trainable, weighted in fine_tuned_backbones(compiled):
        yield Symptom(
            f"{backbone.arch} backbone '{backbone.location(compiled)}' is fine-tuned ({len(trainable)} of "
            f"{len(weighted)} weighted layers trainable) with {optimizer.class_name} at learning rate "
            f"{optimizer.learning_rate:g}, above {ceiling:g}",
            Location(layer=backbone.location(compiled), setting="optimizer.learning_rate"),
            {"backbone": backbone.arch, "optimizer": optimizer.class_name, "learning_rate": optimizer.learning_rate,
             "schedule": optimizer.schedule, "max_learning_rate": ceiling,
             "trainable_layers": len(trainable), "weighted_layers": len(weighted)},
            Fix("Freeze the backbone and train the head first, then fine-tune at a learning rate of about 1e-5",
                "model.compile(optimizer=keras.optimizers.Adam(1e-5), ...)",
                (PatchOp("optimizer", None, "learning_rate", min(ceiling, 1e-5)),)),
        )
