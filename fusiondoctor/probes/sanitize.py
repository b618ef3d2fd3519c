"""Make a Keras 2 (tf_keras) model config loadable by Keras 3, without running anything from it.

Keras 3 refuses some Keras 2 files: layers carry keyword arguments it no longer knows (an LSTM's
``time_major``), and Keras 2 numbers the calls of a nested model from 1 where Keras 3 expects 0.
This module rewrites a copy of the config; the file itself is never touched.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

from ..model import vocab

#: Keyword arguments Keras 2 layers serialize and Keras 3 layers reject, by class.
KERAS2_ONLY_KWARGS: dict[str, set[str]] = {
    "LSTM": {"time_major", "implementation"},
    "GRU": {"time_major", "implementation"},
    "SimpleRNN": {"time_major"},
    "Bidirectional": set(),
    "Embedding": {"input_length"},
}
_UNRECOGNIZED = re.compile(r"Unrecognized keyword arguments passed to (\w+): \{(.*)\}")


def _layer_entries(config: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """Every layer entry, nested models and wrapped layers included."""
    for entry in config.get("config", {}).get("layers", []) if isinstance(config.get("config"), dict) else []:
        if not isinstance(entry, dict):
            continue
        yield entry
        inner = entry.get("config")
        if isinstance(inner, dict):
            if isinstance(inner.get("layers"), list):
                yield from _layer_entries(entry)
            wrapped = inner.get("layer")
            if isinstance(wrapped, dict):
                yield wrapped


def drop_kwargs(config: dict[str, Any], class_name: str, names: Iterable[str]) -> int:
    """Remove ``names`` from the config of every ``class_name`` layer; returns how many were removed."""
    removed = 0
    for entry in _layer_entries(config):
        if entry.get("class_name") == class_name and isinstance(entry.get("config"), dict):
            for name in names:
                if name in entry["config"]:
                    del entry["config"][name]
                    removed += 1
    return removed


def unrecognized_kwargs(message: str) -> tuple:
    """(class name, keyword names) from Keras 3's 'Unrecognized keyword arguments' error, if it is one."""
    match = _UNRECOGNIZED.search(message)
    if not match:
        return None, []
    names = re.findall(r"'(\w+)'\s*:", match.group(2))
    return match.group(1), names


def _renumber_nested_calls(model_config: dict[str, Any]) -> None:
    """Keras 2 refers to the n-th call of a nested model as node n+1; Keras 3 as node n."""
    layers: list[dict[str, Any]] = model_config.get("layers", [])
    models = {e.get("name") for e in layers if isinstance(e, dict) and (
        e.get("class_name") in vocab.MODEL_CLASSES or isinstance((e.get("config") or {}).get("layers"), list))}
    refs: list[list] = []
    for entry in layers:
        for node in entry.get("inbound_nodes") or []:
            if isinstance(node, list):
                refs.extend(r for r in node if isinstance(r, list) and len(r) >= 3 and r[0] in models)
    outputs = [
        r for r in model_config.get("output_layers") or [] if isinstance(r, list) and len(r) >= 3 and r[0] in models
    ]
    for name in models:
        used = [r for r in refs + outputs if r[0] == name]
        calls = len(next(e for e in layers if e.get("name") == name).get("inbound_nodes") or [])
        if used and min(r[1] for r in used) >= 1 and max(r[1] for r in used) == calls:
            for ref in used:
                ref[1] -= 1
    for entry in layers:
        inner = entry.get("config")
        if isinstance(inner, dict) and isinstance(inner.get("layers"), list):
            _renumber_nested_calls(inner)


def sanitize_keras2_config(config: dict[str, Any]) -> dict[str, Any]:
    """A copy of a Keras 2 model config that Keras 3's legacy loader accepts."""
    clean = copy.deepcopy(config)
    for class_name, names in KERAS2_ONLY_KWARGS.items():
        drop_kwargs(clean, class_name, names)
    if isinstance(clean.get("config"), dict):
        _renumber_nested_calls(clean["config"])
    return clean
