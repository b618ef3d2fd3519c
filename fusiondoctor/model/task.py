"""The task model: per model output, what the task is, inferred once, with the evidence.

Every rule that needs to know whether an output is a classifier or a regression reads it here
(``tasks(spec)`` or ``infer_task(spec, output)``); no rule guesses it on its own.

Kinds: ``binary``, ``multiclass`` (one label per sample), ``multilabel`` (independent labels),
``regression`` and ``unknown``. The task is what the *targets* most likely are, which is not
always what the head or the loss says: when they disagree (mean squared error on a softmax), the
disagreement is what the loss/head rules report, and it is recorded here as a ``conflict:`` entry
of the evidence.

Precedence, strongest first:

1. **labels** (a :class:`LabelSummary` from a data measurement): {0, 1} in one column is binary,
   one-hot rows are multi-class, multi-hot rows are multi-label, real values are regression.
   Integer labels with more than two values decide nothing alone (class ids or counts?), and then
   the model decides.
2. **loss family**: crossentropies and hinge losses name a classification task, MSE/MAE/Huber/
   log-cosh/MAPE/MSLE/Poisson a regression, KL divergence a distribution over classes.
3. **activation and units**: a softmax over two or more units is a distribution over classes
   whatever the loss; a sigmoid is a probability (classification) or a value in (0, 1).
4. **metrics**: an accuracy or another classification metric says the user scores classes; it
   turns a regression loss on a sigmoid, or on several linear units, into a classifier trained
   with the wrong loss, but never a one-unit linear regression into a classifier (a regression
   model with a stray ``accuracy`` is more common than a classifier without a probability output).

A custom loss on a head that is not a softmax, or no loss at all, gives ``unknown``: never a guess.
Pure: no Keras, no numpy at import time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from . import vocab
from .graph import Head, head_of
from .spec import ModelSpec, OutputSpec

KINDS = ("binary", "multiclass", "multilabel", "regression", "unknown")
CLASSIFICATION_KINDS = frozenset({"binary", "multiclass", "multilabel"})
#: The most distinct label values a LabelSummary counts.
DISTINCT_CAP = 1000


@dataclass(frozen=True)
class Task:
    """What one output is trained to do, and what that was inferred from."""

    kind: str
    classes: int | None = None  # 2 for binary; K for multi-class and multi-label; None otherwise
    logits: bool = False  # classification outputs: the values are logits (no sigmoid/softmax applied)
    bounded: tuple[float, float] | None = None  # regression: the target range implied, None if unknown
    evidence: tuple[str, ...] = ()

    @property
    def is_classification(self) -> bool:
        return self.kind in CLASSIFICATION_KINDS

    @property
    def from_labels(self) -> bool:
        """Whether a measurement of the labels went into it (``bounded`` is then the labels' range)."""
        return any(e.startswith("labels:") for e in self.evidence)

    @property
    def conflicts(self) -> tuple[str, ...]:
        return tuple(e for e in self.evidence if e.startswith("conflict:"))

    def describe(self) -> str:
        """A short phrase: ``multi-class (10 classes)``, ``regression``, ``binary``."""
        name = {"multiclass": "multi-class", "multilabel": "multi-label"}.get(self.kind, self.kind)
        if self.kind in ("multiclass", "multilabel") and self.classes:
            return f"{name} ({self.classes} {'classes' if self.kind == 'multiclass' else 'labels'})"
        return name


@dataclass(frozen=True)
class LabelSummary:
    """What a measurement of one output's labels says, without the arrays."""

    shape: tuple[int, ...]
    minimum: float
    maximum: float
    integer_valued: bool
    columns: int
    row_sums_one: bool  # several columns, every row sums to 1 (one-hot or a distribution)
    binary_valued: bool  # every value is 0 or 1
    multi_hot: bool  # binary rows of several columns, some not summing to 1
    distinct: int  # number of distinct values, capped at DISTINCT_CAP
    #: Samples per class: the argmax of rows of several columns, the 0.5 threshold of one column in
    #: [0, 1], or the value of non-negative integer ids; None when the labels are none of these.
    class_counts: tuple[int, ...] | None = None
    #: Samples per class in the last rows, in the order given: ``(fraction, counts)`` for each of
    #: ``TAIL_FRACTIONS`` (what ``fit(validation_split=fraction)`` would validate on); None with
    #: ``class_counts``.
    tails: tuple[tuple[float, tuple[int, ...]], ...] | None = None

    @classmethod
    def of(cls, array) -> LabelSummary:
        """The summary of a label array (numpy is imported here, not at module import)."""
        import numpy as np

        y = np.asarray(array)
        if y.dtype == bool:
            y = y.astype("int8")
        shape = tuple(int(d) for d in y.shape)
        columns = shape[-1] if len(shape) >= 2 else 1
        rows = y.reshape(-1, columns).astype("float64") if y.size else np.zeros((0, columns))
        finite = rows[np.isfinite(rows)]
        if finite.size == 0:
            return cls(shape, math.nan, math.nan, False, columns, False, False, False, 0)
        binary = bool(np.isin(finite, (0.0, 1.0)).all())
        sums = rows.sum(axis=1) if columns > 1 else None
        sums_one = bool(columns > 1 and np.all(np.abs(sums - 1.0) <= 1e-3))
        distinct = int(min(len(np.unique(finite[: 100_000])), DISTINCT_CAP))
        integer = bool(np.all(finite == np.round(finite)))
        ids = _class_ids(rows, integer)
        counts = tuple(int(c) for c in np.bincount(ids)) if ids is not None else None
        return cls(shape, float(finite.min()), float(finite.max()), integer, columns, sums_one, binary,
                   bool(binary and columns > 1 and not sums_one), distinct, counts, _tails(ids, len(counts or ())))


#: Integer labels above this are not counted per class (a bincount would allocate that many).
MAX_CLASS_ID = 1_000_000


#: The validation fractions whose tails a LabelSummary counts (what users pass to validation_split).
TAIL_FRACTIONS = (0.1, 0.2, 0.3)


def _class_ids(rows, integer: bool):
    """The class of each row: argmax of rows, the 0.5 threshold of a [0, 1] column, or integer ids."""
    import numpy as np

    if rows.size == 0 or not np.isfinite(rows).all():
        return None
    if rows.shape[1] > 1:
        return rows.argmax(axis=1)
    if rows.min() >= 0 and rows.max() <= 1:
        return (rows[:, 0] > 0.5).astype(int)
    if rows.min() >= 0 and rows.max() <= MAX_CLASS_ID and integer:
        return rows[:, 0].astype(int)
    return None


def _tails(ids, classes: int) -> tuple[tuple[float, tuple[int, ...]], ...] | None:
    """Samples per class in the last ``fraction`` of the rows, as Keras' ``validation_split`` takes them."""
    import numpy as np

    if ids is None or len(ids) == 0:
        return None
    found = []
    for fraction in TAIL_FRACTIONS:
        start = int(len(ids) * (1.0 - fraction))  # keras: split_at = int(n * (1 - validation_split))
        found.append((fraction, tuple(int(c) for c in np.bincount(ids[start:], minlength=classes))))
    return tuple(found)


def _loss_evidence(output: OutputSpec) -> str:
    if output.loss is None:
        return "loss=none"
    loss = output.loss
    return f"loss={loss.name}" + (" (from_logits=True)" if loss.from_logits else "")


def _metric_kinds(output: OutputSpec) -> list[str]:
    return [vocab.metric_kind(m.name, m.resolved) or "other" for m in output.metrics]


def _head_range(activation: str | None) -> tuple[float, float] | None:
    """The range an activation confines the output to, or None when it confines nothing."""
    low, high = vocab.ACTIVATION_RANGES.get(activation or "linear", (-math.inf, math.inf))
    return None if (low, high) == (-math.inf, math.inf) else (low, high)


class _Inference:
    """One output's inference: collects evidence and builds the Task."""

    def __init__(self, head: Head, labels: LabelSummary | None):
        self.head = head
        self.output = head.output
        self.activation = head.activation or "linear"
        self.width = head.width
        self.labels = labels
        metrics = ",".join(m.name for m in self.output.metrics) or "none"
        self.evidence = [_loss_evidence(self.output), f"activation={self.activation}", f"units={self.width}",
                         f"metrics={metrics}"]
        kinds = _metric_kinds(self.output)
        self.scores_classes = any(k in ("accuracy", "classification") for k in kinds)
        self.explicit_binary_accuracy = any(
            vocab.metric_name(m.name) == "binary_accuracy" for m in self.output.metrics)

    def task(self, kind: str, classes: int | None = None, bounded: tuple[float, float] | None = None,
             conflict: str | None = None) -> Task:
        evidence = list(self.evidence)
        if conflict:
            evidence.append(f"conflict: {conflict}")
        if kind == "binary":
            classes = 2
        elif kind in ("multiclass", "multilabel"):
            classes = classes or (self.width if self.width and self.width >= 2 else None)
        logits = kind in CLASSIFICATION_KINDS and self.activation not in vocab.PROBABILITY_ACTIVATIONS
        return Task(kind, classes if kind in CLASSIFICATION_KINDS else None, logits,
                    bounded if kind == "regression" else None, tuple(evidence))

    # ---- labels ----------------------------------------------------------------------------

    def from_labels(self) -> Task | None:
        y = self.labels
        if y is None or y.distinct == 0:
            return None
        self.evidence.append(f"labels: {y.columns} column(s), range [{y.minimum:g}, {y.maximum:g}], "
                             f"{y.distinct}{'+' if y.distinct >= DISTINCT_CAP else ''} distinct"
                             + (", integer" if y.integer_valued else ""))
        if y.columns > 1 and y.binary_valued:
            kind = "multiclass" if y.row_sums_one else "multilabel"
            return self.task(kind, y.columns, conflict=self._head_disagrees(kind))
        if y.columns > 1 and y.row_sums_one and y.minimum >= 0:
            return self.task("multiclass", y.columns, conflict=self._head_disagrees("multiclass"))
        if y.columns == 1 and y.binary_valued:
            if self.width and self.width >= 2 and self._loss_kind() == "sparse":
                return self.task("multiclass", self.width)
            return self.task("binary", conflict=self._head_disagrees("binary"))
        if not y.integer_valued:
            return self.task("regression", bounded=(y.minimum, y.maximum), conflict=self._head_disagrees("regression"))
        return None  # integer labels with several values: class ids or counts; the model decides

    def _head_disagrees(self, kind: str) -> str | None:
        """A conflict line when the loss/head reading of the model differs from the labels'."""
        model_task = self.from_model()
        if model_task.kind in (kind, "unknown"):
            return None
        return f"labels say {kind}, the loss and head say {model_task.kind}"

    # ---- the model ---------------------------------------------------------------------------

    def _loss_kind(self) -> str | None:
        loss = self.output.loss
        return vocab.loss_kind(loss.name) if loss is not None and loss.is_known else None

    def from_model(self) -> Task:
        kind = self._loss_kind()
        softmax = self.activation == "softmax" and bool(self.width and self.width >= 2)
        width = self.width
        if kind == "sparse":
            return self.task("multiclass", width if width and width >= 2 else None)
        if kind == "categorical":
            if width == 1:
                return self.task("binary", conflict=f"{self.output.loss.name} says classes, one unit says binary")
            return self.task("multiclass")
        if kind in ("binary", "hinge"):
            if width is not None and width >= 2:
                if softmax:
                    conflict = f"{self.output.loss.name} says independent labels, softmax says one class"
                    return self.task("multiclass", conflict=conflict)
                return self.task("multilabel")
            return self.task("binary") if width == 1 else self.task("unknown")
        if kind == "categorical_hinge":
            return self.task("multiclass")
        if kind == "distribution":
            return self.task("multiclass") if softmax else self.task("unknown")
        if kind == "regression":
            return self._regression_loss(softmax)
        return self._without_loss(softmax)

    def _regression_loss(self, softmax: bool) -> Task:
        loss = self.output.loss.name
        if softmax:
            conflict = f"loss={loss} says regression, softmax over {self.width} units says classes"
            return self.task("multiclass", conflict=conflict)
        if self.scores_classes and self.activation in ("sigmoid", "hard_sigmoid"):
            kind = "binary" if self.width == 1 else "multilabel"
            conflict = f"loss={loss} says regression, a sigmoid scored with class metrics says {kind}"
            return self.task(kind, conflict=conflict)
        if self.scores_classes and self.width and self.width >= 2 and self.activation in ("linear", "relu"):
            kind = "multilabel" if self.explicit_binary_accuracy else "multiclass"
            conflict = f"loss={loss} says regression, {self.width} units scored with accuracy say {kind}"
            return self.task(kind, conflict=conflict)
        bounded = vocab.loss_target_range(loss) or _head_range(self.activation)
        return self.task("regression", bounded=bounded)

    def _without_loss(self, softmax: bool) -> Task:
        """A custom loss, a loss that names no task, or none: only an unmistakable head decides."""
        if softmax:
            return self.task("multiclass")
        if self.activation == "softmax" and self.width == 1:
            return self.task("binary", conflict="a softmax says classes, over one unit it can only say two")
        if self.scores_classes and self.activation in ("sigmoid", "hard_sigmoid") and self.width:
            return self.task("binary" if self.width == 1 else "multilabel")
        return self.task("unknown")

    def infer(self) -> Task:
        return self.from_labels() or self.from_model()


def _output(spec: ModelSpec, output: str | OutputSpec) -> OutputSpec:
    if isinstance(output, OutputSpec):
        return output
    for candidate in spec.outputs:
        if candidate.name == output or candidate.key == output:
            return candidate
    raise KeyError(f"model {spec.name!r} has no output {output!r}")


def infer_task(spec: ModelSpec, output: str | OutputSpec, labels: LabelSummary | None = None) -> Task:
    """The task of one output (an OutputSpec or an output name), from the model and, when given,
    a summary of its labels."""
    return _Inference(head_of(spec, _output(spec, output)), labels).infer()


def tasks(spec: ModelSpec, labels: Mapping[str, LabelSummary] | None = None) -> dict[str, Task]:
    """The task of every output, by output name; ``labels`` maps output names to label summaries."""
    labels = labels or {}
    return {o.name: infer_task(spec, o, labels.get(o.name)) for o in spec.outputs}


def head_tasks(spec: ModelSpec, labels: Mapping[str, LabelSummary] | None = None) -> list[tuple[Head, Task]]:
    """Each output's head with its task (outputs with a custom activation are left out); ``labels``
    maps output names to label summaries, when measured."""
    labels = labels or {}
    found = []
    for output in spec.outputs:
        head = head_of(spec, output)
        if head.activation and head.activation.startswith("custom:"):
            continue
        found.append((head, _Inference(head, labels.get(output.name)).infer()))
    return found
