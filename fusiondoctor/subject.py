"""Build a Subject from what the user gives: a model (path, keras.Model or ModelSpec), a history,
and data, measured here (before the engine runs) for the measurements the selected rules read."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .engine import Subject
from .errors import InputError
from .history import read_history
from .limits import DEFAULT_LIMITS, Limits
from .measurements import MEASUREMENTS, Measurements
from .model.files import read_model_file
from .model.live import is_keras_model, raw_from_live
from .model.normalize import normalize
from .model.spec import ModelSpec

if TYPE_CHECKING:  # the static path imports no numpy-backed cache module
    from .probes.feature_cache import CacheOption


def load_model_spec(obj: Any, name: str | None = None, limits: Limits = DEFAULT_LIMITS) -> ModelSpec:
    """A ModelSpec from a model file path, a live keras.Model, or a ModelSpec (returned as is)."""
    if isinstance(obj, ModelSpec):
        return obj
    if isinstance(obj, (str, os.PathLike)):
        return normalize(read_model_file(obj, limits), limits)
    if is_keras_model(obj):
        return normalize(raw_from_live(obj, name), limits)
    raise InputError(
        name or repr(obj)[:60], f"cannot check a {type(obj).__name__}; give a model file path or a keras.Model"
    )


def live_model(model: Any, unsafe: bool = False):
    """A live model to probe or trial: the file loaded safely with Keras, or a private copy of the
    user's keras.Model (same weights), so probes can add sub-models without changing the user's."""
    if isinstance(model, (str, os.PathLike)):
        from .probes.loading import load_for_probing

        return load_for_probing(model, unsafe)
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def make_probes(model: Any, spec: ModelSpec, data: Any, unsafe: bool = False, max_samples: int | None = None,
                cache: CacheOption = True):
    """The live probes of ``data`` on ``model`` (loads Keras); ``cache``: where frozen-backbone
    features are kept across calls (``probes.feature_cache.FeatureCache.resolve``)."""
    from .probes.data import DEFAULT_MAX_SAMPLES, make_probe_data
    from .probes.feature_cache import FeatureCache
    from .probes.probes import Probes

    return Probes(live_model(model, unsafe), spec, make_probe_data(data, spec, max_samples or DEFAULT_MAX_SAMPLES),
                  cache=FeatureCache.resolve(cache))


def measure_data(model: Any, spec: ModelSpec, data: Any, measures: Iterable[str], unsafe: bool = False,
                 max_samples: int | None = None, cache: CacheOption = True) -> Measurements:
    """The recorded measurements of ``data`` on ``model``, only those named in ``measures``."""
    from .probes.measure import measure

    return measure(make_probes(model, spec, data, unsafe, max_samples, cache), measures)


def make_subject(model: Any = None, name: str | None = None, history: Any = None,
                 limits: Limits = DEFAULT_LIMITS, data: Any = None, unsafe: bool = False,
                 max_samples: int | None = None, measures: Iterable[str] = tuple(MEASUREMENTS),
                 cache: CacheOption = True) -> Subject:
    """A Subject from a model (path or keras.Model), a history (History, dict or path) and data,
    on which the measurements named in ``measures`` are taken (by default all of them)."""
    if model is None and history is None:
        raise InputError("<nothing>", "give a model, a history, or both")
    if data is not None and model is None:
        raise InputError(str(data), "probing data needs a model to run it through")
    spec = load_model_spec(model, name, limits) if model is not None else None
    hist = read_history(history, limits=limits) if history is not None else None
    measurements = measure_data(model, spec, data, measures, unsafe, max_samples, cache) if data is not None else None
    if name:
        label = name
    elif spec is not None:
        label = str(model) if isinstance(model, (str, os.PathLike)) else spec.source
    else:
        label = hist.source
    return Subject(label, model=spec, history=hist, measurements=measurements)


def needed_measurements(rules: Iterable) -> tuple:
    """The measurements the given rules read, in catalogue order."""
    wanted = {name for rule in rules for name in rule.measures}
    return tuple(name for name in MEASUREMENTS if name in wanted)
