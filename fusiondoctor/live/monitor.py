"""What DoctorCallback measures on a live training run, for the FD6xx rules.

Everything here runs at epoch boundaries only, on a small probe batch: BatchNormalization moving
statistics against their values at the start, per-branch gradient norms at each fusion merge,
dead ReLU units, and weights that have not moved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

from ..model.backbones import find_backbones
from ..model.graph import merges
from ..model.spec import ModelSpec
from . import gradients


@dataclass
class MonitorState:
    """Measurements of one training run, filled by DoctorCallback."""

    spec: ModelSpec
    epoch: int = -1
    bn_start: Dict[str, Tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    bn_drift: Dict[str, float] = field(default_factory=dict)  # layer path -> drift of the moving mean (start std units)
    backbone_bn: Dict[str, str] = field(default_factory=dict)  # BN layer path -> backbone architecture
    branch_grads: Dict[str, Dict[str, float]] = field(default_factory=dict)  # merge -> operand producer -> grad RMS
    global_grad_norm: Optional[float] = None
    gradients_available: Optional[bool] = None
    dead_relu: Dict[str, float] = field(default_factory=dict)  # layer path -> share of units dead on the probe
    unchanged: List[str] = field(default_factory=list)  # trainable layers whose weights did not move
    checks: int = 0
    relu_probe: object = None  # (paths, probe model), built once


def live_layer(model, path: str):
    layer = model
    for part in path.split("/"):
        layer = layer.get_layer(part)
    return layer


def _bn_paths(spec: ModelSpec) -> List[str]:
    return sorted({n.layer.path for n in spec.nodes.values() if n.layer.class_name in ("BatchNormalization", "SyncBatchNormalization")})


def _bn_values(model, path: str) -> Tuple[np.ndarray, np.ndarray]:
    import keras

    layer = live_layer(model, path)
    return (np.array(keras.ops.convert_to_numpy(layer.moving_mean), dtype="float64"),
            np.array(keras.ops.convert_to_numpy(layer.moving_variance), dtype="float64"))


def start(state: MonitorState, model) -> None:
    """Snapshot what later checks compare against."""
    for backbone in find_backbones(state.spec):
        for key in backbone.members:
            node = state.spec.nodes[key]
            if node.layer.class_name == "BatchNormalization":
                state.backbone_bn[node.layer.path] = backbone.arch
    for path in _bn_paths(state.spec):
        try:
            state.bn_start[path] = _bn_values(model, path)
        except (ValueError, AttributeError):
            continue


def batchnorm_drift(state: MonitorState, model) -> None:
    for path, (mean0, var0) in state.bn_start.items():
        mean, _ = _bn_values(model, path)
        state.bn_drift[path] = float(np.mean(np.abs(mean - mean0) / np.sqrt(var0 + 1e-3)))


def _branch_variables(spec: ModelSpec, model) -> Dict[str, Dict[str, List[int]]]:
    """Per top-level fusion merge: operand producer -> indices (in model.trainable_variables) of the
    variables that only that operand's branch uses."""
    index = {id(v): i for i, v in enumerate(model.trainable_variables)}
    result = {}
    for merge in merges(spec):
        if not merge.is_fusion:
            continue
        upstream = {o.key: {n.layer.path for n in spec.upstream(o.key)} | {spec.nodes[o.key].layer.path} for o in merge.operands}
        groups = {}
        for operand in merge.operands:
            others = set().union(*(paths for key, paths in upstream.items() if key != operand.key))
            own = upstream[operand.key] - others
            ids = []
            for path in sorted(own):
                try:
                    layer = live_layer(model, path)
                except ValueError:
                    continue
                ids.extend(index[id(v)] for v in layer.trainable_variables if id(v) in index)
            if ids:
                groups[operand.producer or operand.key] = sorted(set(ids))
        if len(groups) >= 2:
            result[merge.node.layer.path] = groups
    return result


def gradient_norms(state: MonitorState, model, x, y) -> None:
    grads = gradients.loss_gradients(model, x, y)
    state.gradients_available = grads is not None
    if grads is None:
        return
    total = math.sqrt(sum(float(np.sum(np.square(g, dtype="float64"))) for g in grads))
    state.global_grad_norm = total
    for merge, groups in _branch_variables(state.spec, model).items():
        rms = {}
        for branch, ids in groups.items():
            squares = sum(float(np.sum(np.square(grads[i], dtype="float64"))) for i in ids)
            count = sum(grads[i].size for i in ids)
            rms[branch] = math.sqrt(squares / count) if count else 0.0
        state.branch_grads[merge] = rms


def _relu_probe(state: MonitorState, model):
    import keras

    paths, tensors = [], []
    for node in state.spec.nodes.values():
        if node.layer.activation == "relu" and not node.chain and node.layer.class_name in ("Dense", "Conv1D", "Conv2D", "Conv3D", "ReLU"):
            layer = model.get_layer(node.layer.name)
            if len(layer._inbound_nodes) == 1:
                paths.append(node.layer.path)
                tensors.append(layer.output)
    return paths, (keras.Model(model.inputs, tensors) if tensors else None)


def dead_relu(state: MonitorState, model, x) -> None:
    import keras

    if state.relu_probe is None:
        state.relu_probe = _relu_probe(state, model)
    paths, probe = state.relu_probe
    if probe is None:
        return
    outputs = probe(x, training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    for path, value in zip(paths, outputs):
        value = np.asarray(keras.ops.convert_to_numpy(value))
        per_unit = np.abs(value.reshape(-1, value.shape[-1])).max(axis=0)
        state.dead_relu[path] = float(np.mean(per_unit == 0))


def weight_digest(model) -> Dict[str, float]:
    """A cheap fingerprint of each trainable top-level layer's weights."""
    import keras

    digest = {}
    for layer in model.layers:
        if layer.trainable_weights:
            digest[layer.name] = float(sum(float(np.sum(np.abs(keras.ops.convert_to_numpy(w)), dtype="float64"))
                                           for w in layer.trainable_weights))
    return digest
