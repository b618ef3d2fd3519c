"""Usable-but-wrong probe data: NaN and Inf values, token ids beyond an Embedding's vocabulary,
constant inputs and inputs that duplicate another; and the samples a forward pass can use.

``input_faults`` records what the data rules report (FD507-FD509); ``usable`` is the probe sample
without the samples no forward pass can take (NaN/Inf, out-of-vocabulary ids: on a CPU the
Embedding lookup fails, on a GPU it silently returns zeros), so the other probes still measure
the model on the rest.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from ..errors import InputError
from ..measurements import InputFaults
from ..model import vocab
from ..model.spec import ModelSpec
from .data import ProbeData

#: A constant input is only called constant on at least this many samples.
MIN_SAMPLES_CONSTANT = 16


def embeddings_reading(spec: ModelSpec, input_name: str) -> list[tuple[str, int]]:
    """(path, input_dim) of each Embedding that reads ``input_name`` as ids, through layers that
    only move values (Reshape, Masking, a nested model's InputLayer)."""
    starts = [k for k in spec.inputs if spec.nodes[k].layer.name == input_name]
    found, seen, queue = [], set(starts), deque(starts)
    while queue:
        for key in spec.consumers(queue.popleft()):
            node = spec.nodes[key]
            if key in seen:
                continue
            seen.add(key)
            if node.layer.class_name == "Embedding":
                dim = node.layer.config.get("input_dim")
                if isinstance(dim, int) and not isinstance(dim, bool) and dim > 0:
                    found.append((node.layer.path, dim))
            elif node.layer.class_name in vocab.PASS_THROUGH_CLASSES:
                queue.append(key)
    return found


def _rows(array: np.ndarray) -> np.ndarray:
    return np.asarray(array).reshape(len(array), -1)


def _non_finite_rows(array: np.ndarray) -> np.ndarray:
    rows = _rows(array)
    if rows.dtype.kind != "f":
        return np.zeros(len(rows), bool)
    return ~np.isfinite(rows).all(axis=1)


def _out_of_range_rows(array: np.ndarray, vocabulary: int) -> np.ndarray:
    rows = _rows(array)
    with np.errstate(invalid="ignore"):
        ids = np.trunc(rows) if rows.dtype.kind == "f" else rows
        bad = (ids < 0) | (ids >= vocabulary)
    return bad.any(axis=1)


def _labels(data: ProbeData, spec: ModelSpec) -> dict[str, np.ndarray]:
    """Labels by output name (one array for a one-output model is that output's)."""
    if data.y is None:
        return {}
    if isinstance(data.y, dict):
        return {str(k): np.asarray(v) for k, v in data.y.items()}
    return {spec.outputs[0].name if len(spec.outputs) == 1 else "y": np.asarray(data.y)}


def input_faults(data: ProbeData, spec: ModelSpec) -> tuple[InputFaults, ...]:
    """The faults of each input and each output's labels on ``data`` (the unfiltered sample)."""
    found = []
    earlier: dict[str, np.ndarray] = {}
    for name, array in data.inputs.items():
        array = np.asarray(array)
        numeric = array.dtype.kind in "biuf"
        rows = _rows(array) if numeric else None
        nan = int(np.isnan(rows).sum()) if rows is not None and rows.dtype.kind == "f" else 0
        inf = int(np.isinf(rows).sum()) if rows is not None and rows.dtype.kind == "f" else 0
        fields: dict = {"non_finite": int(_non_finite_rows(array).sum()) if numeric else 0,
                        "nan_values": nan, "inf_values": inf}
        readers = embeddings_reading(spec, name) if numeric else []
        if readers:
            path, dim = min(readers, key=lambda r: r[1])
            finite = rows[np.isfinite(rows)] if rows.dtype.kind == "f" else rows.ravel()
            fields.update(embedding=path, vocabulary=dim,
                          id_min=float(finite.min()) if finite.size else None,
                          id_max=float(finite.max()) if finite.size else None,
                          out_of_range=int(_out_of_range_rows(array, dim).sum()))
        if rows is not None and len(rows) >= MIN_SAMPLES_CONSTANT and rows.size:
            fields["constant"] = bool((rows == rows[:1]).all())
        if rows is not None and len(rows) >= 2 and not fields.get("constant"):
            fields["duplicate_of"] = next((other for other, seen in earlier.items()
                                           if seen.shape == array.shape and np.array_equal(seen, array)), None)
            earlier[name] = array
        found.append(InputFaults(name, "input", len(array), **fields))
    for output, y in _labels(data, spec).items():
        if y.dtype.kind == "f":
            found.append(InputFaults(output, "labels", len(y), int(_non_finite_rows(y).sum()),
                                     int(np.isnan(y).sum()), int(np.isinf(y).sum())))
    return tuple(found)


def usable_mask(data: ProbeData, spec: ModelSpec) -> np.ndarray:
    """True for each sample a forward pass can take: finite inputs and labels, ids in range."""
    keep = np.ones(data.n, bool)
    for name, array in data.inputs.items():
        array = np.asarray(array)
        if array.dtype.kind not in "biuf":
            continue
        keep &= ~_non_finite_rows(array)
        for _, dim in embeddings_reading(spec, name):
            keep &= ~_out_of_range_rows(array, dim)
    for y in _labels(data, spec).values():
        keep &= ~_non_finite_rows(y) if y.ndim else True
    return keep


def usable(data: ProbeData, spec: ModelSpec) -> tuple[ProbeData, int]:
    """``data`` without the samples no forward pass can take, and how many were left out
    (``data`` itself, and 0, when every sample is usable)."""
    keep = usable_mask(data, spec)
    if keep.all():
        return data, 0
    index = np.flatnonzero(keep)
    pick = lambda a: np.asarray(a)[index]  # noqa: E731
    y = {k: pick(v) for k, v in data.y.items()} if isinstance(data.y, dict) else (
        pick(data.y) if data.y is not None else None)
    kept = ProbeData({k: pick(v) for k, v in data.inputs.items()}, y, data.source)
    return kept, int(data.n - len(index))


def refuse_untrainable(data: ProbeData, spec: ModelSpec, model=None) -> None:
    """For training (``fix``): data with NaN/Inf or out-of-vocabulary ids, or labels the compiled
    ``model`` cannot compute its loss on, is a one-line error naming the array, since every run on
    it would fail or train on NaN."""
    for fault in input_faults(data, spec):
        what = f"labels '{fault.name}'" if fault.kind == "labels" else f"input '{fault.name}'"
        if fault.non_finite:
            raise InputError(data.source, f"{what} holds NaN or infinite values in {fault.non_finite} of "
                                          f"{fault.samples} samples; training on them gives NaN losses: clean the "
                                          "data first (fusiondoctor explain FD507)")
        if fault.out_of_range:
            raise InputError(data.source, f"{what} holds token ids outside 0..{fault.vocabulary - 1}, the vocabulary "
                                          f"of Embedding '{fault.embedding}', in {fault.out_of_range} of "
                                          f"{fault.samples} samples (fusiondoctor explain FD508)")
    if model is not None and data.y is not None:
        _loss_runs(data, spec, model)


def _loss_runs(data: ProbeData, spec: ModelSpec, model) -> None:
    """Compute the compiled model's loss on two samples; a loss that cannot take the labels
    (one-hot rows into a sparse loss, labels of another width) is a one-line error."""
    if getattr(model, "compiled_loss", None) is None and not getattr(model, "compiled", False):
        return  # an uncompiled model: the trials compile their own copies
    names = [t._keras_history[0].name for t in model.inputs] if hasattr(model, "inputs") else list(data.inputs)
    if set(names) != set(data.inputs):
        names = list(data.inputs)
    x = [np.asarray(data.inputs[n])[:2] for n in names]
    y = {k: np.asarray(v)[:2] for k, v in data.y.items()} if isinstance(data.y, dict) else np.asarray(data.y)[:2]
    try:
        inputs = x if len(x) > 1 else x[0]
        model.compute_loss(x=inputs, y=y, y_pred=model(inputs, training=False), training=False)
    except Exception as exc:  # Keras raises many types for labels that do not fit the loss
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        losses = ", ".join(o.loss.name for o in spec.outputs if o.loss) or "its loss"
        raise InputError(data.source, f"the model cannot compute {losses} on these labels ({type(exc).__name__}: "
                                      f"{first}); fusiondoctor check --data says why (FD504)") from None
