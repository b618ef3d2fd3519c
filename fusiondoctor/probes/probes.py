"""Probes: the live measuring machinery behind the data rules, on a bounded data sample.

A ``Probes`` object holds the live model and the data; each measurement (``labels``,
``input_stats``, ``merge_scales``, ``batchnorm``, ``ablation``, ``branch_probes``, the names of
``measurements.MEASUREMENTS``) is a cached property that returns a frozen record of numbers, so a
measurement nobody asks for is never computed and none is computed twice. ``probes.measure``
collects the ones the selected rules declare, before the engine runs; rules never see this object.
Everything runs through ``keras`` APIs, in inference mode, on at most ``data.n`` samples.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..live.keras_model import layer_at
from ..measurements import (
    Ablation,
    AblationResult,
    BatchNormShift,
    BranchProbe,
    InputFaults,
    InputStats,
    OperandScale,
)
from ..model import vocab
from ..model.graph import Head, Merge, heads, merges
from ..model.spec import ModelSpec
from ..model.task import LabelSummary
from . import activations, faults, frontier
from .data import ProbeData, input_names, subsample
from .feature_cache import FeatureCache
from .labels import Task, bootstrap_mean, class_ids, correctness, task_of

#: Probing aims to finish its forward passes within this many seconds; fewer samples are used if needed.
DEFAULT_BUDGET_SECONDS = 60.0
#: Never probe fewer samples than this because of the budget.
MIN_SAMPLES = 64
#: Samples per call of the trainable tail on cached front features (small inputs: called directly,
#: as predict() would trace a function and build an input pipeline for each new tail).
TAIL_BATCH_SIZE = 64
#: Input statistics (range, mean, integer share) read about this many values per input.
STAT_VALUES = 1 << 20
#: Bootstrap rounds for the interval of each ablation drop.
ABLATION_ROUNDS = 500
#: Cross-validation folds of the branch probes (fewer when a class has fewer samples).
PROBE_FOLDS = 3


def _live_input_names(model, spec: ModelSpec, data: ProbeData) -> list[str]:
    """Input names in the order the live model takes them."""
    try:
        names = [t._keras_history[0].name for t in model.inputs]
    except (AttributeError, TypeError):
        names = []
    return names if names and set(names) == set(data.inputs) else input_names(spec)


def _call(model, arrays: list[np.ndarray], batch_size: int) -> list[np.ndarray]:
    """The model's outputs on ``arrays`` in inference mode, calling it on one batch after another."""
    import keras

    parts = []
    for start in range(0, len(arrays[0]), batch_size):
        batch = [np.asarray(a[start: start + batch_size]) for a in arrays]
        out = model(batch if len(batch) > 1 else batch[0], training=False)
        parts.append([keras.ops.convert_to_numpy(o) for o in (out if isinstance(out, (list, tuple)) else [out])])
    return [np.concatenate(column) for column in zip(*parts)]


class Front:
    """The frozen front of the live model and its features on the probe data."""

    def __init__(self, model, tensors, features, ancestry, front_model):
        self.model = model
        self.tensors = tensors
        self.features = features
        self.ancestry = ancestry
        self.front_model = front_model
        self._tails: dict[tuple, object] = {}

    @classmethod
    def of(cls, model, inputs: list[np.ndarray], batch_size: int, cache: FeatureCache | None = None,
           before_computing=None) -> Front | None:
        """The front of ``model`` with its features on ``inputs``: read from ``cache`` when stored
        there, else computed (after ``before_computing()``, which may return other inputs to use)."""
        import keras

        tensors, keys = frontier.frozen_front(model)
        if not tensors or not frontier.worth_caching(model, tensors):
            return None
        front_model = keras.Model(model.inputs, tensors)
        features = frontier.front_features(front_model, keys, inputs, batch_size, cache, before_computing)
        ancestry = [frontier.input_ancestry(t, model.inputs) for t in tensors]
        return cls(model, tensors, features, ancestry, front_model)

    def tail(self, outputs: list):
        import keras

        key = tuple(id(t) for t in outputs)
        if key not in self._tails:
            self._tails[key] = keras.Model(self.tensors, outputs)
        return self._tails[key]

    def separable(self, position: int) -> bool:
        """True when every front feature depends on input ``position`` alone or not at all."""
        return all(position not in a or a == frozenset({position}) for a in self.ancestry)

    def ablated(
        self, position: int, mode: str, order: np.ndarray, inputs: list[np.ndarray], replace
    ) -> list[np.ndarray]:
        """Front features with input ``position`` zeroed, mean-replaced or shuffled."""
        affected = [i for i, a in enumerate(self.ancestry) if a == frozenset({position})]
        features = list(self.features)
        if mode == "shuffle":
            for i in affected:
                features[i] = features[i][order]
            return features
        one = [a[:1] for a in inputs]
        one[position] = replace(inputs[position], mode, order)[:1]
        raw = {i for i in affected if self.tensors[i] is self.model.inputs[position]}  # the input itself
        out = {}
        if set(affected) - raw:  # features computed from the input: the front runs once, on one sample
            predicted = self.front_model.predict(one if len(one) > 1 else one[0], verbose=0)
            out = dict(enumerate(predicted if isinstance(predicted, (list, tuple)) else [predicted]))
        for i in affected:
            value = one[position] if i in raw else out[i]
            features[i] = np.broadcast_to(np.asarray(value), features[i].shape)
        return features


class Probes:
    """The live model and a bounded data sample; each measurement is computed on first use."""

    def __init__(self, model, spec: ModelSpec, data: ProbeData, batch_size: int = activations.BATCH_SIZE,
                 budget_seconds: float | None = DEFAULT_BUDGET_SECONDS, cache: FeatureCache | None = None):
        self.model = model
        self.cache = cache  # frozen-front features across calls (feature_cache)
        self.spec = spec
        self.raw_data = data  # as given: the data rules report what is wrong with it
        self.data, self.dropped = faults.usable(data, spec)  # what a forward pass can take
        #: Why no forward pass can run on this data (every sample unusable), or None.
        self.blocked: str | None = None
        if self.data.n == 0:
            self.data, self.dropped = data, 0
            self.blocked = ("no probed sample can go through the model: each holds NaN/Inf or token ids outside an "
                            "Embedding's vocabulary (FD507, FD508)")
        self.batch_size = batch_size
        self.names = _live_input_names(model, spec, self.data)
        self.inputs = self.data.ordered(self.names)
        self.budget_seconds = budget_seconds
        self._calibrated = False

    def calibrate(self) -> None:
        """Fit the heavy forward pass into the time budget: time a few samples, and probe fewer
        samples (at least MIN_SAMPLES) when all of them would take longer. Runs once, first."""
        if self._calibrated:
            return
        self._calibrated = True
        n = self.data.n
        if self.budget_seconds is None or n <= MIN_SAMPLES:
            return
        import time

        few = [a[:8] for a in self.inputs]
        self._predict(self.model, few)  # warm-up: graph building is not per-sample cost
        start = time.perf_counter()
        self._predict(self.model, few)
        per_sample = (time.perf_counter() - start) / 8
        affordable = int(self.budget_seconds / max(per_sample, 1e-9))
        if affordable < n:
            keep = max(MIN_SAMPLES, affordable)
            self.data = subsample(self.data, keep, seed=0)
            self.inputs = self.data.ordered(self.names)

    # ---- basics ------------------------------------------------------------------------------

    @functools.cached_property
    def head(self) -> Head | None:
        found = list(heads(self.spec))
        return found[0] if found else None

    @functools.cached_property
    def task(self) -> Task | None:
        return task_of(self.head) if self.head else None

    @functools.cached_property
    def head_labels(self) -> np.ndarray | None:
        """The labels of the first output, which the ablation scores against."""
        if self.head is None:
            return None
        return self.data.labels_for(self.head.output.name, [o.name for o in self.spec.outputs])

    @functools.cached_property
    def labels(self) -> dict[str, LabelSummary]:
        """The form and range of each output's labels (outputs without labels are left out)."""
        outputs = [o.name for o in self.spec.outputs]
        found = {name: self.data.labels_for(name, outputs) for name in outputs}
        return {name: LabelSummary.of(y) for name, y in found.items() if y is not None}

    @functools.cached_property
    def front(self) -> Front | None:
        """The frozen front (a frozen backbone's outputs), computed once for all probes, or read from
        the feature cache; the forward pass is timed (``calibrate``) only when it is to be computed."""
        front = Front.of(self.model, self.inputs, self.batch_size, self.cache, self._calibrated_inputs)
        if front is None:
            self.calibrate()  # the full model's forward pass is what probes will pay for
        self._calibrated = True  # computed: timed before; read back: every sample's features, at no cost
        return front

    def _calibrated_inputs(self) -> list[np.ndarray]:
        self.calibrate()
        return self.inputs

    def _predict(self, model, arrays: list[np.ndarray]) -> list[np.ndarray]:
        out = model.predict(arrays if len(arrays) > 1 else arrays[0], batch_size=self.batch_size, verbose=0)
        return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]

    def _tail_predict(self, outputs: list, features: list[np.ndarray]) -> list[np.ndarray]:
        """Values of ``outputs`` from front features: a front tensor is its own feature; the rest
        runs through a tail model built on the front."""
        position = {id(t): i for i, t in enumerate(self.front.tensors)}
        rest = [t for t in outputs if id(t) not in position]
        computed = iter(_call(self.front.tail(rest), features, TAIL_BATCH_SIZE) if rest else [])
        return [features[position[id(t)]] if id(t) in position else next(computed) for t in outputs]

    @functools.cached_property
    def predictions(self) -> list[np.ndarray]:
        self.calibrate()
        if self.front is not None:
            return self._tail_predict(list(self.model.outputs), self.front.features)
        return self._predict(self.model, self.inputs)

    @functools.cached_property
    def fusion_merges(self) -> list[Merge]:
        return [m for m in merges(self.spec) if m.is_fusion]

    # ---- merge operands ----------------------------------------------------------------------

    @functools.cached_property
    def _operand_activations(self) -> dict[str, np.ndarray]:
        keys = list(dict.fromkeys(k for m in self.fusion_merges for k in m.node.inputs))
        if not keys:
            return {}
        top_level = all(not self.spec.nodes[k].chain for k in keys)
        if self.front is not None and top_level:
            tensors = [activations.output_tensor(self.model, self.spec.nodes[k]) for k in keys]
            kept = dict(zip(keys, self._tail_predict(tensors, self.front.features)))
        else:
            kept = activations.collect(self.model, self.spec, keys, self.inputs, self.batch_size)
        return {k: v.reshape(len(v), -1) for k, v in kept.items()}

    @functools.cached_property
    def merge_scales(self) -> dict[str, tuple[OperandScale, ...]]:
        """Per fusion merge: RMS and share of exact zeros of each operand on the data."""
        result = {}
        acts = self._operand_activations
        for merge in self.fusion_merges:
            rows = []
            for operand in merge.operands:
                value = acts[operand.key]
                rms = float(np.sqrt(np.mean(np.square(value, dtype="float64"))))
                rows.append(OperandScale(operand.key, operand.producer, rms, float(np.mean(value == 0)),
                                         int(value.shape[1])))
            result[merge.node.key] = tuple(rows)
        return result

    # ---- batch normalization -----------------------------------------------------------------

    @functools.cached_property
    def batchnorm(self) -> tuple[BatchNormShift, ...]:
        """Each BatchNormalization layer's moving statistics against the statistics of its inputs."""
        nodes = [n for n in self.spec.nodes.values() if n.layer.class_name in vocab.BATCHNORM_CLASSES]
        nodes = [n for n in nodes if len(n.inputs) == 1]
        if not nodes:
            return ()
        sums: dict[str, list[np.ndarray]] = {}
        counts: dict[str, int] = {}
        axes = {n.key: self._channel_axis(n) for n in nodes}
        for batch in activations.stream(
            self.model, self.spec, [n.inputs[0] for n in nodes], self.inputs, self.batch_size
        ):
            for node in nodes:
                value = np.asarray(batch[node.inputs[0]], dtype="float64")
                axis = axes[node.key] % value.ndim
                reduce = tuple(i for i in range(value.ndim) if i != axis)
                moments = sums.setdefault(node.key, [0.0, 0.0])
                moments[0] = moments[0] + value.sum(axis=reduce)
                moments[1] = moments[1] + np.square(value).sum(axis=reduce)
                counts[node.key] = counts.get(node.key, 0) + int(value.size // value.shape[axis])
        return tuple(self._shift(node, sums[node.key], counts[node.key]) for node in nodes if node.key in sums)

    @staticmethod
    def _channel_axis(node) -> int:
        axis = node.layer.config.get("axis", -1)
        if isinstance(axis, list):
            axis = axis[0] if axis else -1
        return int(axis)

    def _shift(self, node, moments, count: int) -> BatchNormShift:
        import keras

        layer = layer_at(self.model, node.layer.path)
        moving_mean = np.asarray(keras.ops.convert_to_numpy(layer.moving_mean), dtype="float64")
        moving_var = np.asarray(keras.ops.convert_to_numpy(layer.moving_variance), dtype="float64")
        mean = moments[0] / count
        var = np.maximum(moments[1] / count - mean ** 2, 0.0)
        eps = float(node.layer.config.get("epsilon", 1e-3))
        fresh = bool(np.all(moving_mean == 0) and np.all(moving_var == 1))
        shift = float(np.mean(np.abs(mean - moving_mean) / np.sqrt(moving_var + eps)))
        ratio = float(np.mean(np.abs(np.log((var + eps) / (moving_var + eps)))))
        return BatchNormShift(node.layer.path, node.key, shift, ratio, fresh)

    # ---- inputs ----------------------------------------------------------------------------

    @functools.cached_property
    def input_stats(self) -> tuple[InputStats, ...]:
        """Range, mean, spread and share of integers of each numeric input, from a few samples."""
        rows = []
        for name, array in zip(self.names, self.inputs):
            values = np.asarray(array)[:MIN_SAMPLES]  # ranges are clear from a few samples
            if not np.issubdtype(values.dtype, np.number) or values.size == 0:
                continue
            flat = values.ravel()
            flat = flat[:: max(1, flat.size // STAT_VALUES)].astype("float64")  # evenly spread, at most ~2x STAT_VALUES
            finite = flat[np.isfinite(flat)]
            if finite.size == 0:
                continue
            integer = float(np.mean(finite == np.round(finite)))
            rows.append(InputStats(name, float(finite.min()), float(finite.max()), float(finite.mean()),
                                   float(finite.std()), integer, values.ndim))
        return tuple(rows)

    @functools.cached_property
    def input_faults(self) -> tuple[InputFaults, ...]:
        """NaN/Inf values, out-of-vocabulary token ids, constant and duplicated inputs, on the data as given."""
        return faults.input_faults(self.raw_data, self.spec)

    # ---- modality contribution ---------------------------------------------------------------

    def _score(self, predictions: np.ndarray) -> np.ndarray:
        return correctness(predictions, self.head_labels, self.task)

    def chance(self) -> float | None:
        if self.task is None or self.head_labels is None or self.task.kind not in ("binary", "multiclass"):
            return None
        ids = class_ids(self.head_labels, self.task)
        _, counts = np.unique(ids, return_counts=True)  # ids may be anything (FD504 says so): no bincount
        return float(counts.max() / len(ids)) if len(ids) else None

    @functools.cached_property
    def ablation(self) -> AblationResult | None:
        """Per input and mode (zero / mean / shuffle): the drop of the per-sample score, with a
        bootstrap interval. None without labels or a classification/regression head."""
        if self.head_labels is None or self.task is None or len(self.names) < 2:
            return None
        base = self._score(self.predictions[0])
        metric = "accuracy" if self.task.kind in ("binary", "multiclass") else (
            "label accuracy" if self.task.kind == "multilabel" else "negative squared error")
        rng = np.random.default_rng(0)
        order = rng.permutation(self.data.n)
        rows = []
        for position, name in enumerate(self.names):
            for mode in ("zero", "mean", "shuffle"):
                ablated, method = self._ablated_predictions(position, mode, order)
                drop = base - self._score(ablated)
                mean, low, high = bootstrap_mean(drop, ABLATION_ROUNDS)
                rows.append(Ablation(name, mode, mean, low, high, method))
        return AblationResult(metric, float(base.mean()), self.chance(), tuple(rows))

    def _replacement(self, array: np.ndarray, mode: str, order: np.ndarray) -> np.ndarray:
        if mode == "zero":
            return np.zeros_like(array)
        if mode == "mean":
            return np.broadcast_to(array.mean(axis=0, keepdims=True), array.shape).astype(array.dtype)
        return array[order]

    def _ablated_predictions(self, position: int, mode: str, order: np.ndarray) -> tuple[np.ndarray, str]:
        front = self.front
        if front is not None and front.separable(position):
            features = front.ablated(position, mode, order, self.inputs, self._replacement)
            return self._tail_predict(list(self.model.outputs), features)[0], "front"
        inputs = list(self.inputs)
        inputs[position] = self._replacement(inputs[position], mode, order)
        out = self.model.predict(inputs if len(inputs) > 1 else inputs[0], batch_size=self.batch_size, verbose=0)
        return np.asarray(out[0] if isinstance(out, (list, tuple)) else out), "full"

    # ---- linear probes on branch features ----------------------------------------------------

    @functools.cached_property
    def branch_probes(self) -> tuple[BranchProbe, ...]:
        """Cross-validated logistic-regression accuracy of each operand's features, and of their
        concatenation, at each fusion merge (classification heads only)."""
        if self.head_labels is None or self.task is None or self.task.kind not in ("binary", "multiclass"):
            return ()
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_score
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        y = class_ids(self.head_labels, self.task)
        counts = np.unique(y, return_counts=True)[1]
        folds = min(PROBE_FOLDS, int(counts.min())) if counts.size else 0
        if folds < 2 or len(set(y.tolist())) < 2:
            return ()
        acts = self._operand_activations
        results = []
        for merge in self.fusion_merges:
            features = {(o.producer or o.key): self._compact(acts[o.key]) for o in merge.operands}
            features["fused"] = np.concatenate(list(features.values()), axis=1)
            scores = {}
            for name, x in features.items():
                model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300))
                cv = StratifiedKFold(folds, shuffle=True, random_state=0)
                values = cross_val_score(model, x, y, cv=cv)
                scores[name] = (float(values.mean()), float(values.std()))
            results.append(BranchProbe(merge.node.key, scores))
        return tuple(results)

    @staticmethod
    def _compact(x: np.ndarray, dims: int = 256) -> np.ndarray:
        """Wide features through a fixed random projection, so the probe stays quick."""
        x = np.asarray(x, dtype="float64")
        if x.shape[1] <= dims:
            return x
        projection = np.random.default_rng(0).normal(size=(x.shape[1], dims)) / math.sqrt(dims)
        return x @ projection
