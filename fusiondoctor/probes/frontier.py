"""The frozen front of a model: everything upstream that training cannot change.

A trial trains the same model again and again; whatever sits before the first trainable or random
layer (a frozen VGG16 backbone) gives the same activations every time. They are computed once and
the trainable tail is trained on them, which turns minutes of backbone passes into one.
"""

from __future__ import annotations

from collections.abc import Sequence

from .activations import calls_in

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
