"""Validate probe data once, up front, against the model's inputs and outputs.

Unusable data (an array that is not numeric, of the wrong rank or shape, a scalar, ragged rows,
sample counts that disagree, labels that are not numbers) is refused here with a one-line
``InputError`` naming the array and what was expected, before any rule or trial sees it. Data
that is usable but wrong (NaN, token ids beyond a vocabulary, constant inputs) passes: the data
rules report it as findings (``probes.faults``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError
from ..model.spec import ModelSpec, Shape


@dataclass(frozen=True)
class Expected:
    """What the model takes at one input: its shape with the batch dimension, and its dtype."""

    name: str
    shape: Shape | None
    dtype: str | None

    @property
    def takes_strings(self) -> bool:
        return self.dtype == "string"

    def describe(self) -> str:
        shape = "(n" + "".join(f", {d if isinstance(d, int) else 'any'}" for d in (self.shape or ())[1:]) + ")"
        kind = "strings" if self.takes_strings else "numbers"
        return f"{kind} of shape {shape}" if self.shape else kind


def expected_inputs(spec: ModelSpec) -> list[Expected]:
    """The model's inputs, in the spec's order."""
    found = []
    for key in spec.inputs:
        node = spec.nodes[key]
        dtype = node.layer.config.get("dtype")
        if isinstance(dtype, dict):  # a serialized dtype policy
            dtype = (dtype.get("config") or {}).get("name")
        shape = node.output_shape if isinstance(node.output_shape, tuple) and node.output_shape else None
        found.append(Expected(node.layer.name, shape, dtype if isinstance(dtype, str) else None))
    return found


def as_array(value: Any, source: str, what: str) -> np.ndarray:
    """``value`` as a numpy array, or a one-line error (ragged rows, unconvertible objects)."""
    try:
        return np.asarray(value)
    except Exception as exc:  # numpy raises ValueError, TypeError and more for ragged or odd objects
        first = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise InputError(source, f"{what} cannot be read as one array ({first})") from None


def _kind(array: np.ndarray) -> str:
    if array.dtype.kind in "US":
        return "strings"
    if array.dtype.kind == "O":
        return "Python objects"
    if array.dtype.kind == "c":
        return "complex numbers"
    return f"values of dtype {array.dtype}"


def _numeric(array: np.ndarray) -> bool:
    return array.dtype.kind in "biuf"


def shape_fits(actual: tuple[int, ...], wanted: Shape) -> bool:
    """Keras' own rule: the ranks agree (a trailing dimension of 1 may be added or dropped), and
    every known dimension after the batch matches."""
    if len(actual) == len(wanted) - 1 and wanted[-1] == 1:
        actual = (*actual, 1)
    elif len(actual) == len(wanted) + 1 and actual[-1] == 1:
        actual = actual[:-1]
    if len(actual) != len(wanted):
        return False
    return all(not isinstance(w, int) or w == a for a, w in zip(actual[1:], wanted[1:]))


def check_input(array: np.ndarray, expected: Expected, source: str) -> None:
    """Refuse an input array the model cannot run (InputError naming it and what was expected)."""
    what = f"input '{expected.name}'"
    if array.ndim == 0:
        raise InputError(source, f"{what} is a single value; expected {expected.describe()}, one row per sample")
    if expected.takes_strings:
        if array.dtype.kind not in "USO":
            raise InputError(source, f"{what} holds {_kind(array)}; expected {expected.describe()}")
    elif not _numeric(array):
        raise InputError(source, f"{what} holds {_kind(array)}; expected {expected.describe()}")
    if expected.shape and not shape_fits(tuple(array.shape), expected.shape):
        raise InputError(source, f"{what} has shape {tuple(array.shape)}; expected {expected.describe()}")


def check_labels(y: np.ndarray, output: str, source: str) -> None:
    """Refuse labels that cannot be scored: not numbers, or a single value."""
    what = f"labels '{output}'"
    if y.ndim == 0:
        raise InputError(source, f"{what} are a single value; expected one label (or row) per sample")
    if not _numeric(y):
        raise InputError(source, f"{what} hold {_kind(y)}; expected numbers: class ids, one-hot rows or targets")


def validate(inputs: Mapping[str, Any], y: Any, spec: ModelSpec, source: str) -> tuple[dict[str, np.ndarray], Any]:
    """The inputs (by name) and labels as arrays, checked against ``spec``: names, rank, shape,
    dtype and sample counts. Raises InputError for data the model cannot run on."""
    arrays = {}
    for expected in expected_inputs(spec):
        array = as_array(inputs[expected.name], source, f"input '{expected.name}'")
        check_input(array, expected, source)
        arrays[expected.name] = array
    counts = {name: len(a) for name, a in arrays.items()}
    if len(set(counts.values())) > 1:
        listed = ", ".join(f"'{k}' {v}" for k, v in counts.items())
        raise InputError(source, f"input arrays hold different numbers of samples ({listed}); expected one row "
                                 "per sample in each")
    if not counts or 0 in counts.values():
        raise InputError(source, "the data holds no samples")
    n = next(iter(counts.values()))
    labels = _labels(y, spec, source)
    for output, value in (labels.items() if isinstance(labels, dict) else [("y", labels)] if labels is not None
                          else []):
        if len(value) != n:
            raise InputError(source, f"labels '{output}' and the inputs hold different numbers of samples "
                                     f"({len(value)} and {n})")
    return arrays, labels


def _labels(y: Any, spec: ModelSpec, source: str) -> Any:
    if y is None:
        return None
    if isinstance(y, dict):
        outputs = {o.name for o in spec.outputs}
        checked = {}
        for name, value in y.items():
            if name not in outputs:
                continue  # labels of an output the model lacks are not read
            array = as_array(value, source, f"labels '{name}'")
            check_labels(array, str(name), source)
            checked[name] = array
        return checked or None
    array = as_array(y, source, "labels 'y'")
    check_labels(array, "y", source)
    return array
