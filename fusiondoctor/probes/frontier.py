"""The frozen front of a model: everything upstream that training cannot change.

A trial trains the same model again and again; whatever sits before the first trainable or random
layer (a frozen VGG16 backbone) gives the same activations every time. They are computed once and
the trainable tail is trained on them, which turns minutes of backbone passes into one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence

import numpy as np

from .activations import calls_in
from .feature_cache import FeatureCache

_STOCHASTIC = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
               "GaussianDropout", "AlphaDropout")


def _is_stochastic(layer) -> bool:
    inner = [layer] + list(getattr(layer, "_flatten_layers", lambda **_: [])(include_self=False, recursive=True))
    for item in inner:
        name = type(item).__name__
        if name in _STOCHASTIC and getattr(item, "rate", 0) > 0:
            return True
        if name.startswith("Random"):
            return True
    return False


def _frozen(layer) -> bool:
    return not layer.trainable_weights and not _is_stochastic(layer)


def tensor_key(tensor) -> str:
    """A name for a symbolic tensor that is the same in every model built from one config."""
    operation, node_index, tensor_index = tensor._keras_history
    if type(operation).__name__ == "InputLayer":  # its node index grows with every model built on it
        return f"{operation.name}:input"
    return f"{operation.name}:{node_index}:{tensor_index}"


def frozen_front(model) -> tuple[list[object], list[str]]:
    """(tensors, names): the outputs of frozen operations that trainable ones consume, plus model
    inputs consumed directly by trainable operations. Empty when nothing upstream is frozen."""
    frozen_tensors = {id(t) for t in model.inputs}
    producers: dict[int, object] = {id(t): t for t in model.inputs}
    front: dict[int, tuple[object, str]] = {}
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        for node in calls_in(model, layer):
            inputs = list(node.input_tensors)
            outputs = list(node.output_tensors)
            if all(id(t) in frozen_tensors for t in inputs) and _frozen(layer):
                for t in outputs:
                    frozen_tensors.add(id(t))
                    producers[id(t)] = t
                continue
            for t in inputs:
                if id(t) in frozen_tensors:
                    front[id(t)] = (t, tensor_key(t))
    outputs_frozen = [t for t in model.outputs if id(t) in frozen_tensors]
    for t in outputs_frozen:
        front[id(t)] = (t, tensor_key(t))
    tensors = [t for t, _ in front.values()]
    names = [n for _, n in front.values()]
    return tensors, names


def worth_caching(model, tensors: Sequence[object]) -> bool:
    """True when the front is deeper than the inputs themselves (there is work to save)."""
    input_ids = {id(t) for t in model.inputs}
    return any(id(t) not in input_ids for t in tensors)


def input_ancestry(tensor, inputs: Sequence[object]) -> frozenset:
    """Positions (in ``inputs``) of the model inputs a symbolic tensor depends on."""
    positions = {id(t): i for i, t in enumerate(inputs)}
    found, stack, seen = set(), [tensor], set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if id(current) in positions:
            found.add(positions[id(current)])
            continue
        history = getattr(current, "_keras_history", None)
        if history is None:
            continue
        operation, node_index, _ = history
        nodes = getattr(operation, "_inbound_nodes", [])
        if node_index < len(nodes):
            stack.extend(nodes[node_index].input_tensors)
    return frozenset(found)


def front_key(front_model, keys: Sequence[str], inputs: Sequence[np.ndarray]) -> str | None:
    """The cache key of ``front_model``'s features on ``inputs``: a hash of the backend and Keras
    version, the front's tensor names and layer configs, every weight's value and every input's
    bytes. None when the front cannot describe itself (its features are then never cached)."""
    import keras

    try:
        config = dict(front_model.get_config())
        config.pop("name", None)  # the sub-model's own name counts models built so far, not content
        described = json.dumps([keras.backend.backend(), keras.__version__, list(keys), config],
                               sort_keys=True, default=repr)
    except Exception:  # a custom layer without a usable get_config: computed, not cached
        return None
    digest = hashlib.sha256(described.encode())
    for array in [*front_model.get_weights(), *inputs]:
        array = np.ascontiguousarray(array)
        if array.dtype.hasobject:
            return None
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.view(np.uint8).reshape(-1))
    return digest.hexdigest()


def front_features(front_model, keys: Sequence[str], inputs: Sequence[np.ndarray], batch_size: int,
                   cache: FeatureCache | None = None,
                   before_computing: Callable[[], Sequence[np.ndarray]] | None = None) -> list[np.ndarray]:
    """``front_model``'s outputs on ``inputs``: read from ``cache`` when an entry of the same front,
    weights and inputs is there and has the outputs' form, else computed (and stored). On a miss,
    ``before_computing()`` runs first and gives the inputs to compute on (the probes' timing may
    take fewer samples)."""
    key = front_key(front_model, keys, inputs) if cache is not None else None
    found = _stored(front_model, inputs, cache, key)
    if found is not None:
        return found
    if before_computing is not None:
        chosen = before_computing()
        if len(chosen[0]) != len(inputs[0]):
            inputs, key = chosen, front_key(front_model, keys, chosen) if cache is not None else None
    out = front_model.predict(list(inputs) if len(inputs) > 1 else inputs[0], batch_size=batch_size, verbose=0)
    features = [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]
    if key is not None:
        cache.put(key, features)
    return features


def _stored(front_model, inputs, cache: FeatureCache | None, key: str | None) -> list[np.ndarray] | None:
    if cache is None or key is None:
        return None
    found = cache.get(key, len(front_model.outputs))
    return found if found is not None and _fits(found, front_model.outputs, len(inputs[0])) else None


def _fits(arrays: Sequence[np.ndarray], tensors: Sequence[object], samples: int) -> bool:
    """True when each array has one row per sample and its tensor's shape (None: any size)."""
    for array, tensor in zip(arrays, tensors):
        shape = tuple(tensor.shape)[1:]
        if array.shape[0] != samples or len(array.shape) - 1 != len(shape):
            return False
        if any(want is not None and want != got for want, got in zip(shape, array.shape[1:])):
            return False
    return True
