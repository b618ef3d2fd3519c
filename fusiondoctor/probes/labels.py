"""Predictions against labels: per-sample correctness for the ablation and probe metrics."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..model import vocab
from ..model.graph import Head


@dataclass(frozen=True)
class Task:
    """How one output is scored: binary, multiclass or multilabel classification, or regression."""

    kind: str
    classes: int
    logits: bool


def task_of(head: Head) -> Task:
    """How ``head``'s output is scored. Its values are logits unless its own activation makes
    probabilities, whatever the loss's ``from_logits`` says (a mismatch is FD201's business)."""
    width = head.width or 1
    family = head.output.loss.family if head.output.loss else None
    from_logits = bool(head.output.loss and head.output.loss.from_logits)
    logits = head.activation in (None, "linear") or (
        head.activation not in vocab.PROBABILITY_ACTIVATIONS and from_logits)
    if family in (vocab.BINARY, vocab.CATEGORICAL, vocab.SPARSE) or head.activation in vocab.PROBABILITY_ACTIVATIONS:
        if width == 1:
            return Task("binary", 2, logits)
        if head.activation == "sigmoid" and family == vocab.BINARY:
            return Task("multilabel", width, logits)
        return Task("multiclass", width, logits)
    return Task("regression", width, logits)


def with_labels(task: Task, y: np.ndarray) -> Task:
    """``task`` corrected by the labels: multi-hot rows make a multiclass reading multilabel."""
    y = np.asarray(y)
    if task.kind != "multiclass" or y.ndim < 2 or y.shape[-1] != task.classes or task.classes < 2:
        return task
    rows = y.reshape(len(y), -1)
    if np.isin(rows, (0, 1)).all() and (rows.sum(axis=1) != 1).any():
        return Task("multilabel", task.classes, task.logits)
    return task


def class_ids(y: np.ndarray, task: Task) -> np.ndarray | None:
    """Integer class per sample (binary / multiclass), from sparse or one-hot labels."""
    y = np.asarray(y)
    if task.kind == "binary":
        return (y.reshape(len(y), -1)[:, 0] > 0.5).astype(int)
    if task.kind == "multiclass":
        if y.ndim >= 2 and y.shape[-1] > 1:
            return y.reshape(len(y), -1).argmax(axis=1)
        return y.reshape(len(y)).astype(int)
    return None


def score_bounds(task: Task) -> tuple[float, float]:
    """The lowest and highest value ``correctness`` can give: [0, 1], or [-inf, 0] for regression."""
    return (-math.inf, 0.0) if task.kind == "regression" else (0.0, 1.0)


def correctness(pred: np.ndarray, y: np.ndarray, task: Task) -> np.ndarray:
    """A score per sample, higher is better: 1 or 0 for right or wrong (binary, multiclass), the
    share of labels right (multilabel), both in [0, 1]; minus the squared error (regression, <= 0)."""
    pred = np.asarray(pred, dtype="float64").reshape(len(pred), -1)
    if task.kind == "binary":
        threshold = 0.0 if task.logits else 0.5
        return ((pred[:, 0] > threshold).astype(int) == class_ids(y, task)).astype(float)
    if task.kind == "multiclass":
        return (pred.argmax(axis=1) == class_ids(y, task)).astype(float)
    target = np.asarray(y, dtype="float64").reshape(len(y), -1)
    if task.kind == "multilabel":
        threshold = 0.0 if task.logits else 0.5
        return ((pred > threshold) == (target > 0.5)).mean(axis=1)
    return -((pred - target) ** 2).mean(axis=1)


def bootstrap_mean(values: np.ndarray, rounds: int = 500, seed: int = 0) -> tuple:
    """(mean, low, high): the mean and its 95% bootstrap interval."""
    values = np.asarray(values, dtype="float64")
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(rounds, len(values)))].mean(axis=1)
    return float(values.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))

