"""Activations at ModelSpec nodes, batch by batch, with one forward pass per batch.

A node inside a nested model (``vgg16/block5_pool``) is reached in two steps: the outer probe
model computes the nested model's inputs, and a probe model built on the nested model's own graph
computes the node from them. Only keras APIs are used, so this runs on every backend.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import FusionDoctorError
from ..model.spec import ModelSpec, Node

#: Samples per forward pass. Measured on 2 cores, VGG16 at 224x224 over 64 images: 9-10 s in
#: batches of 8, but 20.5 s in one of every few first passes in batches of 32 and in every first
#: pass in one batch of 64 (memory touched for the first time is slow to come by on such machines).
BATCH_SIZE = 8


class ProbeError(FusionDoctorError):
    """The live model does not match its config closely enough to probe a node."""


def calls_in(model, layer) -> list:
    """The calls of ``layer`` that belong to ``model``'s graph, in config order (Keras keys the
    nodes of a functional model as ``f"{id(layer)}_ib-{index}"``)."""
    member = getattr(model, "_nodes", None)
    nodes = list(getattr(layer, "_inbound_nodes", []))
    if member is None:
        return nodes
    return [n for i, n in enumerate(nodes) if f"{id(layer)}_ib-{i}" in member] or nodes


def _output_of(model, name: str, call: int):
    layer = model.get_layer(name)
    calls = calls_in(model, layer)
    if call >= len(calls):
        raise ProbeError(f"layer {name!r} has no call {call} in the live model")
    outputs = calls[call].output_tensors
    return outputs[0]


def output_tensor(model, node: Node):
    """The live symbolic tensor of a top-level ModelSpec node."""
    return _output_of(model, node.layer.name, node.call)


def _inputs_of(model, name: str, call: int) -> list:
    layer = model.get_layer(name)
    calls = calls_in(model, layer)
    if call >= len(calls):
        raise ProbeError(f"nested model {name!r} has no call {call} in the live model")
    return list(calls[call].input_tensors)


@dataclass
class _Plan:
    """What to compute in one (possibly nested) model: its own nodes and its nested models' inputs."""

    model: object
    outputs: list[tuple[str, object]] = field(default_factory=list)  # (node key, tensor)
    nested: dict[tuple[str, int], _Plan] = field(default_factory=dict)
    feeds: dict[tuple[str, int], list[object]] = field(default_factory=dict)
    probe: object = None

    def build(self):
        import keras

        tensors = [t for _, t in self.outputs] + [t for ts in self.feeds.values() for t in ts]
        self.probe = keras.Model(self.model.inputs, tensors) if tensors else None
        for plan in self.nested.values():
            plan.build()


def _plan(model, spec: ModelSpec, keys: Sequence[str]) -> _Plan:
    root = _Plan(model)
    for key in keys:
        node = spec.nodes[key]
        scopes = node.layer.parent.split("/") if node.layer.parent else []  # names may hold '/' (tf_keras)
        _place(root, node, scopes + [node.layer.name], list(node.chain))
    root.build()
    return root


def _place(plan: _Plan, node: Node, parts: list[str], chain: list[int]) -> None:
    if len(parts) == 1:
        plan.outputs.append((node.key, _output_of(plan.model, parts[0], node.call)))
        return
    group = (parts[0], chain[0])
    if group not in plan.nested:
        inner = plan.model.get_layer(parts[0])
        plan.nested[group] = _Plan(inner)
        plan.feeds[group] = _inputs_of(plan.model, parts[0], chain[0])
    _place(plan.nested[group], node, parts[1:], chain[1:])


def _run(plan: _Plan, batch: list[np.ndarray], out: dict[str, np.ndarray]) -> None:
    if plan.probe is None:
        return
    import keras

    results = plan.probe(list(batch), training=False)
    results = results if isinstance(results, (list, tuple)) else [results]
    results = [keras.ops.convert_to_numpy(r) for r in results]
    for (key, _), value in zip(plan.outputs, results):
        out[key] = value
    position = len(plan.outputs)
    for group, tensors in plan.feeds.items():
        feed = results[position: position + len(tensors)]
        position += len(tensors)
        _run(plan.nested[group], feed, out)


def stream(model, spec: ModelSpec, keys: Sequence[str], inputs: Sequence[np.ndarray],
           batch_size: int = BATCH_SIZE) -> Iterator[dict[str, np.ndarray]]:
    """For each batch of ``inputs`` (ordered like ``model.inputs``), the activations at ``keys``."""
    plan = _plan(model, spec, list(dict.fromkeys(keys)))
    total = len(inputs[0])
    for start in range(0, total, batch_size):
        batch = [a[start: start + batch_size] for a in inputs]
        out: dict[str, np.ndarray] = {}
        _run(plan, batch, out)
        yield out


def collect(model, spec: ModelSpec, keys: Sequence[str], inputs: Sequence[np.ndarray],
            batch_size: int = BATCH_SIZE) -> dict[str, np.ndarray]:
    """Full activations at ``keys`` (concatenated over batches): for small widths only."""
    parts: dict[str, list[np.ndarray]] = {}
    for out in stream(model, spec, keys, inputs, batch_size):
        for key, value in out.items():
            parts.setdefault(key, []).append(value)
    return {k: np.concatenate(v) for k, v in parts.items()}
