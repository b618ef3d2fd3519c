"""FD510 on label orders with a known truth, without Keras: the tails that ``validation_split``
holds out (LabelSummary.tails) and the rule's judgement of them."""

from __future__ import annotations

import numpy as np

from fusiondoctor.model.task import LabelSummary
from fusiondoctor.rules.data_values import SplitOptions, _split_problem


def flagged(y) -> bool:
    return bool(list(_split_problem("label", LabelSummary.of(np.asarray(y)), SplitOptions())))


def test_tails_are_the_last_rows_as_keras_splits_them():
    summary = LabelSummary.of(np.repeat([0, 1, 2], 50))
    assert summary.tails == ((0.1, (0, 0, 15)), (0.2, (0, 0, 30)), (0.3, (0, 0, 45)))
    assert LabelSummary.of(np.linspace(-1.0, 1.0, 40)).tails is None  # regression targets: no classes


def test_labels_sorted_by_class_are_flagged():
    assert flagged(np.repeat([0, 1, 2], 50))
    assert flagged(np.repeat([0, 1, 2, 3, 4], [80, 80, 80, 80, 80]))  # the 30% tail holds two classes of five
    assert flagged(np.eye(4)[np.repeat([0, 1, 2, 3], 40)])           # one-hot rows in class order
    assert flagged(np.repeat([0.0, 1.0], [300, 100]).reshape(-1, 1))  # binary, negatives first


def test_shuffled_and_imbalanced_labels_stay_silent():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n, k = int(rng.integers(20, 600)), int(rng.integers(2, 12))
        assert not flagged(rng.choice(k, size=n, p=rng.dirichlet(np.full(k, 0.5))))
    assert not flagged(np.repeat([0, 1], [95, 5])[rng.permutation(100)])  # 95/5, shuffled
    assert not flagged(np.repeat([0, 1, 2], [5, 5, 140]))  # sorted, but a shuffled tail would hold class 2 too
    assert not flagged(np.zeros(100, "int64"))             # one class in all: FD504's business
