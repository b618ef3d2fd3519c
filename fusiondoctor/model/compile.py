"""Compile settings in both dialects (Keras 3 ``compile_config``, Keras 2 ``training_config``),
per model output: loss and its ``from_logits``, metrics and what ``'accuracy'`` resolves to, and
the optimizer with its learning rate."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from . import vocab
from .spec import CompileSpec, LossSpec, MetricSpec, ModelSpec, OptimizerSpec, OutputSpec

#: Keras' default learning rates, for optimizers given by name only.
DEFAULT_LEARNING_RATES = {
    "adam": 0.001, "adamw": 0.001, "rmsprop": 0.001, "sgd": 0.01, "adagrad": 0.001, "adadelta": 0.001,
    "adamax": 0.001, "nadam": 0.001, "ftrl": 0.001, "lion": 0.001, "adafactor": 0.001, "lamb": 0.001,
}


def parse_compile(
    spec: ModelSpec, output_keys: Sequence[str], raw: dict[str, Any] | None
) -> tuple[tuple, CompileSpec | None]:
    names = [spec.nodes[k].layer.name for k in output_keys]
    outputs = [OutputSpec(name, key) for name, key in zip(names, output_keys)]
    if not raw:
        return tuple(outputs), None
    losses = _per_output(raw.get("loss"), names, _is_single_loss)
    metrics = _per_output(raw.get("metrics"), names, _is_single_metric_list)
    for output, loss, metric_list in zip(outputs, losses, metrics):
        output.loss = parse_loss(loss) if loss is not None else None
        output.metrics = tuple(_parse_metrics(metric_list))
        output.metrics = tuple(_resolve_accuracy(spec, output, m) for m in output.metrics)
    optimizer = raw.get("optimizer", raw.get("optimizer_config"))
    return tuple(outputs), CompileSpec(parse_optimizer(optimizer), dict(raw))


def _is_single_loss(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, dict) and "class_name" in value)


def _is_single_metric_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and not any(isinstance(v, (list, tuple)) for v in value)


def _per_output(value: Any, names: list[str], is_single) -> list[Any]:
    """Spread a loss/metrics setting (one for all, a list by position, a dict by name) over outputs."""
    if value is None:
        return [None] * len(names)
    if is_single(value):
        return [value] * len(names)
    if isinstance(value, dict):
        if len(names) == 1 and names[0] not in value and len(value) == 1:
            return [next(iter(value.values()))]
        return [value.get(n) for n in names]
    if isinstance(value, (list, tuple)):
        if len(value) == len(names):
            return list(value)
        if len(names) == 1:
            return [value]
    return [None] * len(names)


def parse_loss(value: Any) -> LossSpec:
    if isinstance(value, str):
        return LossSpec(value, vocab.loss_family(value), False, value)
    if isinstance(value, dict):
        class_name = str(value.get("class_name", ""))
        config = value.get("config")
        if class_name == "function" and isinstance(config, str):
            name = config
        elif isinstance(config, dict) and class_name in ("LossFunctionWrapper", "MeanMetricWrapper"):
            name = str(config.get("fn") or config.get("name") or class_name)
        else:
            name = class_name.split(">")[-1]
        from_logits = bool(config.get("from_logits", False)) if isinstance(config, dict) else False
        return LossSpec(name, vocab.loss_family(name), from_logits, value)
    return LossSpec(type(value).__name__, None, False, None)


def _parse_metrics(value: Any) -> list[MetricSpec]:
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        if isinstance(item, (list, tuple)):
            out.extend(_parse_metrics(item))
        elif isinstance(item, str):
            out.append(MetricSpec(item.lower() if item.lower() in vocab.ACCURACY_ALIASES else item))
        elif isinstance(item, dict):
            out.append(_metric_from_dict(item))
    return out


def _metric_from_dict(item: dict[str, Any]) -> MetricSpec:
    class_name = str(item.get("class_name", ""))
    config = item.get("config")
    if class_name == "function" and isinstance(config, str):
        return MetricSpec(config, vocab.metric_name(config))
    if isinstance(config, dict):
        name = str(config.get("name") or vocab.metric_name(class_name))
        if class_name == "MeanMetricWrapper" and isinstance(config.get("fn"), str):
            return MetricSpec(name, vocab.metric_name(config["fn"]))
        resolved = (
            None
            if name in vocab.ACCURACY_ALIASES and class_name == "MeanMetricWrapper"
            else vocab.metric_name(class_name.split(">")[-1])
        )
        return MetricSpec(name, resolved)
    return MetricSpec(vocab.metric_name(class_name) or "metric", None)


def is_legacy_keras(keras_version: str | None) -> bool:
    """Keras 2.0-2.3 (standalone, or tf.keras of TF 1.x): ``'accuracy'`` resolved from the loss
    (binary_crossentropy meant binary_accuracy whatever the output width), and frozen
    BatchNormalization still normalized with batch statistics (keras-team/keras#9214)."""
    if not keras_version:
        return False
    match = re.match(r"(\d+)\.(\d+)", keras_version)
    if not match:
        return False
    major, minor = int(match.group(1)), int(match.group(2))
    return major == 2 and minor <= 3 or major < 2


def _resolve_accuracy(spec: ModelSpec, output: OutputSpec, metric: MetricSpec) -> MetricSpec:
    if metric.resolved or metric.name not in vocab.ACCURACY_ALIASES:
        return metric
    width = spec.nodes[output.key].width
    family = output.loss.family if output.loss else None
    if is_legacy_keras(spec.keras_version) and family == vocab.BINARY:
        return MetricSpec(metric.name, "binary_accuracy")
    if width == 1:
        return MetricSpec(metric.name, "binary_accuracy")
    if family == vocab.SPARSE:
        return MetricSpec(metric.name, "sparse_categorical_accuracy")
    if width is None:
        return metric
    return MetricSpec(metric.name, "categorical_accuracy")


def parse_optimizer(value: Any) -> OptimizerSpec | None:
    if value is None:
        return None
    if isinstance(value, str):
        return OptimizerSpec(value, DEFAULT_LEARNING_RATES.get(value.lower()), None, value)
    if not isinstance(value, dict):
        return None
    class_name = str(value.get("class_name", "optimizer")).split(">")[-1]
    config = value.get("config") if isinstance(value.get("config"), dict) else {}
    rate = config.get("learning_rate", config.get("lr"))
    schedule = None
    if isinstance(rate, dict):
        schedule = str(rate.get("class_name", "schedule"))
        sched_cfg = rate.get("config") if isinstance(rate.get("config"), dict) else {}
        rate = sched_cfg.get("initial_learning_rate", sched_cfg.get("learning_rate"))
    if rate is None:
        rate = DEFAULT_LEARNING_RATES.get(class_name.lower())
    try:
        rate = float(rate) if isinstance(rate, (int, float)) and not isinstance(rate, bool) else None
    except OverflowError:
        rate = None
    return OptimizerSpec(class_name, rate, schedule, value)
