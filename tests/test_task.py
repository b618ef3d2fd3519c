"""The task model (fusiondoctor/model/task.py): what each output is trained to do, from real Keras models.

Every case builds and compiles a real (tiny, untrained) Keras 3 model and reads it as fusiondoctor
reads a live model; label summaries come from real numpy label arrays. The same readings from files
of both Keras generations are the casebook's business (tests/test_casebook.py).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import fusiondoctor
from fusiondoctor.model.task import LabelSummary, Task, infer_task, tasks

pytestmark = pytest.mark.live


def one_head(keras, activation, units, loss, metrics=(), name="out"):
    """x (6 features) -> Dense(8, relu) -> Dense(units, activation) named ``name``, compiled."""
    layers = keras.layers
    inputs = keras.Input((6,))
    out = layers.Dense(units, activation=activation, name=name)(layers.Dense(8, activation="relu")(inputs))
    model = keras.Model(inputs, out)
    if loss is not None:
        model.compile(optimizer="adam", loss=loss, metrics=list(metrics))
    return fusiondoctor.load_model_spec(model)


def task_of(keras, *args, labels=None, **kwargs) -> Task:
    spec = one_head(keras, *args, **kwargs)
    return infer_task(spec, spec.outputs[0], labels)


@pytest.mark.parametrize("activation, units, loss, metrics, kind, classes, logits", [
    # crossentropies name the task
    ("sigmoid", 1, "binary_crossentropy", ["accuracy"], "binary", 2, False),
    (None, 1, "binary_crossentropy", [], "binary", 2, True),
    ("softmax", 10, "categorical_crossentropy", ["accuracy"], "multiclass", 10, False),
    (None, 10, "sparse_categorical_crossentropy", [], "multiclass", 10, True),
    ("sigmoid", 18, "binary_crossentropy", ["accuracy"], "multilabel", 18, False),
    ("softmax", 2, "binary_crossentropy", [], "multiclass", 2, False),       # BCE on a softmax: one class each
    ("sigmoid", 1, "categorical_crossentropy", [], "binary", 2, False),       # CCE on one unit: binary targets
    # a regression loss names regression, unless the head or the metrics say classes
    (None, 1, "mse", ["mae"], "regression", None, False),
    (None, 1, "mse", ["accuracy"], "regression", None, False),                 # a stray accuracy
    ("softmax", 10, "mse", ["accuracy"], "multiclass", 10, False),
    ("softmax", 10, "mse", [], "multiclass", 10, False),
    (None, 10, "mse", ["accuracy"], "multiclass", 10, True),                   # 10 linear units scored with accuracy
    (None, 3, "mse", ["mae"], "regression", None, False),                      # three coordinates
    ("sigmoid", 1, "mse", ["accuracy"], "binary", 2, False),
    ("sigmoid", 1, "mse", ["mae"], "regression", None, False),                 # a score in [0, 1]
    ("relu", 1, "huber", [], "regression", None, False),
    # hinge losses, KL divergence
    (None, 1, "hinge", [], "binary", 2, True),
    ("softmax", 4, "kl_divergence", [], "multiclass", 4, False),
])
def test_task_from_loss_head_and_metrics(keras, activation, units, loss, metrics, kind, classes, logits):
    task = task_of(keras, activation, units, loss, metrics)
    assert (task.kind, task.classes, task.logits) == (kind, classes, logits), task
    assert any(e.startswith("loss=") for e in task.evidence) and any(e.startswith("activation=") for e in task.evidence)


def test_a_mismatch_is_recorded_as_a_conflict(keras):
    task = task_of(keras, "softmax", 10, "mse", ["accuracy"])
    assert task.conflicts and "mse" in task.conflicts[0] and "softmax" in task.conflicts[0]
    assert task_of(keras, "softmax", 10, "categorical_crossentropy").conflicts == ()


def test_unknown_when_nothing_names_the_task(keras):
    """A custom loss on a linear head, or no compile at all, is never guessed."""
    def custom_loss(y_true, y_pred):
        return keras.ops.mean(keras.ops.abs(y_true - y_pred))

    assert task_of(keras, None, 1, custom_loss, ["accuracy"]).kind == "unknown"
    assert task_of(keras, "sigmoid", 1, None).kind == "unknown"
    assert task_of(keras, "softmax", 5, None).kind == "multiclass"          # a softmax over classes is unmistakable
    assert task_of(keras, "softmax", 5, custom_loss).kind == "multiclass"
    assert task_of(keras, "sigmoid", 3, custom_loss, ["accuracy"]).kind == "multilabel"


def test_regression_bounds_from_the_loss_and_the_head(keras):
    assert task_of(keras, None, 1, "mse").bounded is None
    assert task_of(keras, "exponential", 1, "poisson").bounded == (0.0, math.inf)
    assert task_of(keras, None, 1, "msle").bounded == (0.0, math.inf)
    assert task_of(keras, "sigmoid", 1, "mse").bounded == (0.0, 1.0)
    assert task_of(keras, "tanh", 1, "mae").bounded == (-1.0, 1.0)


def test_tasks_of_a_model_with_two_heads(keras):
    layers = keras.layers
    inputs = keras.Input((6,))
    h = layers.Dense(8, activation="relu")(inputs)
    age = layers.Dense(1, name="age")(h)
    gender = layers.Dense(1, activation="sigmoid", name="gender")(h)
    model = keras.Model(inputs, [age, gender])
    model.compile(optimizer="adam", loss={"age": "huber", "gender": "binary_crossentropy"},
                  metrics={"age": ["mae"], "gender": ["accuracy"]})
    found = tasks(fusiondoctor.load_model_spec(model))
    assert {name: t.kind for name, t in found.items()} == {"age": "regression", "gender": "binary"}
    assert infer_task(fusiondoctor.load_model_spec(model), "gender").classes == 2


# ---- labels -----------------------------------------------------------------------------------------


def test_label_summaries_of_real_label_arrays():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 4, 200)
    one_hot = LabelSummary.of(np.eye(4)[ids])
    assert (one_hot.columns, one_hot.row_sums_one, one_hot.binary_valued, one_hot.multi_hot) == (4, True, True, False)
    multi_hot = LabelSummary.of((rng.random((200, 5)) < 0.4).astype("float32"))
    assert multi_hot.multi_hot and not multi_hot.row_sums_one
    sparse = LabelSummary.of(ids)
    assert (sparse.columns, sparse.integer_valued, sparse.distinct) == (1, True, 4)
    assert (sparse.minimum, sparse.maximum) == (0, 3)
    binary = LabelSummary.of(rng.integers(0, 2, (200, 1)))
    assert binary.binary_valued and binary.columns == 1 and binary.distinct == 2
    real = LabelSummary.of(rng.normal(size=200) * 3)
    assert not real.integer_valued and real.minimum < 0 < real.maximum
    assert LabelSummary.of(np.array([True, False, True])).binary_valued
    empty = LabelSummary.of(np.array([np.nan, np.nan]))
    assert empty.distinct == 0


def test_labels_take_precedence(keras):
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 3, 100)
    # a sigmoid + MSE output without metrics reads as a bounded regression; {0, 1} labels make it binary
    assert task_of(keras, "sigmoid", 1, "mse").kind == "regression"
    binary = task_of(keras, "sigmoid", 1, "mse", labels=LabelSummary.of(rng.integers(0, 2, 100)))
    assert binary.kind == "binary" and binary.from_labels and binary.conflicts
    # one-hot rows under sigmoid + BCE: one class per sample, not independent labels
    one_hot = task_of(keras, "sigmoid", 3, "binary_crossentropy", labels=LabelSummary.of(np.eye(3)[ids]))
    assert (one_hot.kind, one_hot.classes) == ("multiclass", 3) and one_hot.conflicts
    # real-valued labels: a regression whose range is the labels'
    real = task_of(keras, None, 1, "mse", labels=LabelSummary.of(np.linspace(-2.0, 5.0, 50)))
    assert real.kind == "regression" and real.bounded == (-2.0, 5.0) and not real.conflicts
    # integer labels with several values decide nothing alone: class ids for a sparse loss, counts for MSE
    sparse = task_of(keras, "softmax", 3, "sparse_categorical_crossentropy", labels=LabelSummary.of(ids))
    assert sparse.kind == "multiclass"
    assert task_of(keras, None, 1, "mse", labels=LabelSummary.of(ids)).kind == "regression"
