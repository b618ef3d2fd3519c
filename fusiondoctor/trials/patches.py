"""Apply semantic patches (PatchOp) to a Keras 3 model config and compile config.

Patches never touch a model object or a file: they edit copies of the dictionaries that
``model.get_config()`` / ``model.get_compile_config()`` return, which then rebuild into a new
model. Layer paths name nested layers as ``outer/inner``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import FusionDoctorError
from ..types import PatchOp

_LOSS_CLASSES = {
    "binary_crossentropy": "BinaryCrossentropy",
    "categorical_crossentropy": "CategoricalCrossentropy",
    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
}


#: Keras optimizer class names by the lower-case string ``compile(optimizer=...)`` accepts.
_OPTIMIZER_CLASSES = {name.lower(): name for name in (
    "SGD", "RMSprop", "Adam", "AdamW", "Adamax", "Adagrad", "Adadelta", "Nadam", "Ftrl", "Lion", "Lamb",
    "Adafactor", "Muon")}


class PatchError(FusionDoctorError):
    """A patch that does not fit the model (a layer that is not there, an unknown edit)."""


def _scope_entries(config: dict[str, Any]) -> list[dict[str, Any]]:
    return config.setdefault("layers", [])


def _entry_name(entry: dict[str, Any]) -> str:
    return entry.get("name") or (entry.get("config") or {}).get("name")


def find_layer(config: dict[str, Any], path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the scope config holding the layer, the layer entry) for a layer path."""
    scope = config
    parts = path.split("/")
    for depth, part in enumerate(parts):
        entry = next((e for e in _scope_entries(scope) if _entry_name(e) == part), None)
        if entry is None:
            raise PatchError(f"no layer {'/'.join(parts[:depth + 1])!r} in the model")
        if depth == len(parts) - 1:
            return scope, entry
        scope = entry["config"]
    raise PatchError(f"bad layer path {path!r}")


def _tensor_refs(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            yield value
            return
        for item in value.values():
            yield from _tensor_refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _tensor_refs(item)


def _ref(name: str, shape: Any, dtype: str = "float32") -> dict[str, Any]:
    return {"class_name": "__keras_tensor__", "config": {"shape": shape, "dtype": dtype, "keras_history": [name, 0, 0]}}


def _new_layer(class_name: str, name: str, config: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    return {"module": "keras.layers", "class_name": class_name, "registered_name": None, "name": name,
            "config": {"name": name, "trainable": True, **config},
            "inbound_nodes": [{"args": [copy.deepcopy(source)], "kwargs": {}}]}


def _unique(scope: dict[str, Any], base: str) -> str:
    names = {_entry_name(e) for e in _scope_entries(scope)}
    name, index = base, 1
    while name in names:
        name, index = f"{base}_{index}", index + 1
    return name


def _insert_before(scope: dict[str, Any], target: dict[str, Any], new: Sequence[dict[str, Any]]) -> None:
    entries = _scope_entries(scope)
    position = entries.index(target)
    entries[position:position] = list(new)


def _wrap_operands(scope, merge, class_name: str, config: dict[str, Any], which=None) -> int:
    """Insert ``class_name`` on the operands of ``merge`` (all, or those ``which`` accepts)."""
    added = []
    for index, ref in enumerate(_tensor_refs(merge.get("inbound_nodes", [{}])[0].get("args", []))):
        source = ref["config"]["keras_history"][0]
        if which is not None and not which(source):
            continue
        name = _unique(scope, f"{_entry_name(merge)}_{class_name.lower()}_{index}")
        added.append(_new_layer(class_name, name, config, ref))
        ref["config"]["keras_history"] = [name, 0, 0]
    if not added:
        raise PatchError(f"merge {_entry_name(merge)!r} has no operand to patch")
    _insert_before(scope, merge, added)
    return len(added)


def _output_layer_paths(config: dict[str, Any]) -> list[str]:
    outputs = config.get("output_layers")
    if isinstance(outputs, list) and outputs:
        refs = [outputs] if isinstance(outputs[0], str) else outputs
        return [ref[0] for ref in refs]
    entries = _scope_entries(config)
    return [_entry_name(entries[-1])] if entries else []


def _dropout_before(config: dict[str, Any], path: str | None, rate: float) -> None:
    """Dropout on the input of the layer at ``path`` (by default, of each output layer)."""
    for target in [path] if path else _output_layer_paths(config):
        scope, entry = find_layer(config, target)
        name = _unique(scope, f"{_entry_name(entry)}_dropout")
        if "inbound_nodes" in entry:  # a Functional scope
            _wrap_operands(scope, entry, "Dropout", {"rate": rate})
        else:  # a Sequential scope: layers in order, no edges
            _insert_before(scope, entry, [{"module": "keras.layers", "class_name": "Dropout", "registered_name": None,
                                           "config": {"name": name, "trainable": True, "rate": rate}}])


def _bypass(config: dict[str, Any], path: str) -> None:
    """Connect the consumers of a single-input layer straight to its input."""
    scope, entry = find_layer(config, path)
    inputs = list(_tensor_refs(entry.get("inbound_nodes", [])))
    if len(inputs) != 1:
        raise PatchError(f"layer {path!r} does not have exactly one input")
    source = inputs[0]["config"]
    name = _entry_name(entry)
    for other in _scope_entries(scope):
        for ref in _tensor_refs(other.get("inbound_nodes", [])):
            if ref["config"]["keras_history"][0] == name:
                ref["config"]["keras_history"] = list(source["keras_history"])
                ref["config"]["shape"] = source.get("shape")
    for key in ("output_layers",):
        outputs = scope.get(key)
        if isinstance(outputs, list) and outputs and outputs[0] == name:
            scope[key] = list(source["keras_history"])


def _layer_edit(config: dict[str, Any], op: PatchOp) -> None:
    scope, entry = find_layer(config, op.name)
    if op.key == "call_training":
        for node in entry.get("inbound_nodes", []):
            if isinstance(node, dict):
                node.setdefault("kwargs", {})["training"] = op.value
        return
    if op.key not in ("activation", "trainable", "rate", "units", "kernel_initializer", "bias_initializer"):
        raise PatchError(f"unknown layer edit {op.key!r}")
    if op.key.endswith("_initializer") and op.key not in entry["config"]:
        raise PatchError(f"layer {op.name!r} has no {op.key}")
    entry["config"][op.key] = op.value


def _graph_edit(config: dict[str, Any], op: PatchOp, ancestry=None) -> None:
    if op.key == "normalize_operands":
        scope, merge = find_layer(config, op.name)
        _wrap_operands(scope, merge, op.value or "BatchNormalization", {"axis": -1})
    elif op.key == "bypass":
        _bypass(config, op.name)
    elif op.key == "freeze_batchnorm":
        for path in op.value or []:
            find_layer(config, path)[1]["config"]["trainable"] = False
    elif op.key == "dropout":
        _dropout_before(config, op.name, float(op.value if op.value is not None else 0.3))
    elif op.key == "modality_dropout":
        if ancestry is None:
            raise PatchError("modality dropout needs the model's input ancestry")
        for merge_path, operand_names in ancestry(op.value):
            scope, merge = find_layer(config, merge_path)
            _wrap_operands(scope, merge, "Dropout", {"rate": 0.3, "noise_shape": [None, 1]},
                           which=lambda source, names=operand_names: source in names)
    else:
        raise PatchError(f"unknown graph edit {op.key!r}")


def _loss_edit(compile_config: dict[str, Any], op: PatchOp, outputs: Sequence[str]) -> None:
    loss = compile_config.get("loss")
    if isinstance(loss, dict) and "class_name" not in loss:
        targets = [op.name] if op.name in loss else list(loss)
        for name in targets:
            loss[name] = _edited_loss(loss[name], op)
    elif isinstance(loss, list):
        index = list(outputs).index(op.name) if op.name in outputs else 0
        loss[index] = _edited_loss(loss[index], op)
    else:
        compile_config["loss"] = _edited_loss(loss, op)


def _loss_name(loss: Any) -> str | None:
    """The function name of a loss: a string, a serialized function, or a loss object's ``name``."""
    if isinstance(loss, str):
        return loss
    if not isinstance(loss, dict):
        return None
    config = loss.get("config")
    if loss.get("class_name") == "function" and isinstance(config, str):
        return config  # how Keras 3 serializes a plain loss function (e.g. translated from a Keras 2 file)
    return config.get("name") if isinstance(config, dict) else None


def _edited_loss(loss: Any, op: PatchOp) -> Any:
    name = _loss_name(loss)
    if op.key == "name":
        return op.value
    if op.key == "from_logits":
        family = name if name in _LOSS_CLASSES else None
        if isinstance(loss, dict) and loss.get("class_name") in _LOSS_CLASSES.values():
            updated = copy.deepcopy(loss)
            updated.setdefault("config", {})["from_logits"] = op.value
            return updated
        if family is None:
            raise PatchError(f"cannot set from_logits on loss {loss!r}")
        return {"module": "keras.losses", "class_name": _LOSS_CLASSES[family], "registered_name": None,
                "config": {"from_logits": op.value, "name": family}}
    raise PatchError(f"unknown loss edit {op.key!r}")


def _metric_name(metric: Any) -> str | None:
    """The name of a compiled metric: a string, or a serialized metric's configured name."""
    if isinstance(metric, str):
        return metric.lower()
    if isinstance(metric, dict):
        config = metric.get("config")
        if isinstance(config, dict) and config.get("name"):
            return str(config["name"]).lower()
        if isinstance(config, str):
            return config.lower()
    return None


def _output_metrics(compile_config: dict[str, Any], name: str | None, outputs: Sequence[str]) -> list[Any]:
    """The metric list of output ``name`` (all outputs' when None or the model has one), made
    editable in place: a list shared by every output is split into one list per output first."""
    metrics = compile_config.get("metrics")
    outputs = list(outputs)
    if isinstance(metrics, dict):
        if name is None and len(metrics) == 1:
            name = next(iter(metrics))
        if name is None:
            raise PatchError("a metrics edit on a model with several outputs needs the output's name")
        return metrics.setdefault(name, [])
    if metrics is None:
        metrics = []
    if isinstance(metrics, str):
        metrics = [metrics]
    if not isinstance(metrics, list):
        raise PatchError(f"cannot edit metrics given as {type(metrics).__name__}")
    if len(outputs) <= 1 or name is None:
        compile_config["metrics"] = metrics
        return metrics
    if name not in outputs:
        raise PatchError(f"no output {name!r} to edit the metrics of")
    if len(metrics) == len(outputs) and all(isinstance(m, list) for m in metrics):
        return metrics[outputs.index(name)]
    split = {o: copy.deepcopy(metrics) for o in outputs}
    compile_config["metrics"] = split
    return split[name]


def _metrics_edit(compile_config: dict[str, Any], op: PatchOp, outputs: Sequence[str]) -> None:
    """``remove`` the metrics named in ``op.value`` from an output, or ``add`` the ones it lists."""
    if op.key not in ("remove", "add") or not isinstance(op.value, (list, tuple)):
        raise PatchError(f"unknown metrics edit {op.key!r} (remove or add, with a list of metric names)")
    metrics = _output_metrics(compile_config, op.name, outputs)
    if op.key == "remove":
        names = {str(v).lower() for v in op.value}
        metrics[:] = [m for m in metrics if _metric_name(m) not in names]
    else:
        present = {_metric_name(m) for m in metrics}
        metrics.extend(str(v) for v in op.value if str(v).lower() not in present)


def _optimizer_edit(compile_config: dict[str, Any], op: PatchOp) -> None:
    optimizer = compile_config.get("optimizer")
    if isinstance(optimizer, str):
        class_name = _OPTIMIZER_CLASSES.get(optimizer.lower())
        if class_name is None:
            raise PatchError(f"cannot apply optimizer edit to unknown optimizer {optimizer!r}")
        optimizer = {"module": "keras.optimizers", "class_name": class_name, "config": {}, "registered_name": None}
        compile_config["optimizer"] = optimizer
    if not isinstance(optimizer, dict) or op.key != "learning_rate":
        raise PatchError(f"cannot apply optimizer edit {op.key!r}")
    inner = (optimizer.get("config") or {}).get("inner_optimizer")
    if isinstance(inner, dict):  # LossScaleOptimizer: the rate belongs to the optimizer it wraps
        optimizer = inner
    optimizer.setdefault("config", {})["learning_rate"] = op.value


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot patch a config holding {type(value).__name__}")


def apply_patch(config: dict[str, Any], compile_config: dict[str, Any] | None, patch: Sequence[PatchOp],
                outputs: Sequence[str] = (), ancestry=None) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Patched copies of a model config and its compile config."""
    # a JSON round trip: live get_config() holds tuples and numpy scalars; files hold plain JSON
    config = json.loads(json.dumps(config, default=_plain))
    compile_config = json.loads(json.dumps(compile_config, default=_plain)) if compile_config else compile_config
    for op in patch:
        if op.target == "layer":
            _layer_edit(config, op)
        elif op.target == "graph":
            _graph_edit(config, op, ancestry)
        elif op.target == "loss":
            if not compile_config:
                raise PatchError("the model is not compiled: no loss to patch")
            _loss_edit(compile_config, op, outputs)
        elif op.target == "optimizer":
            if not compile_config:
                raise PatchError("the model is not compiled: no optimizer to patch")
            _optimizer_edit(compile_config, op)
        elif op.target == "metrics":
            if not compile_config:
                raise PatchError("the model is not compiled: no metrics to patch")
            _metrics_edit(compile_config, op, outputs)
        else:
            raise PatchError(f"unknown patch target {op.target!r}")
    _drop_build_configs(config)
    return config, compile_config


def _drop_build_configs(config: dict[str, Any]) -> None:
    """Let Keras infer input shapes again: a patch can change what reaches a layer."""
    for entry in _scope_entries(config):
        entry.pop("build_config", None)
        inner = entry.get("config")
        if isinstance(inner, dict) and isinstance(inner.get("layers"), list):
            _drop_build_configs(inner)
