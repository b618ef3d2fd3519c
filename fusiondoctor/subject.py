"""Build a Subject from what the user gives: a path, a keras.Model, or a ready ModelSpec."""

from __future__ import annotations

import os
from typing import Any, Optional

from .engine import Subject
from .errors import InputError
from .history import read_history
from .limits import DEFAULT_LIMITS, Limits
from .model.files import read_model_file
from .model.live import is_keras_model, raw_from_live
from .model.normalize import normalize
from .model.spec import ModelSpec


def load_model_spec(obj: Any, name: Optional[str] = None, limits: Limits = DEFAULT_LIMITS) -> ModelSpec:
    """A ModelSpec from a model file path, a live keras.Model, or a ModelSpec (returned as is)."""
    if isinstance(obj, ModelSpec):
        return obj
    if isinstance(obj, (str, os.PathLike)):
        return normalize(read_model_file(obj, limits), limits)
    if is_keras_model(obj):
        return normalize(raw_from_live(obj, name), limits)
    raise InputError(name or repr(obj)[:60], f"cannot check a {type(obj).__name__}; give a model file path or a keras.Model")


def make_probes(model: Any, spec: ModelSpec, data: Any, unsafe: bool = False, max_samples: Optional[int] = None):
    """Probes for ``data`` on the live model: ``model`` itself, or the file loaded safely with Keras."""
    from .probes.data import DEFAULT_MAX_SAMPLES, make_probe_data
    from .probes.loading import load_for_probing
    from .probes.probes import Probes

    live = load_for_probing(model, unsafe) if isinstance(model, (str, os.PathLike)) else private_copy(model)
    return Probes(live, spec, make_probe_data(data, spec, max_samples or DEFAULT_MAX_SAMPLES))


def private_copy(model: Any):
    """A copy of the user's model (same weights) for probes to build sub-models on: Keras records
    every sub-model as new graph nodes on the layers, which must not change the user's model."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def make_subject(model: Any = None, name: Optional[str] = None, history: Any = None,
                 limits: Limits = DEFAULT_LIMITS, data: Any = None, unsafe: bool = False,
                 max_samples: Optional[int] = None) -> Subject:
    """A Subject from a model (path or keras.Model), a history (History, dict or path) and data
    to probe the model with."""
    if model is None and history is None:
        raise InputError("<nothing>", "give a model, a history, or both")
    if data is not None and model is None:
        raise InputError(str(data), "probing data needs a model to run it through")
    spec = load_model_spec(model, name, limits) if model is not None else None
    hist = read_history(history, limits=limits) if history is not None else None
    probes = make_probes(model, spec, data, unsafe, max_samples) if data is not None else None
    if name:
        label = name
    elif spec is not None:
        label = str(model) if isinstance(model, (str, os.PathLike)) else spec.source
    else:
        label = hist.source
    return Subject(label, model=spec, history=hist, probes=probes)
