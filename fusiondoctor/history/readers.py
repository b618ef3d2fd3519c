"""Read a training history from a Keras History object, a dict, a pandas DataFrame, JSON, a CSV
(CSVLogger's or pandas' ``to_csv``), a TensorBoard log directory (read with the tensorboard package,
imported only for that), or an MLflow run (``mlflow:RUN_ID``, read with MLflow's client)."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
import types
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..limits import DEFAULT_LIMITS, Limits
from . import mlflow_runs
from .spec import HistorySpec, from_columns

MAX_EPOCHS = 1_000_000


def read_history(obj: Any, name: str | None = None, limits: Limits = DEFAULT_LIMITS) -> HistorySpec:
    """A HistorySpec from a path, ``mlflow:RUN_ID``, a keras History, its ``.history`` dict, a pandas
    DataFrame, or a HistorySpec."""
    if isinstance(obj, HistorySpec):
        return obj
    if isinstance(obj, str) and mlflow_runs.is_run_reference(obj):
        return mlflow_runs.read_run(obj)
    if isinstance(obj, (str, os.PathLike)):
        return read_history_path(Path(obj), limits)
    if _is_pandas(obj):  # before .history: a DataFrame's attributes are its columns
        return _from_pandas(obj, name)
    history = getattr(obj, "history", None)
    if isinstance(history, Mapping):  # keras.callbacks.History
        spec = _from_mapping(history, name or "<keras History>", "history")
        return _with_steps(spec, getattr(obj, "params", None))
    if isinstance(obj, Mapping):
        return _from_mapping(obj, name or "<history dict>", "dict")
    raise InputError(name or type(obj).__name__, "not a history: give a History, a dict of lists, a pandas DataFrame, "
                                                  "a JSON/CSV/TensorBoard path or mlflow:RUN_ID")


def read_history_path(path: Path, limits: Limits = DEFAULT_LIMITS) -> HistorySpec:
    source = str(path)
    if not path.exists():
        raise InputError(source, "no such file or directory")
    if path.is_dir():
        return _read_tensorboard(path)
    if not path.is_file():
        raise InputError(source, "not a regular file (a pipe or a device); give a history file")
    if ".tfevents." in path.name:
        return _read_tensorboard(path.parent)
    data = limits.read(path, source, "the history file")
    if not data.strip():
        raise InputError(source, "empty history file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(source, "not a text history file (expected JSON or CSV)") from None
    if text.lstrip()[:1] in ("{", "["):
        return _read_json(text, source)
    return _read_csv(text, source)


#: Cells that mean "not measured this epoch" (CSVLogger writes NA), as opposed to a NaN value.
MISSING = ("", "na", "n/a", "none", "null")


def _number(value: Any, source: str, key: str) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool):
        raise InputError(source, f"metric {key!r} holds a boolean, not a number")
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:  # an integer too large for a float
            return math.inf if value > 0 else -math.inf
    if isinstance(value, str):
        text = value.strip().lower()
        if text in MISSING or text == "nan":
            return math.nan
        if text in ("inf", "+inf", "infinity"):
            return math.inf
        if text in ("-inf", "-infinity"):
            return -math.inf
        try:
            return float(text)
        except ValueError:
            raise InputError(source, f"metric {key!r} holds {value[:30]!r}, not a number") from None
    raise InputError(source, f"metric {key!r} holds a {type(value).__name__}, not a number")


def _from_mapping(mapping: Mapping, source: str, fmt: str) -> HistorySpec:
    columns: dict[str, list[float]] = {}
    for key, values in mapping.items():
        if not isinstance(key, str):
            raise InputError(source, f"metric name {key!r} is not a string")
        if isinstance(values, (int, float)) and not isinstance(values, bool):
            values = [values]
        if not isinstance(values, Sequence) or isinstance(values, (str, bytes)):
            raise InputError(source, f"metric {key!r} is not a list of numbers")
        if len(values) > MAX_EPOCHS:
            raise InputError(source, f"metric {key!r} has more than {MAX_EPOCHS} values")
        columns[key] = [_number(v, source, key) for v in values]
    columns = {k: v for k, v in columns.items() if v}
    if not columns:
        raise InputError(source, "history holds no metric values")
    return from_columns(columns, source, fmt)


def _read_json(text: str, source: str) -> HistorySpec:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, too many digits
        raise InputError(source, f"not valid JSON ({type(exc).__name__})") from None
    params = None
    if isinstance(data, dict) and isinstance(data.get("history"), dict):
        params = data.get("params")
        data = data["history"]  # {"history": {...}, "params": {...}} as some scripts dump it
    if isinstance(data, list) and all(isinstance(row, dict) for row in data):  # one dict per epoch
        keys = list(dict.fromkeys(k for row in data for k in row if k != "epoch"))
        data = {k: [row.get(k) for row in data] for k in keys}
    if not isinstance(data, dict):
        raise InputError(source, "JSON history must map metric names to lists of numbers")
    return _with_steps(_from_mapping(data, source, "json"), params)


def _with_steps(spec: HistorySpec, params: Any) -> HistorySpec:
    """The spec with Keras' ``params["steps"]`` (batches per epoch) when it is a sane number."""
    steps = params.get("steps") if isinstance(params, Mapping) else None
    if isinstance(steps, int) and not isinstance(steps, bool) and 0 < steps < 2**40:
        spec.steps = steps
    return spec


def _read_csv(text: str, source: str) -> HistorySpec:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise InputError(source, f"unreadable CSV ({exc})") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise InputError(source, "CSV history needs a header row and at least one epoch")
    header = [h.strip() for h in rows[0]]
    # pandas' df.to_csv() leads with its index under an empty header, and writes NaN as an empty cell
    from_pandas = len(header) > 1 and header[0] == "" and all(header[1:])
    if len(set(header)) != len(header) or not all(header[from_pandas:]):
        raise InputError(source, "CSV header has empty or repeated column names")
    body = rows[1:]
    if any(len(r) > len(header) for r in body):
        raise InputError(source, "a CSV row has more cells than the header")
    cells_of = {name: [r[index] if index < len(r) else "" for r in body] for index, name in enumerate(header)}
    cells_of.pop("", None)  # the pandas index: rows are epochs in order, as in a DataFrame
    epoch_cells = cells_of.pop("epoch", None)
    if not cells_of:
        raise InputError(source, "CSV history has no metric columns")
    numbered = [_number(c, source, "epoch") for c in epoch_cells] if epoch_cells else None
    epoch_numbers = _epoch_numbers(numbered, len(body))
    columns: dict[str, list[float]] = {}
    epochs: dict[str, list[int]] = {}
    for name, cells in cells_of.items():
        if from_pandas:
            points = list(zip(epoch_numbers, [_number(c, source, name) for c in cells], strict=True))
            kept = _drop_unvalidated(name, points)
        else:  # CSVLogger writes NA (or nothing) on epochs without validation: absent, not NaN
            kept = [(e, _number(c, source, name)) for e, c in zip(epoch_numbers, cells, strict=True)
                    if c.strip().lower() not in MISSING]
        _keep(name, kept, columns, epochs)
    if not columns:
        raise InputError(source, "CSV history holds no metric values")
    return from_columns(columns, source, "csv", epochs)


def _keep(name: str, kept: list[tuple[int, float]], columns: dict, epochs: dict) -> None:
    """Record a column's (epoch, value) points, when it has any."""
    if kept:
        epochs[name] = [e for e, _ in kept]
        columns[name] = [v for _, v in kept]


def _epoch_numbers(numbers: list[float] | None, rows: int) -> list[int]:
    """The epoch column when it holds whole numbers, else the row positions."""
    if numbers and all(math.isfinite(e) and e == int(e) for e in numbers):
        return [int(e) for e in numbers]
    return list(range(rows))


def _drop_unvalidated(name: str, points: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """A ``val_`` column that is NaN except after every k-th epoch (k >= 2) is a table of a run with
    ``validation_freq=k``: its NaN cells mark epochs without validation, not NaN losses. Anything
    else keeps its NaN cells as NaN."""
    if not name.startswith("val_"):
        return points
    present = [i for i, (_, v) in enumerate(points) if not math.isnan(v)]
    if not present or len(present) == len(points):
        return points
    freq = present[0] + 1
    if freq < 2 or present != list(range(freq - 1, len(points), freq)):
        return points
    return [points[i] for i in present]


# ---- pandas ---------------------------------------------------------------------------------


def _is_pandas(obj: Any) -> bool:
    """Whether ``obj`` comes from pandas, known without importing pandas."""
    return type(obj).__module__.split(".")[0] == "pandas"


def _from_pandas(obj: Any, name: str | None) -> HistorySpec:
    """A DataFrame as ``pd.DataFrame(history.history)`` makes it: one numeric column per metric, one
    row per epoch, numbered by an ``epoch`` column, an index named ``epoch``, or the row order."""
    kind = type(obj).__name__
    if kind != "DataFrame":
        hint = " holds one metric" if kind == "Series" else " is not a table of metrics"
        raise InputError(name or f"<pandas {kind}>", f"a pandas {kind}{hint}: give a DataFrame with one column per "
                                                      "metric, e.g. pd.DataFrame(history.history)")
    source = name or "<DataFrame>"
    from pandas.api import types as pdtypes

    if obj.columns.nlevels != 1:
        raise InputError(source, "DataFrame columns have several levels: give one column per metric")
    names = list(obj.columns)
    for column in names:
        if not isinstance(column, str):
            raise InputError(source, f"column name {column!r} is not a string")
    if len(set(names)) != len(names):
        raise InputError(source, "DataFrame has repeated column names")
    if len(obj) > MAX_EPOCHS:
        raise InputError(source, f"DataFrame has more than {MAX_EPOCHS} rows")

    def numbers(column: str, values) -> list[float]:
        dtype = values.dtype
        if pdtypes.is_bool_dtype(dtype) or not pdtypes.is_numeric_dtype(dtype):
            raise InputError(source, f"column {column!r} holds {dtype} values, not numbers")
        return [float(v) for v in values.to_numpy(dtype="float64", na_value=math.nan)]

    if "epoch" in names:
        names.remove("epoch")
        epoch_values = numbers("epoch", obj["epoch"])
    elif obj.index.name == "epoch":
        epoch_values = numbers("epoch", obj.index)
    else:
        epoch_values = None
    epoch_numbers = _epoch_numbers(epoch_values, len(obj))
    columns: dict[str, list[float]] = {}
    epochs: dict[str, list[int]] = {}
    for column in names:
        kept = _drop_unvalidated(column, list(zip(epoch_numbers, numbers(column, obj[column]), strict=True)))
        _keep(column, kept, columns, epochs)
    if not columns:
        raise InputError(source, "DataFrame holds no metric values")
    return from_columns(columns, source, "dataframe", epochs)


def _read_tensorboard(folder: Path) -> HistorySpec:
    source = str(folder)
    _tensorboard_without_tensorflow()
    try:
        from tensorboard.backend.event_processing import event_accumulator
        from tensorboard.util import tensor_util
    except ImportError:
        raise InputError(source, "reading TensorBoard logs needs the tensorboard package (pip install tensorboard)") \
            from None
    runs = _event_runs(folder)
    if not runs:
        raise InputError(source, "no TensorBoard event files (events.out.tfevents.*) found")
    columns: dict[str, list[float]] = {}
    epochs: dict[str, list[int]] = {}
    for run_dir, prefix in runs:
        acc = event_accumulator.EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "tensors": 0})
        try:
            acc.Reload()
        except Exception as exc:  # corrupt event files raise a variety of errors
            reason = f"unreadable TensorBoard events in {run_dir.name} ({type(exc).__name__})"
            raise InputError(source, reason) from None
        tags = acc.Tags()
        scalars, tensors = ([t for t in tags.get(kind, []) if t.startswith("epoch_")]
                            for kind in ("scalars", "tensors"))
        points = {tag: [(e.step, float(e.value)) for e in acc.Scalars(tag)] for tag in scalars}
        for tag in tensors:
            points.setdefault(tag, [(e.step, _scalar(tensor_util.make_ndarray(e.tensor_proto)))
                                    for e in acc.Tensors(tag)])
        for tag, values in points.items():
            name = prefix + tag[len("epoch_"):]
            values.sort()
            epochs[name] = [step for step, _ in values]
            columns[name] = [value for _, value in values]
    if not columns:
        raise InputError(source, "TensorBoard logs hold no epoch_* scalars (was the TensorBoard callback used?)")
    return from_columns(columns, source, "tensorboard", epochs)


#: Set by the command line, which owns its process: read TensorBoard logs with tensorboard's
#: TensorFlow stub (tensorboard's own no-TF switch) instead of importing TensorFlow for seconds.
#: Off in library use: the switch is process-wide and would break a later keras TensorBoard callback.
AVOID_TENSORFLOW = False


def _tensorboard_without_tensorflow() -> None:
    if AVOID_TENSORFLOW and "tensorflow" not in sys.modules and "tensorboard.compat.notf" not in sys.modules:
        sys.modules["tensorboard.compat.notf"] = types.ModuleType("tensorboard.compat.notf")


def _scalar(array) -> float:
    try:
        return float(array.reshape(-1)[0]) if array.size else math.nan
    except (TypeError, ValueError):
        return math.nan


def _event_runs(folder: Path) -> list[tuple]:
    """(run folder, metric prefix) pairs: Keras writes train/ and validation/ runs."""
    runs = []
    for run_dir in sorted({p.parent for p in folder.rglob("events.out.tfevents.*") if p.is_file()}):
        name = run_dir.name.lower()
        prefix = "val_" if name in ("validation", "val", "eval") else ""
        runs.append((run_dir, prefix))
    return runs
