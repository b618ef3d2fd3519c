"""The Python entry points: ``fusiondoctor.check`` and friends."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .config import Settings, resolve
from .engine import diagnose
from .subject import make_subject, needed_measurements
from .types import Report

if TYPE_CHECKING:  # the static path imports no numpy-backed cache module
    from .probes.feature_cache import CacheOption


def check(
    model: Any = None,
    *,
    history: Any = None,
    data: Any = None,
    unsafe: bool = False,
    max_samples: int | None = None,
    settings: Settings | None = None,
    select: Iterable[str] | None = None,
    extend_select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    fail_on: str | None = None,
    name: str | None = None,
    cache: CacheOption = True,
) -> Report:
    """Diagnose a model (a ``.keras``/``.h5``/``.json`` path or a live ``keras.Model``) and/or its
    training history (a ``keras.callbacks.History``, its ``.history`` dict, a pandas DataFrame, a
    JSON, CSVLogger or ``df.to_csv()`` CSV or TensorBoard log path, or ``"mlflow:RUN_ID"``), probing it
    with ``data`` when given: an ``.npz`` path (one array
    per input, named after the input layer, plus ``y``), ``(x, y)`` arrays or dicts of arrays, or a
    ``tf.data.Dataset`` / Keras ``PyDataset`` of batches as ``fit`` takes them (read up to
    ``max_samples`` samples, 512 by default). Files are loaded for probing in Keras safe mode;
    ``unsafe=True`` allows Lambda layers.
    A frozen backbone's features on the data are kept across calls in the platform cache directory
    (``cache=False`` for none, or a directory; see ``fusiondoctor.probes.feature_cache``).

    Settings come from ``settings`` or the nearest ``[tool.fusiondoctor]`` table; the keyword
    arguments override them the way the command-line flags do.
    """
    active = resolve(settings, select=select, extend_select=extend_select, ignore=ignore, fail_on=fail_on)
    subject = make_subject(model, name, history=history, limits=active.limits, data=data, unsafe=unsafe,
                           max_samples=max_samples, measures=needed_measurements(active.rules()), cache=cache)
    return diagnose(subject, active)
