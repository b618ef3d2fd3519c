"""Run fix trials: baseline and patched candidates, same split, same budget, several seeds."""

from __future__ import annotations

import copy
import math
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..live.keras_model import compile_config, model_class, model_from_config
from ..probes import frontier
from ..probes.activations import BATCH_SIZE
from ..probes.feature_cache import FeatureCache
from ..probes.labels import Task, class_ids, correctness, score_bounds, task_of
from ..progress import Progress
from .patches import PatchError
from .runs import ENDINGS, Run, Trial, endings  # noqa: F401  (Trial, endings: re-exported for callers)

#: A run takes at least this many optimizer steps: small datasets are repeated within an epoch.
MIN_STEPS = 100
#: Optimizer steps per call into the backend (fewer round trips per epoch; on the seed-000 head the
#: step itself dominates, so the gain there is small).
STEPS_PER_EXECUTION = 16
#: Epochs per run by default (each ends with a held-out score).
DEFAULT_EPOCHS = 5


@dataclass
class TrialSettings:
    epochs: int = DEFAULT_EPOCHS
    seeds: int = 3  # seeds a trial starts with (judge.Design.start)
    max_seeds: int = 20  # seeds it may grow to while undecided (judge.Design.cap)
    batch_size: int = 32
    holdout: float = 0.25
    budget: float | None = None  # seconds for all trials
    alpha: float = 0.05  # the error rate of the decision (each direction)
    min_effect: float = 0.01  # the smallest gain on the score that matters
    keep_weights: str = "frozen"  # frozen / all / none


def split(n: int, labels: np.ndarray | None, holdout: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Train / validation indices; stratified by class when labels are classes."""
    rng = np.random.default_rng(seed)
    if labels is None:
        order = rng.permutation(n)
        cut = max(1, int(round(n * holdout)))
        return np.sort(order[cut:]), np.sort(order[:cut])
    val = []
    for cls in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == cls))
        val.extend(members[: max(1, int(round(len(members) * holdout)))])
    val = np.sort(np.array(val, dtype=int))
    train = np.setdiff1d(np.arange(n), val)
    return train, val


def main_output(outputs: Sequence[str], compile_config: dict | None) -> int:
    """The index of the output whose held-out score trials compare: the one with the largest loss
    weight; on a tie, or with no weights, the last output listed (an output without a weight weighs 1)."""
    weights = (compile_config or {}).get("loss_weights")
    if isinstance(weights, dict):
        values = [weights.get(name, 1.0) for name in outputs]
    elif isinstance(weights, (list, tuple)) and len(weights) == len(outputs):
        values = list(weights)
    else:
        values = [1.0] * len(outputs)
    values = [_weight(v) for v in values]
    return max(range(len(outputs)), key=lambda i: (values[i], i)) if outputs else 0


def _weight(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 1.0


class TrialRunner:
    """Trains baseline and candidates on cached frozen features where possible.

    ``y``: the labels, or for a model with several outputs one array per output in the model's order;
    every output trains with its own loss and loss weight, and runs are scored, and the split
    stratified, on output ``main`` alone (``main_output``)."""

    def __init__(self, live, config: dict, compile_config: dict, inputs: list[np.ndarray],
                 y: np.ndarray | Sequence[np.ndarray], task: Task, settings: TrialSettings, progress: Progress,
                 distribution=None, main: int = 0, cache: FeatureCache | None = None):
        self.live = live
        self.cache = cache  # frozen-front features across calls (probes.feature_cache)
        self.inputs = inputs
        #: every output's labels, in the model's output order (one array for a single output)
        self.targets = [np.asarray(a) for a in y] if isinstance(y, (list, tuple)) else [np.asarray(y)]
        self.main = main
        self.y = self.targets[main]  # the main output's labels: the split and the score
        self.task = task
        self.settings = settings
        self.progress = progress
        #: the bar's position: trials done so far (the baseline first) of all there are to run
        self.step, self.steps = 0, 1
        self.distribution = distribution
        self.config = config
        self.compile_config = compile_config
        self._ids = class_ids(self.y, task) if task.kind in ("binary", "multiclass") else None
        self._splits: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        #: seed 0's split; every seed's has the same size (and, for classes, the same class counts)
        self.train_idx, self.val_idx = self.split_for(0)
        per_epoch = math.ceil(len(self.train_idx) / settings.batch_size)
        #: how many times the training part is repeated within one epoch, for MIN_STEPS steps in all
        self.repeats = max(1, math.ceil(MIN_STEPS / (per_epoch * settings.epochs)))
        self._features: dict[str, np.ndarray] = {}  # frozen-front features by tensor key, shared by all models
        self.started = time.monotonic()

    # ---- model building ------------------------------------------------------------------

    def build(self, config: dict, compile_config: dict, seed: int):
        import keras

        keras.utils.set_random_seed(seed)
        with _scope(self.distribution):
            model = model_from_config(copy.deepcopy(config), model_class(self.live))
            self._start(model, seed)
            model.compile_from_config(copy.deepcopy(compile_config))
        return model

    def _start(self, model, seed: int, built_now: bool = True) -> None:
        """The weights a run with ``seed`` starts from: fresh ones, then the saved ones the fix keeps
        (frozen layers are never re-initialized, so a model built earlier still holds theirs)."""
        _reinitialize(model, seed)
        if built_now or self.settings.keep_weights == "all":
            self._transfer_weights(model)

    def _transfer_weights(self, model) -> None:
        """Copy saved weights into layers the fix keeps: frozen ones (pretrained parts) by default."""
        mode = self.settings.keep_weights
        if mode == "none":
            return
        saved = {layer.name: layer for layer in self.live.layers}
        for layer in model.layers:
            source = saved.get(layer.name)
            if source is None or (mode == "frozen" and layer.trainable_weights):
                continue
            mine, theirs = layer.get_weights(), source.get_weights()
            if mine and len(mine) == len(theirs) and all(a.shape == b.shape for a, b in zip(mine, theirs)):
                layer.set_weights(theirs)

    def task_for(self, model) -> Task:
        """The trials' task (from the baseline and the labels), read the way this candidate's output
        means it: a fix that puts a sigmoid on a logit output is scored on probabilities. The main
        output's head is read, whichever head the fix patches."""
        from ..model.graph import heads
        from ..subject import load_model_spec

        try:
            found = list(heads(load_model_spec(model)))
            head = found[self.main] if self.main < len(found) else None
        except Exception:  # a candidate the normalizer cannot read is scored like the baseline
            head = None
        return self.task if head is None else replace(self.task, logits=task_of(head).logits)

    # ---- frozen front ----------------------------------------------------------------------

    def share_front(self, front) -> None:
        """Reuse features the probes already computed on the same samples (one backbone pass in all)."""
        if front is not None:
            for tensor, features in zip(front.tensors, front.features):
                self._features[frontier.tensor_key(tensor)] = features

    def _front(self, model):
        import keras

        tensors, keys = frontier.frozen_front(model)
        if not tensors or not frontier.worth_caching(model, tensors):
            return None, None, None
        missing = [(t, k) for t, k in zip(tensors, keys) if k not in self._features]
        if missing:
            self.show("computing the frozen backbone's features once...")
            front = keras.Model(model.inputs, [t for t, _ in missing])
            feats = frontier.front_features(front, [k for _, k in missing], self.inputs, BATCH_SIZE, self.cache)
            for (_, key), value in zip(missing, feats):
                self._features[key] = value
        tail = keras.Model(tensors, model.outputs)
        return tail, [self._features[k] for k in keys], tuple(keys)

    # ---- one run ---------------------------------------------------------------------------

    def split_for(self, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """The (train, held-out) indices of ``seed``'s runs, baseline and candidate alike: each seed
        holds out its own stratified part, so a trial's gain is a gain on data the runs did not
        see, not on one particular held-out part."""
        if seed not in self._splits:
            self._splits[seed] = split(len(self.y), self._ids, self.settings.holdout, seed)
        return self._splits[seed]

    def _parts(self, data: list[np.ndarray], seed: int):
        """``seed``'s training arrays (repeated for MIN_STEPS steps), its targets, held-out arrays and labels."""
        train_idx, val_idx = self.split_for(seed)
        train = np.tile(train_idx, self.repeats)
        y_train = [t[train] for t in self.targets] if len(self.targets) > 1 else self.y[train]
        return [a[train] for a in data], y_train, [a[val_idx] for a in data], self.y[val_idx]

    def _untrained(self, trainee, data: list[np.ndarray], task: Task, seeds: Sequence[int], label: str) -> list[Run]:
        """Runs of a model whose output no training can change: each seed's score is the model's
        held-out score as it starts."""
        runs = []
        for seed in seeds:
            _, val_idx = self.split_for(seed)
            score = _holdout_score(trainee, [a[val_idx] for a in data], self.y[val_idx], task, self.main)
            runs.append(Run(seed, scores=[score], ended="constant"))
        scores = sorted({f"{r.scores[0]:.3f}" for r in runs})
        self.show(f"{label}: score {', '.join(scores)} on {len(runs)} seeds, untrained ({ENDINGS['constant']})")
        return runs

    def _fit(self, trainee, x_train, y_train, callback, run: Run) -> None:
        with _scope(self.distribution):
            history = trainee.fit(x_train if len(x_train) > 1 else x_train[0], y_train,
                                  epochs=self.settings.epochs, batch_size=self.settings.batch_size,
                                  verbose=0, shuffle=True, callbacks=[callback])
        run.history = {k: [float(v) for v in vals] for k, vals in history.history.items()}
        run.cut = len(run.scores) < self.settings.epochs and not run.ended
        run.history["val_score"] = list(run.scores)

    def show(self, text: str) -> None:
        """One line of progress, on the bar of trials done (``fusiondoctor.progress``)."""
        self.progress.show(text, self.step, self.steps)

    def over_budget(self) -> bool:
        budget = self.settings.budget
        return budget is not None and time.monotonic() - self.started > budget

    def runs(self, config: dict, compile_config: dict, seeds: Sequence[int], label: str,
             settle: Callable[[list[Run], Run | None], bool] | None = None,
             early: bool = True) -> tuple[list[Run], Any]:
        """Train one model config once per seed. The model is built and compiled once; each seed
        re-initializes the trainable layers and the optimizer, so no graph is traced twice.

        With ``early``, a run ends before its last epoch once more epochs cannot change its score
        (it reached the best possible score, or its output is constant); ``settle(done, current)`` ends a
        run, and the seeds after it, once nothing they could score changes the trial's verdict."""
        runs: list[Run] = []
        try:
            model = self.build(config, compile_config, seeds[0])
            tail, features, _ = self._front(model)
            trainee, data = (tail, features) if tail is not None else (model, self.inputs)
            if tail is not None:
                trainee.compile_from_config(copy.deepcopy(compile_config))
        except Exception as exc:  # a candidate that does not build is a verdict, not a crash
            return [Run(seeds[0], error=_describe(exc))], None
        task = self.task_for(model)
        if early and _softmax_over_one_unit(trainee, self.main):
            if self.over_budget():
                return [], model
            return self._untrained(trainee, data, task, seeds, label), model
        snapshot = _optimizer_state(trainee)
        for seed in seeds:
            if self.over_budget() or (settle is not None and settle(runs, None)):
                break
            run = Run(seed)
            start = time.monotonic()
            try:
                if runs:
                    self._start(model, seed, built_now=False)
                    _restore(trainee.optimizer, snapshot)
                import keras

                x_train, y_train, x_val, y_val = self._parts(data, seed)
                keras.utils.set_random_seed(seed)
                ends = _Ends(early, score_bounds(task)[1], (lambda current: settle(runs, current)) if settle else None)
                self._fit(trainee, x_train, y_train, _HoldoutScore(self, x_val, y_val, run, label, task, ends), run)
            except Exception as exc:
                run.error = _describe(exc)
            run.seconds = time.monotonic() - start
            runs.append(run)
            if run.error or run.cut or run.ended == "settled":  # settled: the seeds after it cannot change it either
                break
        return runs, model


def _describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"


def _layer_seed(seed: int, name: str) -> int:
    return zlib.crc32(f"{seed}/{name}".encode()) & 0x7FFFFFFF


def _reinitialize(model, seed: int) -> None:
    """Fresh initial weights for every layer that trains; frozen layers keep theirs. Each layer
    draws from a seed of its own (the run's seed and the layer's name), so its start does not
    depend on which layers come before it or on whether they were drawn."""
    import keras

    for layer in model.layers:
        if not layer.trainable_weights:
            continue
        keras.utils.set_random_seed(_layer_seed(seed, layer.name))
        fresh = layer.__class__.from_config(layer.get_config())
        build_config = layer.get_build_config() if hasattr(layer, "get_build_config") else None
        if not fresh.built and build_config:
            fresh.build_from_config(build_config)
        layer.set_weights(fresh.get_weights())


def _optimizer_state(model):
    """The optimizer's variables before any step (built now if needed), to restore for each seed."""
    import keras

    optimizer = model.optimizer
    if optimizer is None:
        return None
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    return [np.array(keras.ops.convert_to_numpy(v)) for v in optimizer.variables]


def _restore(optimizer, state) -> None:
    if state is None or optimizer is None:
        return
    for variable, value in zip(optimizer.variables, state):
        variable.assign(value)


def trial_compile_config(live) -> dict:
    """The model's compile settings as trials compile every run: rebuildable metrics, JIT on JAX only,
    several steps per call into the backend."""
    import keras

    config = compile_config(live) or {}
    if not config.get("loss"):
        raise PatchError("the model is not compiled with a loss: trials need model.compile(loss=...)")
    config["metrics"] = _rebuildable_metrics(config.get("metrics"))
    # short runs: XLA compilation would cost TensorFlow more than it saves; JAX without jit is eager
    config["jit_compile"] = keras.backend.backend() == "jax"
    config["steps_per_execution"] = 1 if keras.backend.backend() == "torch" else STEPS_PER_EXECUTION  # torch: 1 only
    return config


#: Metric classes for the function names a Keras 2 file's ``MeanMetricWrapper`` carries as strings.
_METRIC_CLASSES = {
    "binary_accuracy": "BinaryAccuracy", "categorical_accuracy": "CategoricalAccuracy",
    "sparse_categorical_accuracy": "SparseCategoricalAccuracy", "accuracy": "Accuracy", "auc": "AUC",
    "mean_squared_error": "MeanSquaredError", "mean_absolute_error": "MeanAbsoluteError",
}


def _rebuildable_metrics(metrics: Any) -> Any:
    """Metrics that ``compile_from_config`` can rebuild: a ``MeanMetricWrapper`` whose ``fn`` is a
    string (Keras 3's reading of a Keras 2 file) becomes the metric class of that name, keeping
    the metric's display name, or the function name when no class matches."""
    if isinstance(metrics, list):
        return [_rebuildable_metrics(m) for m in metrics]
    if isinstance(metrics, dict) and metrics.get("class_name") == "MeanMetricWrapper":
        config = metrics.get("config") or {}
        fn = config.get("fn")
        if isinstance(fn, str):
            cls = _METRIC_CLASSES.get(fn)
            if cls is None:
                return fn
            return {"module": "keras.metrics", "class_name": cls, "registered_name": None,
                    "config": {"name": config.get("name", fn), "dtype": config.get("dtype", "float32")}}
        return metrics
    if isinstance(metrics, dict) and "class_name" not in metrics:  # per-output metrics
        return {name: _rebuildable_metrics(m) for name, m in metrics.items()}
    return metrics


class _Scope:
    def __init__(self, distribution):
        self.distribution = distribution
        self.context = None

    def __enter__(self):
        if self.distribution is None:
            return self
        if hasattr(self.distribution, "scope"):  # tf.distribute.Strategy
            self.context = self.distribution.scope()
        else:  # keras.distribution.Distribution
            self.context = self.distribution.scope()
        self.context.__enter__()
        return self

    def __exit__(self, *exc):
        if self.context is not None:
            return self.context.__exit__(*exc)
        return False


def _scope(distribution) -> _Scope:
    return _Scope(distribution)


class _Ends:
    """Decides, after an epoch, whether a run may end early (a key of ENDINGS, or "")."""

    def __init__(self, enabled: bool, ceiling: float, settle: Callable[[Run], bool] | None):
        self.enabled = enabled
        self.ceiling = ceiling
        self.settle = settle

    def after_epoch(self, run: Run) -> str:
        if not self.enabled:
            return ""
        if run.scores[-1] >= self.ceiling:  # the run's score is its best epoch's: nothing can beat this one
            return "ceiling"
        if self.settle is not None and self.settle(run):
            return "settled"
        return ""


def _softmax_over_one_unit(model, main: int = 0) -> bool:
    """True when the scored output (``main``) is a softmax over an axis of one unit: always exactly
    1.0, so its score cannot move whatever training does to this or any other output."""
    if main >= len(model.outputs) or model.outputs[main].shape[-1] != 1:
        return False
    output = model.outputs[main]
    layer = output._keras_history[0]
    activation = getattr(layer, "activation", None)
    if type(layer).__name__ == "Softmax":
        return getattr(layer, "axis", -1) in (-1, len(output.shape) - 1)
    return getattr(activation, "__name__", "") == "softmax"


def _holdout_score(model, x_val, y_val, task: Task, main: int = 0) -> float:
    """The mean correctness of output ``main`` on the held-out part."""
    import keras

    pred = model(list(x_val) if len(x_val) > 1 else x_val[0], training=False)
    pred = pred[main] if isinstance(pred, (list, tuple)) else pred
    return float(correctness(np.asarray(keras.ops.convert_to_numpy(pred)), y_val, task).mean())


def _HoldoutScore(runner: TrialRunner, x_val, y_val, run: Run, label: str, task: Task, ends: _Ends):
    import keras

    class HoldoutScore(keras.callbacks.Callback):
        """After each epoch: the score on the held-out part, an early end, and the wall-time budget."""

        def on_epoch_end(self, epoch, logs=None):
            run.scores.append(_holdout_score(self.model, x_val, y_val, task, runner.main))
            if epoch + 1 < runner.settings.epochs:
                run.ended = ends.after_epoch(run)
            ending = f" ({ENDINGS[run.ended]}: the run ends here)" if run.ended else ""
            runner.show(f"{label} seed {run.seed}: epoch {epoch + 1}/{runner.settings.epochs} "
                                 f"score {run.scores[-1]:.3f}{ending}")
            if run.ended or runner.over_budget():
                self.model.stop_training = True

    return HoldoutScore()
