"""ModelSpec: a Keras-free, dialect-free view of a model that rules read.

Nested models are expanded into one graph of *nodes* (one node per layer call), so a branch can be
followed from a model input through a nested backbone to a merge. Layer paths name nested layers
as ``outer/inner`` (``vgg16/block5_pool``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from . import vocab

Shape = tuple[int | None, ...]


@dataclass
class LayerSpec:
    path: str
    name: str
    class_name: str
    config: dict[str, Any]
    trainable: bool
    parent: str | None = None
    module: str | None = None
    call_kwargs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_model(self) -> bool:
        return (
            self.class_name in vocab.MODEL_CLASSES
            or "layers" in self.config
            and isinstance(self.config.get("layers"), list)
        )

    @property
    def is_known(self) -> bool:
        """A layer or operation that ships with Keras (keras.layers, keras.ops on symbolic tensors,
        helper layers of keras.applications)."""
        module = self.module or ""
        return vocab.is_known_layer(self.class_name) or module.startswith(
            ("keras.src.ops", "keras.ops", "keras.src.applications")
        )

    @property
    def inner(self) -> tuple[str, dict[str, Any]]:
        """(class_name, config) of the layer a wrapper applies; the layer itself otherwise."""
        if self.class_name in vocab.WRAPPER_CLASSES:
            inner = self.config.get("layer") or self.config.get("forward_layer") or {}
            if isinstance(inner, dict):
                return str(inner.get("class_name", "")), inner.get("config") or {}
        return self.class_name, self.config

    @property
    def activation(self) -> str | None:
        """The activation this layer applies: a name, ``custom:<name>``, or None if it applies none."""
        class_name, config = self.inner
        if class_name in vocab.ACTIVATION_LAYERS:
            fixed = vocab.ACTIVATION_LAYERS[class_name]
            return fixed or vocab.activation_name(config.get("activation"))
        if "activation" in config:
            return vocab.activation_name(config.get("activation")) or "linear"
        return None

    @property
    def units(self) -> int | None:
        _, config = self.inner
        value = config.get("units", config.get("filters"))
        return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**40 else None


@dataclass
class Node:
    """One call of a layer. ``inputs`` are node keys; ``training`` is the innermost explicit
    ``training=`` of this call or of an enclosing nested-model call."""

    key: str
    layer: LayerSpec
    call: int
    inputs: tuple[str, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    training: bool | None = None
    output_shape: Shape | None = None
    model_input: bool = False
    #: Call index of each enclosing nested model, outermost first (empty at the top level).
    chain: tuple[int, ...] = ()

    @property
    def width(self) -> int | None:
        shape = self.output_shape
        width = shape[-1] if shape else None
        return width if isinstance(width, int) and 0 < width < 2**40 else None

    @property
    def features(self) -> int | None:
        """Number of features per sample (product of the non-batch dimensions), if known."""
        shape = self.output_shape
        if not shape or len(shape) < 2 or any(not isinstance(d, int) for d in shape[1:]):
            return None
        total = 1
        for dim in shape[1:]:
            total *= dim
        return total


@dataclass(frozen=True)
class LossSpec:
    name: str
    family: str | None  # vocab.BINARY / CATEGORICAL / SPARSE / OTHER, None = custom
    from_logits: bool = False
    raw: Any = None

    @property
    def is_known(self) -> bool:
        return self.family is not None


@dataclass(frozen=True)
class MetricSpec:
    name: str  # as the user named it (``accuracy``, ``auc``)
    resolved: str | None = None  # what Keras computes (``binary_accuracy``), when known


@dataclass(frozen=True)
class OptimizerSpec:
    class_name: str
    learning_rate: float | None
    schedule: str | None = None
    raw: Any = None


@dataclass
class OutputSpec:
    name: str
    key: str
    loss: LossSpec | None = None
    metrics: tuple[MetricSpec, ...] = ()


@dataclass
class CompileSpec:
    optimizer: OptimizerSpec | None
    raw: dict[str, Any]


@dataclass
class ModelSpec:
    name: str
    class_name: str
    source: str
    format: str
    keras_version: str | None
    keras_major: int
    backend: str | None
    layers: dict[str, LayerSpec]
    nodes: dict[str, Node]
    inputs: tuple[str, ...]
    outputs: tuple[OutputSpec, ...]
    compile: CompileSpec | None = None
    _consumers: dict[str, list[str]] | None = field(default=None, repr=False)
    _ancestry: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    # ---- graph navigation --------------------------------------------------------------------

    def consumers(self, key: str) -> list[str]:
        if self._consumers is None:
            table: dict[str, list[str]] = {k: [] for k in self.nodes}
            for node in self.nodes.values():
                for src in node.inputs:
                    table.setdefault(src, []).append(node.key)
            self._consumers = table
        return self._consumers.get(key, [])

    def upstream(self, key: str) -> Iterator[Node]:
        """Every node that feeds ``key``, nearest first (breadth-first), without ``key`` itself."""
        seen = {key}
        queue = deque(self.nodes[key].inputs)
        while queue:
            current = queue.popleft()
            if current in seen or current not in self.nodes:
                continue
            seen.add(current)
            yield self.nodes[current]
            queue.extend(self.nodes[current].inputs)

    def input_ancestry(self, key: str) -> frozenset[str]:
        """Names of the model inputs that ``key`` depends on."""
        if key not in self._ancestry:
            node = self.nodes[key]
            found = {node.layer.name} if node.model_input else set()
            found.update(n.layer.name for n in self.upstream(key) if n.model_input)
            self._ancestry[key] = frozenset(found)
        return self._ancestry[key]

    def nodes_of(self, *class_names: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.layer.class_name in class_names]

    def skip_back(self, key: str, through: frozenset[str]) -> Node:
        """Walk upstream from ``key`` while the node is a single-input layer of a class in ``through``."""
        node = self.nodes[key]
        while node.layer.class_name in through and len(node.inputs) == 1 and node.inputs[0] in self.nodes:
            node = self.nodes[node.inputs[0]]
        return node

    def probability_source(self, key: str) -> Node:
        """The node whose activation decides what ``key`` outputs, skipping shape-only layers."""
        return self.skip_back(key, vocab.PASS_THROUGH_CLASSES - {"InputLayer"})

