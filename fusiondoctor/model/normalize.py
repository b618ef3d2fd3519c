"""Turn a raw Keras config (Keras 2 / tf_keras or Keras 3 dialect) into a ModelSpec.

This is the only module that knows how the two dialects serialize layers, call nodes, nested
models and compile settings. Hostile or malformed configs raise InputError, never a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from ..limits import DEFAULT_LIMITS, Limits
from . import shapes, vocab
from .compile import parse_compile
from .files import RawModel
from .spec import LayerSpec, ModelSpec, Node, Shape

#: How deeply call arguments may nest (lists of dicts of lists...) before a config counts as hostile.
MAX_ARGUMENT_DEPTH = 64

Ref = tuple[str, int, int]


def normalize(raw: RawModel, limits: Limits = DEFAULT_LIMITS) -> ModelSpec:
    """The ModelSpec of a raw model; raises InputError when the config is not a model graph."""
    try:
        return _normalize(raw, limits)
    except InputError:
        raise
    except RecursionError:
        raise InputError(raw.source, "model config is nested too deeply") from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError) as exc:
        raise InputError(raw.source, f"malformed model config ({type(exc).__name__}: {str(exc)[:120]})") from None


def _normalize(raw: RawModel, limits: Limits) -> ModelSpec:
    top = raw.config
    class_name = top.get("class_name")
    config = top.get("config")
    if class_name == "Sequential" and isinstance(config, list):  # Keras 2.0/2.1 Sequential
        config = {"name": "sequential", "layers": config}
    if not isinstance(class_name, str) or not isinstance(config, dict):
        raise InputError(raw.source, "not a Keras model config (no class_name/config)")
    if class_name not in vocab.MODEL_CLASSES and not isinstance(config.get("layers"), list):
        raise InputError(
            raw.source,
            f"model class {class_name!r} keeps no layer graph in its config (subclassed model); "
            "only Functional and Sequential models can be inspected",
        )
    builder = _Builder(raw.source, limits)
    inputs, outputs = builder.model(class_name, config, _Scope.top(raw.source, limits))
    major = _keras_major(raw.keras_version, top)
    spec = ModelSpec(
        name=str(config.get("name", "model")),
        class_name=class_name,
        source=raw.source,
        format=raw.format,
        keras_version=raw.keras_version,
        keras_major=major,
        backend=raw.backend,
        layers=builder.layers,
        nodes=builder.nodes,
        inputs=tuple(inputs),
        outputs=(),
    )
    spec.outputs, spec.compile = parse_compile(spec, outputs, raw.compile)
    return spec


def _keras_major(version: str | None, top: dict[str, Any]) -> int:
    if version and version[:1].isdigit():
        return 2 if int(re.match(r"\d+", version).group()) < 3 else 3
    return 3 if "module" in top or "registered_name" in top else 2


# ---- nodes in the two dialects -----------------------------------------------------------------


@dataclass
class _Call:
    refs: list[tuple[Ref, Shape | None]]
    kwargs: dict[str, Any]


def _is_ref(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and len(value) in (3, 4)
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and isinstance(value[2], int)
        and not isinstance(value[1], bool)
    )


def _keras3_refs(value: Any, out: list[tuple[Ref, Shape | None]], depth: int = 0) -> bool:
    """Collect Keras 3 tensor references; True if ``value`` held any."""
    if depth > MAX_ARGUMENT_DEPTH:
        raise InputError("config", "call arguments nested too deeply")
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            cfg = value.get("config") or {}
            history = cfg.get("keras_history")
            if _is_ref(history):
                out.append(((history[0], history[1], history[2]), shapes.as_shape(cfg.get("shape"))))
                return True
            return False
        found = False
        for item in value.values():
            found = _keras3_refs(item, out, depth + 1) or found
        return found
    if isinstance(value, (list, tuple)):
        found = False
        for item in value:
            found = _keras3_refs(item, out, depth + 1) or found
        return found
    return False


def _plain_kwargs(kwargs: Any, holds_refs) -> dict[str, Any]:
    if not isinstance(kwargs, dict):
        return {}
    return {
        str(k): v for k, v in kwargs.items() if not holds_refs(v) and isinstance(v, (str, int, float, bool, type(None)))
    }


def _parse_call(entry: Any, known: set[str]) -> _Call:
    if isinstance(entry, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
        refs: list[tuple[Ref, Shape | None]] = []
        _keras3_refs(entry.get("args", []), refs)
        _keras3_refs(entry.get("kwargs", {}), refs)
        return _Call(refs, _plain_kwargs(entry.get("kwargs"), lambda v: _keras3_refs(v, [])))
    if isinstance(entry, list):  # Keras 2: [[name, node, tensor, kwargs], ...]
        refs = []
        kwargs: dict[str, Any] = {}
        for item in entry:
            _keras2_refs(item, known, refs)
            if _is_ref(item) and len(item) == 4 and isinstance(item[3], dict):
                kwargs.update(_plain_kwargs(item[3], lambda v: bool(_keras2_refs(v, known, []))))
        return _Call(refs, kwargs)
    raise InputError("config", f"unreadable inbound node of type {type(entry).__name__}")


def _keras2_refs(value: Any, known: set[str], out: list, depth: int = 0) -> list:
    if depth > MAX_ARGUMENT_DEPTH:
        raise InputError("config", "call arguments nested too deeply")
    if _is_ref(value) and value[0] in known:
        out.append(((value[0], value[1], value[2]), None))
        if len(value) == 4:
            _keras2_refs(value[3], known, out, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _keras2_refs(item, known, out, depth + 1)
    elif isinstance(value, dict):
        for item in value.values():
            _keras2_refs(item, known, out, depth + 1)
    return out


def _triples(value: Any) -> list[Ref]:
    """``input_layers`` / ``output_layers`` in any of their forms, as (name, node, tensor) triples."""
    if _is_ref(value):
        return [(value[0], value[1], value[2])]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _triples(v)]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _triples(v)]
    return []


# ---- graph building --------------------------------------------------------------------------


@dataclass
class _Scope:
    """One model (top level or nested) being expanded for one of its calls."""

    source: str
    limits: Limits = DEFAULT_LIMITS
    prefix: str = ""
    instance: str = ""
    outer_inputs: list[str] | None = None
    training: bool | None = None
    trainable: bool = True
    depth: int = 0
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    memo: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    visiting: set[tuple[str, int]] = field(default_factory=set)
    offsets: dict[str, int] = field(default_factory=dict)
    input_order: list[str] = field(default_factory=list)
    chain: tuple[int, ...] = ()
    recorded: dict[Ref, Shape] = field(default_factory=dict)

    @classmethod
    def top(cls, source: str, limits: Limits = DEFAULT_LIMITS) -> _Scope:
        return cls(source, limits)

    def nested(self, name: str, call: int, inputs: list[str], training: bool | None, trainable: bool) -> _Scope:
        if self.depth + 1 > self.limits.max_depth:
            raise InputError(
                self.source, f"models nested more than {self.limits.max_depth} deep (raise it with --max-depth)"
            )
        instance = self.instance + (f"#{call}" if call else "")
        return _Scope(self.source, self.limits, f"{self.prefix}{name}/", instance, inputs, training, trainable,
                      self.depth + 1, chain=self.chain + (call,))


def _entry_name(entry: dict[str, Any]) -> str:
    name = entry.get("name")
    if name is None and isinstance(entry.get("config"), dict):
        name = entry["config"].get("name")
    if not isinstance(name, str) or not name:
        raise InputError("config", "a layer without a name")
    return name


class _Builder:
    def __init__(self, source: str, limits: Limits = DEFAULT_LIMITS):
        self.source = source
        self.limits = limits
        self.layers: dict[str, LayerSpec] = {}
        self.nodes: dict[str, Node] = {}

    # -- models --

    def model(self, class_name: str, config: dict[str, Any], scope: _Scope) -> tuple[list[str], list[str]]:
        """Expand a Functional or Sequential config; returns (input keys, output keys)."""
        entries = config.get("layers")
        if not isinstance(entries, list):
            raise InputError(self.source, f"model {config.get('name')!r} has no layer list")
        if class_name == "Sequential" or (
            entries and not any("inbound_nodes" in e for e in entries if isinstance(e, dict))
        ):
            return self._sequential(config, entries, scope)
        return self._functional(config, entries, scope)

    def _register(self, entry: dict[str, Any], scope: _Scope) -> LayerSpec:
        name = _entry_name(entry)
        path = scope.prefix + name
        layer = self.layers.get(path)
        if layer is None:
            config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
            class_name = entry.get("class_name")
            if not isinstance(class_name, str):
                raise InputError(self.source, f"layer {path!r} has no class_name")
            trainable = scope.trainable and config.get("trainable", True) is not False
            layer = LayerSpec(path, name, class_name, config, trainable, scope.prefix.rstrip("/") or None,
                              entry.get("module") if isinstance(entry.get("module"), str) else None)
            self.layers[path] = layer
        return layer

    def _add_node(self, layer: LayerSpec, call: int, scope: _Scope, inputs: list[str], kwargs: dict[str, Any],
                  recorded: Shape | None = None, model_input: bool = False) -> str:
        if len(self.nodes) >= self.limits.max_layers:
            raise InputError(
                self.source, f"more than {self.limits.max_layers:,} layer calls (raise it with --max-layers)"
            )
        key = layer.path + scope.instance + (f"#{call}" if call else "")
        training = kwargs.get("training") if isinstance(kwargs.get("training"), bool) else scope.training
        if model_input or layer.class_name == "InputLayer":
            shape = shapes.input_layer_shape(layer.config)
        else:
            shape = shapes.infer(layer.class_name, layer.config, [self.nodes[k].output_shape for k in inputs])
        self.nodes[key] = Node(
            key, layer, call, tuple(inputs), kwargs, training, recorded or shape, model_input, scope.chain
        )
        if call >= len(layer.call_kwargs):
            layer.call_kwargs.append(dict(kwargs))
        return key

    def _nested_call(
        self, layer: LayerSpec, call: int, inputs: list[str], kwargs: dict[str, Any], scope: _Scope
    ) -> list[str]:
        training = kwargs.get("training") if isinstance(kwargs.get("training"), bool) else scope.training
        if call >= len(layer.call_kwargs):
            layer.call_kwargs.append(dict(kwargs))
        inner = scope.nested(layer.name, call, inputs, training, layer.trainable)
        _, outputs = self.model(layer.class_name, layer.config, inner)
        return outputs

    # -- Sequential --

    def _sequential(self, config: dict[str, Any], entries: list[Any], scope: _Scope) -> tuple[list[str], list[str]]:
        current: str | None = scope.outer_inputs[0] if scope.outer_inputs else None
        inputs: list[str] = []
        for _position, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise InputError(self.source, "a Sequential layer entry is not an object")
            layer = self._register(entry, scope)
            if layer.class_name == "InputLayer":
                is_top = current is None
                current = self._add_node(layer, 0, scope, [current] if current else [], {}, model_input=is_top)
                inputs.append(current)
                continue
            if current is None:  # top-level Sequential without an InputLayer entry
                current = self._implicit_input(config, entry, scope)
                inputs.append(current)
            if layer.is_model:
                current = self._nested_call(layer, 0, [current], {}, scope)[0]
            else:
                current = self._add_node(layer, 0, scope, [current], {})
        if current is None:
            raise InputError(self.source, "empty Sequential model")
        return inputs or list(scope.outer_inputs or []), [current]

    def _implicit_input(self, config: dict[str, Any], first: dict[str, Any], scope: _Scope) -> str:
        first_cfg = first.get("config") if isinstance(first.get("config"), dict) else {}
        shape = (
            shapes.as_shape(config.get("build_input_shape"))
            or shapes.as_shape(first_cfg.get("batch_input_shape"))
            or shapes.as_shape((first.get("build_config") or {}).get("input_shape"))
        )
        entry = {
            "class_name": "InputLayer",
            "name": "input",
            "config": {"name": "input", "batch_shape": list(shape) if shape else None},
        }
        layer = self._register(entry, scope)
        return self._add_node(layer, 0, scope, [], {}, model_input=True)

    # -- Functional --

    def _functional(self, config: dict[str, Any], entries: list[Any], scope: _Scope) -> tuple[list[str], list[str]]:
        for entry in entries:
            if not isinstance(entry, dict):
                raise InputError(self.source, "a layer entry is not an object")
            name = _entry_name(entry)
            if name in scope.entries:
                raise InputError(self.source, f"two layers named {scope.prefix + name!r}")
            scope.entries[name] = entry
            self._register(entry, scope)
        known = set(scope.entries)
        calls = {
            name: [_parse_call(n, known) for n in (e.get("inbound_nodes") or [])] for name, e in scope.entries.items()
        }
        input_refs, output_refs = _triples(config.get("input_layers")), _triples(config.get("output_layers"))
        scope.input_order = [r[0] for r in input_refs]
        scope.offsets = self._node_offsets(scope, calls, output_refs)
        scope.recorded = {ref: shape for cl in calls.values() for c in cl for ref, shape in c.refs if shape is not None}
        inputs = [self._resolve(scope, calls, ref) for ref in input_refs]
        outputs = [self._resolve(scope, calls, ref) for ref in output_refs]
        if not outputs:
            raise InputError(self.source, f"model {config.get('name')!r} names no outputs")
        return inputs, outputs

    def _node_offsets(self, scope: _Scope, calls: dict[str, list[_Call]], output_refs: list[Ref]) -> dict[str, int]:
        """Keras 2 numbers the calls of a nested model from 1 (node 0 is the model's own)."""
        used: dict[str, list[int]] = {}
        for call_list in calls.values():
            for call in call_list:
                for (name, node, _), _shape in call.refs:
                    used.setdefault(name, []).append(node)
        for name, node, _ in output_refs:
            used.setdefault(name, []).append(node)
        offsets = {}
        for name, nodes in used.items():
            entry = scope.entries.get(name)
            count = len(calls.get(name, []))
            if (
                entry is not None
                and self.layers[scope.prefix + name].is_model
                and min(nodes) >= 1
                and max(nodes) == count
            ):
                offsets[name] = 1
        return offsets

    def _task(self, scope: _Scope, ref: Ref) -> tuple[str, int]:
        """The (layer name, call index) a tensor reference points at."""
        name, node, _ = ref
        if name not in scope.entries:
            raise InputError(self.source, f"a call refers to unknown layer {scope.prefix + name!r}")
        return name, node - scope.offsets.get(name, 0)

    def _resolve(self, scope: _Scope, calls: dict[str, list[_Call]], ref: Ref) -> str:
        name, _, tensor = ref
        outputs = self._call_layer(scope, calls, *self._task(scope, ref))
        key = outputs[min(tensor, len(outputs) - 1)] if outputs else None
        if key is None:
            raise InputError(self.source, f"layer {scope.prefix + name!r} produces no output")
        recorded = scope.recorded.get(ref)
        if recorded is not None and (tensor == 0 or len(outputs) > 1):
            self.nodes[key].output_shape = recorded
        return key

    def _call_spec(self, scope: _Scope, calls: dict[str, list[_Call]], layer: LayerSpec, name: str, call: int) -> _Call:
        layer_calls = calls.get(name, [])
        if not 0 <= call < len(layer_calls):
            raise InputError(
                self.source, f"a call refers to call {call} of layer {layer.path!r}, which has {len(layer_calls)}"
            )
        return layer_calls[call]

    def _call_layer(self, scope: _Scope, calls: dict[str, list[_Call]], name: str, call: int) -> list[str]:
        """The output node keys of one layer call, creating it and everything it depends on.

        Iterative depth-first resolution with an explicit stack: a 1,000-layer-deep graph
        (EfficientNetV2L) must not hit Python's recursion limit.
        """
        stack = [(name, call)]
        while stack:
            task = stack[-1]
            if task in scope.memo:
                stack.pop()
                continue
            layer = self.layers[scope.prefix + task[0]]
            if layer.class_name == "InputLayer":
                scope.memo[task] = [self._input_node(scope, layer, task[0])]
                stack.pop()
                continue
            spec = self._call_spec(scope, calls, layer, *task)
            pending = [d for d in (self._task(scope, ref) for ref, _ in spec.refs) if d not in scope.memo]
            if pending:
                for dep in pending:
                    if dep in scope.visiting:
                        raise InputError(self.source, f"cycle in the layer graph at {scope.prefix + dep[0]!r}")
                scope.visiting.add(task)
                stack.extend(pending)
                continue
            inputs = [self._resolve(scope, calls, ref) for ref, _shape in spec.refs]
            if layer.is_model:
                scope.memo[task] = self._nested_call(layer, task[1], inputs, spec.kwargs, scope)
            else:
                scope.memo[task] = [self._add_node(layer, task[1], scope, inputs, spec.kwargs)]
            scope.visiting.discard(task)
            stack.pop()
        return scope.memo[(name, call)]

    def _input_node(self, scope: _Scope, layer: LayerSpec, name: str) -> str:
        if scope.outer_inputs is None:
            return self._add_node(layer, 0, scope, [], {}, model_input=True)
        position = scope.input_order.index(name) if name in scope.input_order else 0
        if position >= len(scope.outer_inputs):
            raise InputError(self.source, f"nested model input {layer.path!r} has no matching argument")
        outer = scope.outer_inputs[position]
        return self._add_node(layer, 0, scope, [outer], {}, recorded=self.nodes[outer].output_shape)
