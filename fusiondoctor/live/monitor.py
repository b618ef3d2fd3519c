"""What DoctorCallback measures on a live training run, for the FD6xx rules.

A ``Monitor`` holds the live side (the model's starting snapshot, a probe sub-model built once) and
gives, at each check, a frozen ``MonitorReadings`` of numbers, which is all the rules see. Everything
runs at epoch boundaries only, on a small probe batch: BatchNormalization moving statistics against
their values at the start, per-branch gradient norms at each fusion merge, dead ReLU units, and
weights that have not moved.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..measurements import MonitorReadings
from ..model import vocab
from ..model.backbones import find_backbones
from ..model.graph import merges
from ..model.spec import ModelSpec
from . import gradients
from .keras_model import layer_at

_RELU_LAYERS = ("Dense", "Conv1D", "Conv2D", "Conv3D", "ReLU")


def _numpy(value) -> np.ndarray:
    import keras

    return np.array(keras.ops.convert_to_numpy(value), dtype="float64")


def _bn_values(model, path: str) -> tuple[np.ndarray, np.ndarray]:
    layer = layer_at(model, path)
    return _numpy(layer.moving_mean), _numpy(layer.moving_variance)


def weight_digest(model) -> dict[str, float]:
    """A cheap fingerprint of each trainable top-level layer's weights."""
    return {layer.name: float(sum(float(np.sum(np.abs(_numpy(w)))) for w in layer.trainable_weights))
            for layer in model.layers if layer.trainable_weights}


class Monitor:
    """The live measurements of one training run; ``start`` once, then ``read`` at each check."""

    def __init__(self, spec: ModelSpec):
        self.spec = spec
        self.checks = 0
        self.bn_start: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.backbone_bn: dict[str, str] = {}  # BN layer path -> backbone architecture
        self.weights: dict[str, float] = {}
        self._relu_probe: tuple[list[str], Any] | None = None  # (layer paths, probe model), built once

    def start(self, model) -> None:
        """Snapshot what later checks compare against."""
        for backbone in find_backbones(self.spec):
            for key in backbone.members:
                node = self.spec.nodes[key]
                if node.layer.class_name == "BatchNormalization":
                    self.backbone_bn[node.layer.path] = backbone.arch
        paths = sorted(
            {n.layer.path for n in self.spec.nodes.values() if n.layer.class_name in vocab.BATCHNORM_CLASSES}
        )
        for path in paths:
            try:
                self.bn_start[path] = _bn_values(model, path)
            except (ValueError, AttributeError):
                continue
        self.weights = weight_digest(model)

    def read(self, model, epoch: int, probe: tuple | None = None) -> MonitorReadings:
        """The readings after ``epoch``; gradients and dead units need a ``probe`` batch ``(x, y)``."""
        self.checks += 1
        digest = weight_digest(model)
        readings = {
            "bn_drift": self._batchnorm_drift(model),
            "unchanged": tuple(name for name, value in digest.items() if self.weights.get(name) == value),
        }
        if probe is not None:
            x, y = probe
            readings.update(self._gradients(model, x, y))
            readings["dead_relu"] = self._dead_relu(model, x)
        return MonitorReadings(epoch, self.checks, backbone_bn=dict(self.backbone_bn), **readings)

    def _batchnorm_drift(self, model) -> dict[str, float]:
        drift = {}
        for path, (mean0, var0) in self.bn_start.items():
            mean, _ = _bn_values(model, path)
            drift[path] = float(np.mean(np.abs(mean - mean0) / np.sqrt(var0 + 1e-3)))
        return drift

    def _gradients(self, model, x, y) -> dict:
        grads = gradients.loss_gradients(model, x, y)
        if grads is None:
            return {"gradients_available": False}
        total = math.sqrt(sum(float(np.sum(np.square(g, dtype="float64"))) for g in grads))
        branch = {}
        for merge, groups in _branch_variables(self.spec, model).items():
            rms = {}
            for name, ids in groups.items():
                squares = sum(float(np.sum(np.square(grads[i], dtype="float64"))) for i in ids)
                count = sum(grads[i].size for i in ids)
                rms[name] = math.sqrt(squares / count) if count else 0.0
            branch[merge] = rms
        return {"gradients_available": True, "global_grad_norm": total, "branch_grads": branch}

    def _dead_relu(self, model, x) -> dict[str, float]:
        import keras

        if self._relu_probe is None:
            self._relu_probe = _relu_probe(self.spec, model)
        paths, probe = self._relu_probe
        if probe is None:
            return {}
        outputs = probe(x, training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        dead = {}
        for path, value in zip(paths, outputs):
            value = np.asarray(keras.ops.convert_to_numpy(value))
            per_unit = np.abs(value.reshape(-1, value.shape[-1])).max(axis=0)
            dead[path] = float(np.mean(per_unit == 0))
        return dead


def _branch_variables(spec: ModelSpec, model) -> dict[str, dict[str, list[int]]]:
    """Per top-level fusion merge: operand producer -> indices (in model.trainable_variables) of the
    variables that only that operand's branch uses."""
    index = {id(v): i for i, v in enumerate(model.trainable_variables)}
    result = {}
    for merge in merges(spec):
        if not merge.is_fusion:
            continue
        upstream = {o.key: {n.layer.path for n in spec.upstream(o.key)} | {spec.nodes[o.key].layer.path}
                    for o in merge.operands}
        groups = {}
        for operand in merge.operands:
            others = set().union(*(paths for key, paths in upstream.items() if key != operand.key))
            ids = []
            for path in sorted(upstream[operand.key] - others):
                try:
                    layer = layer_at(model, path)
                except ValueError:
                    continue
                ids.extend(index[id(v)] for v in layer.trainable_variables if id(v) in index)
            if ids:
                groups[operand.producer or operand.key] = sorted(set(ids))
        if len(groups) >= 2:
            result[merge.node.layer.path] = groups
    return result


def _relu_probe(spec: ModelSpec, model):
    import keras

    paths, tensors = [], []
    for node in spec.nodes.values():
        if node.layer.activation == "relu" and not node.chain and node.layer.class_name in _RELU_LAYERS:
            layer = model.get_layer(node.layer.name)
            if len(layer._inbound_nodes) == 1:
                paths.append(node.layer.path)
                tensors.append(layer.output)
    return paths, (keras.Model(model.inputs, tensors) if tensors else None)
