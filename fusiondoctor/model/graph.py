"""Graph questions rules ask of a ModelSpec: merges and the branches behind them, output heads."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from . import vocab
from .spec import ModelSpec, Node, OutputSpec

_TRANSPARENT = vocab.PASS_THROUGH_CLASSES | vocab.POOLING_CLASSES | frozenset(vocab.ACTIVATION_LAYERS) | {"Rescaling"}


@dataclass(frozen=True)
class Operand:
    """One input of a merge layer and the branch behind it."""

    key: str
    inputs: frozenset[str]  # model inputs this operand depends on
    width: int | None
    normalized: bool | None  # None: an unknown layer sits between the features and the merge
    producer: str | None  # layer path that computed the features (or the unknown layer)
    normalizer: str | None  # layer path of the normalization, when there is one


@dataclass(frozen=True)
class Merge:
    node: Node
    operands: tuple[Operand, ...]

    @property
    def is_fusion(self) -> bool:
        """True when operands come from different model inputs (an image and a text branch)."""
        groups = {o.inputs for o in self.operands if o.inputs}
        return len(groups) >= 2


def _normalization(spec: ModelSpec, key: str) -> tuple[bool | None, str | None, str | None]:
    node = spec.nodes[key]
    seen = set()
    while node.key not in seen:
        seen.add(node.key)
        class_name = node.layer.class_name
        if class_name in vocab.NORMALIZATION_CLASSES:
            return True, None, node.layer.path
        if node.model_input or class_name in vocab.WEIGHTED_CLASSES or class_name in vocab.MERGE_CLASSES:
            return False, node.layer.path, None
        if class_name not in _TRANSPARENT or len(node.inputs) != 1:
            return None, node.layer.path, None
        node = spec.nodes[node.inputs[0]]
    return None, node.layer.path, None


def merges(spec: ModelSpec) -> list[Merge]:
    result = []
    for node in spec.nodes.values():
        if node.layer.class_name not in vocab.MERGE_CLASSES:
            continue
        operands = []
        for key in node.inputs:
            normalized, producer, normalizer = _normalization(spec, key)
            operands.append(Operand(key, spec.input_ancestry(key), spec.nodes[key].width, normalized,
                                    producer or normalizer or spec.nodes[key].layer.path, normalizer))
        result.append(Merge(node, tuple(operands)))
    return result


@dataclass(frozen=True)
class Head:
    """A model output and the layer whose activation decides what it emits."""

    output: OutputSpec
    node: Node  # the output node
    source: Node  # the node whose activation applies (shape-only layers skipped)
    activation: str | None
    width: int | None

    @property
    def location_layer(self) -> str:
        return self.source.layer.path


def head_of(spec: ModelSpec, output: OutputSpec) -> Head:
    """The head of one model output."""
    node = spec.nodes[output.key]
    source = spec.probability_source(output.key)
    width = node.width
    if width is None and source.layer.class_name == "Dense" and source is node:
        width = source.layer.units
    return Head(output, node, source, source.layer.activation, width)


def heads(spec: ModelSpec) -> Iterator[Head]:
    for output in spec.outputs:
        yield head_of(spec, output)


def feeds_weighted_layer(spec: ModelSpec, key: str) -> Node | None:
    """The first weighted layer that consumes ``key`` through shape-only or dropout layers."""
    frontier = list(spec.consumers(key))
    seen = set()
    while frontier:
        current = spec.nodes[frontier.pop(0)]
        if current.key in seen:
            continue
        seen.add(current.key)
        class_name = current.layer.class_name
        if class_name in vocab.WEIGHTED_CLASSES:
            return current
        if class_name in vocab.PASS_THROUGH_CLASSES:
            frontier.extend(spec.consumers(current.key))
    return None


def axis_size(node: Node, axis: int = -1) -> int | None:
    shape = node.output_shape
    if not shape or not -len(shape) <= axis < len(shape):
        return None
    size = shape[axis]
    return size if isinstance(size, int) else None
