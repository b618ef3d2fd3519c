"""Read a training history from an MLflow run (``mlflow:RUN_ID``) through MLflow's own client.

The run is found the way MLflow finds it: ``mlflow.set_tracking_uri``, else ``MLFLOW_TRACKING_URI``,
else MLflow's default store. Keras autologging logs each epoch's metrics with ``step=epoch``; a metric
logged without steps is read in the order it was logged. MLflow is imported only here, when a run is
read (``pip install 'fusiondoctor[mlflow]'``).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from ..errors import InputError
from .spec import HistorySpec, from_columns

PREFIX = "mlflow:"

#: How long a read may wait on an unreachable tracking server (MLflow's own defaults retry for minutes).
#: Set only where the user has not set these MLflow variables, and only while a run is read.
HTTP_DEFAULTS = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
                 "MLFLOW_HTTP_REQUEST_TIMEOUT": "30"}

#: Autologging's ``on_test_end`` logs ``validation_<metric>`` without a step after every evaluation:
#: a copy of the per-epoch ``val_<metric>``.
AUTOLOG_VALIDATION = "validation_"


def is_run_reference(text: str) -> bool:
    return text.startswith(PREFIX)


def read_run(reference: str) -> HistorySpec:
    """The metric history of the run ``mlflow:RUN_ID``, one series per metric, steps as epochs."""
    run_id = reference[len(PREFIX):].strip()
    if not run_id:
        raise InputError(reference, "give the run's id: mlflow:RUN_ID")
    try:
        import mlflow
        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise InputError(reference, "reading MLflow runs needs MLflow: pip install 'fusiondoctor[mlflow]'") from None
    uri = mlflow.get_tracking_uri()
    _refuse_missing_local_store(reference, uri)
    with _bounded_http_waits(), _quiet_mlflow_logs():
        try:
            client = MlflowClient(uri)
            run = client.get_run(run_id)
            points = {key: client.get_metric_history(run_id, key) for key in run.data.metrics}
        except MlflowException as exc:
            if getattr(exc, "error_code", "") == "RESOURCE_DOES_NOT_EXIST":
                raise InputError(reference, f"no run {run_id!r} in the MLflow store {uri}") from None
            raise InputError(reference, f"cannot read the MLflow store {uri}: {_first_line(exc)}") from None
        except Exception as exc:  # a database or network error below MLflow's client
            reason = f"{type(exc).__name__}: {_first_line(exc)}"
            raise InputError(reference, f"cannot read the MLflow store {uri} ({reason})") from None
    logged = {key: [(m.step, m.timestamp, m.value) for m in history] for key, history in points.items()}
    return run_history(reference, logged, run.data.params)


def run_history(source: str, metrics: dict[str, Sequence[tuple[int, int, float]]],
                params: dict[str, str] | None = None) -> HistorySpec:
    """A HistorySpec from metric -> (step, timestamp, value) points, as MLflow's client returns them."""
    metrics = {key: points for key, points in metrics.items() if points and not key.startswith("system/")}
    for key in [k for k in metrics if k.startswith(AUTOLOG_VALIDATION)]:
        points = metrics.pop(key)
        renamed = "val_" + key[len(AUTOLOG_VALIDATION):]
        metrics.setdefault(renamed, points)  # the per-epoch val_ series wins over autolog's copy
    epochs_run = _int(params.get("epochs")) if params else None
    columns: dict[str, list[float]] = {}
    epochs: dict[str, list[int]] = {}
    for key, points in metrics.items():
        steps, values = _series(points)
        if steps is not None and epochs_run is not None and max(steps) >= epochs_run:
            raise InputError(source, f"metric {key!r} was logged per training step (step {max(steps)} in a "
                                     f"{epochs_run}-epoch fit), not per epoch: log per epoch (autolog's default, "
                                     "log_every_epoch=True)")
        columns[key] = values
        if steps is not None:
            epochs[key] = steps
    if not columns:
        raise InputError(source, "the run holds no metrics")
    return from_columns(columns, source, "mlflow", epochs)


def _series(points: Sequence[tuple[int, int, float]]) -> tuple[list[int] | None, list[float]]:
    """(epochs, values) of one metric: its steps as epochs (the last value logged at a step wins), or,
    when every point has the same step (logged without one), None and the values in logged order."""
    ordered = sorted(points, key=lambda p: p[1])  # by timestamp; sorted() keeps the store's order on ties
    if len({step for step, _, _ in ordered}) == 1 and len(ordered) > 1:
        return None, [float(value) for _, _, value in ordered]
    last = {int(step): float(value) for step, _, value in ordered}
    steps = sorted(last)
    return steps, [last[s] for s in steps]


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _local_store(uri: str) -> Path | None:
    """The file or folder of a local store (``sqlite:///``, ``file:``, a plain path); None for servers."""
    if uri.startswith("sqlite:///"):
        path = uri[len("sqlite:///"):].split("?", 1)[0]
        return None if path in ("", ":memory:") else Path(unquote(path))
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme == "" or (len(parsed.scheme) == 1 and os.name == "nt"):  # a path (or a Windows drive)
        return Path(uri)
    return None


def _refuse_missing_local_store(reference: str, uri: str) -> None:
    """A local store that does not exist: MLflow would create an empty one (a file in the working folder)."""
    path = _local_store(uri)
    if path is not None and not path.exists():
        raise InputError(reference, f"no MLflow store at {path} (tracking URI {uri}): set MLFLOW_TRACKING_URI "
                                    "or call mlflow.set_tracking_uri")


@contextlib.contextmanager
def _bounded_http_waits() -> Iterator[None]:
    added = [name for name in HTTP_DEFAULTS if name not in os.environ]
    os.environ.update({name: HTTP_DEFAULTS[name] for name in added})
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


@contextlib.contextmanager
def _quiet_mlflow_logs() -> Iterator[None]:
    """MLflow and alembic log INFO lines on stderr when they open a store; the CLI's stderr is for errors."""
    loggers: list[Any] = [logging.getLogger(name) for name in ("mlflow", "alembic")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
