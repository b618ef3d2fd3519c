"""Recognize ``keras.applications`` backbones in a model, nested or flattened into it.

A frozen table (``backbones.json``) lists, for each architecture, a sample of its fixed layer
names (names that do not depend on how many layers the session built before) and its top-level
classifier names. ``generate_table()`` rebuilds the table from Keras; a test checks they agree.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .spec import ModelSpec, Node

TABLE_PATH = Path(__file__).with_name("backbones.json")
ANCHORS_PER_ARCH = 24


@dataclass(frozen=True)
class Backbone:
    """One recognized backbone: where it sits and which nodes belong to it."""

    arch: str
    prefix: str  # "vgg16/" for a nested model, "" when its layers sit in the outer model
    top: str  # node key of the backbone's feature output (before any ImageNet classifier)
    members: frozenset[str]  # node keys inside the backbone
    classifier: str | None  # node key of the ImageNet classifier ("predictions") if include_top

    @property
    def nested(self) -> bool:
        return bool(self.prefix)

    def location(self, spec: ModelSpec) -> str:
        """A real layer path: the nested model, or the backbone's feature-output layer."""
        return self.prefix.rstrip("/") or spec.nodes[self.top].layer.path


@functools.lru_cache(maxsize=1)
def load_table() -> dict[str, dict[str, Any]]:
    with open(TABLE_PATH, encoding="utf-8") as handle:
        return json.load(handle)


def _scopes(spec: ModelSpec) -> dict[str, set[str]]:
    """Layer names per scope ("" for the top level, "path/" for each nested model), as matched."""
    scopes: dict[str, set[str]] = {"": set()}
    for layer in spec.layers.values():
        prefix = (layer.parent + "/") if layer.parent else ""
        scopes.setdefault(prefix, set()).add(_plain(layer.name))
    return scopes


def _match(names: set[str], table: dict[str, dict[str, Any]]) -> str | None:
    """The architecture whose anchors are all present; among siblings that all match (EfficientNetV2B1
    holds every anchor of V2B2), the largest one that still fits in the scope's layer count."""
    found = [arch for arch, row in table.items() if set(row["anchors"]) <= names]
    if not found:
        return None
    fitting = [a for a in found if table[a]["layers"] <= len(names)] or found
    return max(fitting, key=lambda a: (table[a]["layers"], not a.startswith("tf_keras:")))


def find_backbones(spec: ModelSpec) -> list[Backbone]:
    table = load_table()
    result = []
    for prefix, names in _scopes(spec).items():
        arch = _match(names, table)
        if arch is None:
            continue
        row = table[arch]
        top = _first_node(spec, prefix, row["top"])
        if top is None:
            continue
        classifier_name = _classifier_name(names, row["top"])
        classifier = _first_node(spec, prefix, classifier_name) if classifier_name else None
        members = _members(spec, prefix, top, classifier)
        result.append(Backbone(arch.split(":")[-1], prefix, top.key, frozenset(members),
                               classifier.key if classifier else None))
    return result


def _classifier_name(names: set[str], top: str) -> str | None:
    """The ImageNet classifier of an application built with include_top=True: ``predictions``, or
    ConvNeXt's ``<model>_head_dense`` (its top ends in ``<model>_stage_3_block_2_identity``)."""
    if "predictions" in names:
        return "predictions"
    head = top.split("_stage_")[0] + "_head_dense" if "_stage_" in top else None
    return head if head in names else None


def _first_node(spec: ModelSpec, prefix: str, plain_name: str) -> Node | None:
    for node in spec.nodes.values():
        if node.layer.path.startswith(prefix) and _plain(node.layer.name) == plain_name and \
                ((node.layer.parent + "/") if node.layer.parent else "") == prefix:
            return node
    return None


def _members(spec: ModelSpec, prefix: str, top: Node, classifier: Node | None) -> set[str]:
    if prefix:
        return {k for k, n in spec.nodes.items() if n.layer.path.startswith(prefix)}
    members = {top.key} | {n.key for n in spec.upstream(top.key) if not n.model_input}
    if classifier is not None:
        members |= {classifier.key} | {n.key for n in spec.upstream(classifier.key) if not n.model_input}
    return members


def generate_table() -> dict[str, dict[str, Any]]:  # pragma: no cover - exercised by the freshness test
    """Build every ``keras.applications`` architecture (weights=None) and sample its fixed names;
    add tf_keras rows where tf_keras names the layers differently or has architectures of its own."""
    import keras

    fixed = {arch: _fixed_names(builder) for arch, builder in _builders(keras.applications).items()}
    try:
        import tf_keras
    except ImportError:
        tf_fixed = {}
    else:
        tf_fixed = {arch: _fixed_names(builder) for arch, builder in _builders(tf_keras.applications).items()}
    for arch, names in tf_fixed.items():
        if arch not in fixed or not set(_anchor_sample(fixed[arch])) <= {_plain(n) for n in names}:
            fixed[f"tf_keras:{arch}"] = [_plain(n) for n in names]
    return {arch: _row(arch, names, fixed) for arch, names in sorted(fixed.items())}


def _plain(name: str) -> str:
    """Layer names as matched: tf_keras writes some with '/' ("conv1/conv") where Keras 3 uses '_'."""
    return name.replace("/", "_")


def _builders(applications) -> dict[str, Any]:  # pragma: no cover
    """Architecture builders: at the top of keras.applications (MobileNetV3 lives only there) and in
    its submodules."""
    import inspect

    found = {}
    for owner in [applications] + [getattr(applications, n) for n in dir(applications)
                                   if inspect.ismodule(getattr(applications, n))]:
        for arch in dir(owner):
            builder = getattr(owner, arch)
            if arch[:1].isupper() and callable(builder) and not inspect.isclass(builder):
                found.setdefault(arch, builder)
    return dict(sorted(found.items()))


def _fixed_names(builder) -> list[str]:  # pragma: no cover
    """Layer names (in graph order) that stay the same when the architecture is built again and at
    another input size: auto-numbered and size-dependent names are left out."""
    first = [layer.name for layer in _build(builder, None).layers]
    again = {layer.name for layer in _build(builder, None).layers}
    sized = {layer.name for layer in _build(builder, 331 if "NASNetLarge" in builder.__name__ else 224).layers}
    return [n for n in first[1:] if n in again and n in sized]


def _anchor_sample(names: list[str]) -> list[str]:
    step = max(1, len(names) // ANCHORS_PER_ARCH)
    return sorted(set(names[::step][:ANCHORS_PER_ARCH]) | {names[0], names[-1]})


def _row(arch: str, names: list[str], table: dict[str, list[str]]) -> dict[str, Any]:  # pragma: no cover
    """Anchors: a spread sample of the fixed names plus a few names no other architecture has, so
    that a smaller sibling (EfficientNetV2B1 inside EfficientNetV2B2's names) is not mistaken."""
    others = set().union(*(set(v) for k, v in table.items() if k != arch)) if len(table) > 1 else set()
    unique = [n for n in names if n not in others][:8]
    return {"layers": len(names), "top": names[-1], "anchors": sorted(set(_anchor_sample(names)) | set(unique))}


def _build(builder, size):  # pragma: no cover
    shape = None if size is None else (size, size, 3)
    try:
        return builder(weights=None, include_top=False, input_shape=shape)
    except ValueError:
        return builder(weights=None, include_top=False, input_shape=(224, 224, 3))
