"""Probe data: a bounded sample of inputs (one array per model input) and labels.

Accepted: an ``.npz`` file with one array per input, named after the input layer, plus ``y`` (or
``y_<output>`` per output); ``(x, y)`` with numpy arrays, lists or dicts of arrays; a
``tf.data.Dataset`` or Keras ``PyDataset`` yielding ``(x, y)`` batches (unpacked as Keras' ``fit``
unpacks them: ``x`` alone or ``(x,)`` has no labels, ``(x, y, sample_weight)`` has its weights ignored),
read until ``max_samples`` samples, so an endless (``.repeat()``) dataset ends too. A dataset of single
samples (no ``.batch``) or of batches that do not stack into one array per input is a one-line error.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError
from ..model.spec import ModelSpec
from .validate import expected_inputs, shape_fits, validate

#: Samples probed by default: enough for stable statistics, one quick forward pass.
DEFAULT_MAX_SAMPLES = 512


@dataclass
class ProbeData:
    inputs: dict[str, np.ndarray]  # input layer name -> array, all with the same first dimension
    y: Any | None  # array, or dict output name -> array, or None
    source: str

    @property
    def n(self) -> int:
        return len(next(iter(self.inputs.values())))

    def ordered(self, names: Sequence[str]) -> list[np.ndarray]:
        return [self.inputs[n] for n in names]

    def labels_for(self, output: str, outputs: Sequence[str]) -> np.ndarray | None:
        if isinstance(self.y, dict):
            return self.y.get(output)
        return self.y if len(outputs) == 1 or self.y is None else None


def input_names(spec: ModelSpec) -> list[str]:
    return [spec.nodes[k].layer.name for k in spec.inputs]


def _expected_keys(spec: ModelSpec) -> str:
    names = input_names(spec)
    ys = ["y"] if len(spec.outputs) == 1 else [f"y_{o.name}" for o in spec.outputs]
    return ", ".join(names + ys)


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _declared_sizes(source: str) -> None:
    """Refuse an archive whose members claim more bytes than they hold (a damaged or hostile
    header would make numpy allocate what it claims), hold Python objects, or would not fit in
    half the machine's memory once decompressed (a zip bomb)."""
    import zipfile

    with zipfile.ZipFile(source) as archive:
        total, memory = sum(i.file_size for i in archive.infolist()), _memory_bytes()
        if memory and total > memory // 2:
            raise InputError(source, f"the arrays take {total / 2**30:.1f} GiB decompressed, more than half this "
                                     f"machine's memory ({memory / 2**30:.1f} GiB): save a sample of the data")
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                continue
            with archive.open(info) as member:
                version = np.lib.format.read_magic(member)
                read = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                    np.lib.format.read_array_header_2_0
                shape, _, dtype = read(member)
            if dtype.hasobject:
                raise InputError(source, f"array '{info.filename[:-4]}' holds Python objects; expected numbers")
            if int(np.prod(shape, dtype=object)) * dtype.itemsize > info.file_size:
                raise InputError(source, f"array '{info.filename[:-4]}' claims more data than the file holds "
                                         "(truncated or damaged)")


def load_npz(path: os.PathLike, spec: ModelSpec) -> dict[str, Any]:
    source = str(path)
    if not os.path.exists(source):
        raise InputError(source, "no such file")
    if os.path.isdir(source):
        raise InputError(source, "is a folder; expected an .npz file")
    try:
        _declared_sizes(source)
        with np.load(source, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
    except InputError:
        raise
    except MemoryError:
        raise InputError(source, "an array in the file is larger than the memory available") from None
    except Exception as exc:  # zipfile, zlib, numpy and the OS raise many types for a damaged file
        first = str(exc).splitlines()[0][:100] if str(exc) else type(exc).__name__
        raise InputError(source, f"not a readable .npz file ({first})") from None
    names = input_names(spec)
    missing = [n for n in names if n not in arrays]
    if missing:
        found = ", ".join(sorted(arrays)[:12]) or "none"
        raise InputError(source, f"missing arrays {missing} (found: {found}); expected keys: {_expected_keys(spec)}")
    x = {n: arrays[n] for n in names}
    if "y" in arrays:
        y: Any = arrays["y"]
    else:
        y = {o.name: arrays[f"y_{o.name}"] for o in spec.outputs if f"y_{o.name}" in arrays} or None
    return {"x": x, "y": y}


def _to_numpy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _to_numpy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_numpy(v) for v in value]
    return np.asarray(value)


def _from_batches(dataset: Any, spec: ModelSpec, max_samples: int, source: str) -> dict[str, Any]:
    """Batches read until ``max_samples``; a dataset that fails while read, yields single samples or
    batches that do not stack is a one-line error."""
    try:
        return _read_batches(dataset, spec, max_samples, source)
    except InputError:
        raise
    except Exception as exc:  # the user's pipeline can raise anything
        first = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise InputError(source, f"reading the dataset failed ({type(exc).__name__}: {first})") from None


def _unpack(batch: Any, source: str) -> tuple[Any, Any]:
    """``(x, y)`` from one batch, as Keras' ``fit`` unpacks it: ``x`` alone (not a tuple) or ``(x,)``
    has no labels; ``(x, y, sample_weight)`` has its weights ignored."""
    if isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, tuple):
        return batch, None
    if not 1 <= len(batch) <= 3:
        raise InputError(source, f"a batch is a tuple of {len(batch)} parts; expected (x, y) or (x, y, sample_weight)")
    return batch[0], batch[1] if len(batch) > 1 else None


def _read_batches(dataset: Any, spec: ModelSpec, max_samples: int, source: str) -> dict[str, Any]:
    xs, ys, count = [], [], 0
    for index, batch in enumerate(dataset):
        x, y = _unpack(batch, source)
        x, y = _to_numpy(x), None if y is None else _to_numpy(y)
        if index == 0:
            _refuse_single_samples(x, y, spec, source)
        elif (y is None) != (ys[0] is None):
            raise InputError(source, f"batch {index} {'has no' if y is None else 'has'} labels, batch 0 "
                                     f"{'had' if y is None else 'had none'}")
        xs.append(x)
        ys.append(y)
        count += len(_leaves(x, "x")[0][1])
        # every batch holds a sample or more, so max_samples batches are enough (an endless dataset of
        # empty batches ends too)
        if count >= max_samples or index + 1 >= max_samples:
            break  # before asking the dataset for another batch
    if not xs:
        raise InputError(source, "the dataset yielded no batches")
    return {"x": _concat(xs, source, "x"), "y": None if ys[0] is None else _concat(ys, source, "y")}


def _leaves(value: Any, path: str) -> list[tuple[str, np.ndarray]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, f"{path}['{k}']")]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, f"{path}[{i}]")]
    return [(path, value)]


def _refuse_single_samples(x: Any, y: Any, spec: ModelSpec, source: str) -> None:
    """A dataset that yields one sample at a time (a tf.data pipeline without ``.batch``) is refused:
    Keras' ``fit`` takes batches too. Told by the first batch: a value with no batch dimension (a
    scalar), or an input whose shape is the model's without the batch dimension."""
    hint = "the dataset yields single samples, not batches: batch it first (e.g. dataset.batch(32))"
    for path, value in _leaves(x, "x") + ([] if y is None else _leaves(y, "y")):
        if np.ndim(value) == 0:
            raise InputError(source, f"{hint}; {path} is a single value")
    try:
        named = _name_inputs(x, spec, source)
    except InputError:
        return  # not the model's inputs at all: validate() says how, once the batches are read
    for expected in expected_inputs(spec):
        shape = tuple(np.shape(named[expected.name]))
        if expected.shape and not shape_fits(shape, expected.shape) and shape_fits((1, *shape), expected.shape):
            raise InputError(source, f"{hint}; input '{expected.name}' has shape {shape}, the model takes "
                                     f"{expected.describe()}")


def _concat(parts: list[Any], source: str, what: str) -> Any:
    """The batches' arrays joined along the samples; batches whose structure or shapes differ are
    a one-line error naming the first that does not stack."""
    first = _leaves(parts[0], what)
    for index, part in enumerate(parts[1:], 1):
        leaves = _leaves(part, what)
        if [p for p, _ in leaves] != [p for p, _ in first]:
            raise InputError(source, f"batch {index}'s {what} is built unlike batch 0's "
                                     f"({', '.join(p for p, _ in leaves)} and {', '.join(p for p, _ in first)})")
        for (path, value), (_, was) in zip(leaves, first):
            if np.shape(value)[1:] != np.shape(was)[1:]:
                raise InputError(source, f"batches do not stack: {path} has shape {np.shape(value)} in batch "
                                         f"{index} and {np.shape(was)} in batch 0 (pad every batch to one shape)")
    if isinstance(parts[0], dict):
        return {k: _concat([p[k] for p in parts], source, f"{what}['{k}']") for k in parts[0]}
    if isinstance(parts[0], list):
        return [_concat([p[i] for p in parts], source, f"{what}[{i}]") for i in range(len(parts[0]))]
    return np.concatenate(parts)


def _is_batched(obj: Any) -> bool:
    module = type(obj).__module__ or ""
    return module.startswith("tensorflow") or hasattr(obj, "__getitem__") and hasattr(obj, "num_batches") \
        or type(obj).__name__ in ("PyDataset", "Sequence") or any(c.__name__ == "PyDataset" for c in type(obj).__mro__)


def _name_of(data: Any) -> str:
    """The data's name in messages: ``<tf.data.Dataset>`` for any of tf.data's internal classes."""
    if (type(data).__module__ or "").startswith("tensorflow") and hasattr(data, "element_spec"):
        return "<tf.data.Dataset>"
    return f"<{type(data).__name__}>"


def make_probe_data(data: Any, spec: ModelSpec, max_samples: int = DEFAULT_MAX_SAMPLES, seed: int = 0) -> ProbeData:
    """Bounded probe data for ``spec`` from any accepted form; a seeded random subset of
    ``max_samples`` when there are more."""
    source = str(data) if isinstance(data, (str, os.PathLike)) else _name_of(data)
    if isinstance(data, (str, os.PathLike)):
        parts = load_npz(data, spec)
    elif isinstance(data, dict) and "x" in data:
        parts = {"x": data["x"], "y": data.get("y")}
    elif isinstance(data, tuple) and len(data) in (1, 2):
        parts = {"x": data[0], "y": data[1] if len(data) == 2 else None}
    elif _is_batched(data):
        parts = _from_batches(data, spec, max_samples, source)
    else:
        raise InputError(source, "data must be an .npz path, (x, y) arrays, a tf.data.Dataset or a PyDataset")
    inputs, y = validate(_name_inputs(parts["x"], spec, source), _labels(parts["y"], spec, source), spec, source)
    return subsample(ProbeData(inputs, y, source), max_samples, seed)


def _labels(y: Any, spec: ModelSpec, source: str) -> Any:
    """Labels per output: a list for a multi-output model (Keras' own form) maps onto the outputs in
    order; a list of arrays of another length is refused (one array per output, in order)."""
    if isinstance(y, (list, tuple)) and len(spec.outputs) > 1 and len(y) == len(spec.outputs):
        return {o.name: v for o, v in zip(spec.outputs, y)}
    arrays = isinstance(y, (list, tuple)) and y and all(len(getattr(v, "shape", ())) >= 1 for v in y)
    if arrays and len(spec.outputs) > 1 and len(y) < min(v.shape[0] for v in y):  # not a list of samples
        names = ", ".join(o.name for o in spec.outputs)
        raise InputError(source, f"y is a list of {len(y)} label arrays; the model has {len(spec.outputs)} outputs "
                                 f"({names}): give one array per output, in that order, or a dict keyed by output name")
    if isinstance(y, (list, tuple)) and len(y) == 1:
        return y[0]
    return y


def _name_inputs(x: Any, spec: ModelSpec, source: str) -> dict[str, Any]:
    """The input values by input name (checked as arrays by ``validate``)."""
    names = input_names(spec)
    if isinstance(x, dict):
        missing = [n for n in names if n not in x]
        if missing:
            raise InputError(source, f"no arrays for inputs {missing}; expected keys: {_expected_keys(spec)}")
        return {n: x[n] for n in names}
    items = list(x) if isinstance(x, (list, tuple)) else [x]
    if len(names) == 1 and len(items) != 1:
        items = [x]  # one input given as a nested list of samples
    if len(items) != len(names):
        raise InputError(
            source, f"the model has {len(names)} inputs ({', '.join(names)}), the data {len(items)} arrays"
        )
    return dict(zip(names, items))


def subsample(data: ProbeData, max_samples: int, seed: int = 0) -> ProbeData:
    n = data.n
    if data.y is not None:
        ys = data.y.values() if isinstance(data.y, dict) else [data.y]
        if any(len(y) != n for y in ys):
            raise InputError(data.source, f"labels and inputs have different numbers of samples ({n} inputs)")
    if n <= max_samples:
        return data
    index = np.sort(np.random.default_rng(seed).choice(n, size=max_samples, replace=False))
    pick = lambda a: a[index]  # noqa: E731
    y = (
        {k: pick(v) for k, v in data.y.items()}
        if isinstance(data.y, dict)
        else (pick(data.y) if data.y is not None else None)
    )
    return ProbeData({k: pick(v) for k, v in data.inputs.items()}, y, data.source)
