"""Build a Subject from what the user gives: a path, a keras.Model, or a ready ModelSpec."""

from __future__ import annotations

import os
from typing import Any, Optional

from .engine import Subject
from .errors import InputError
from .history import read_history
from .model.files import read_model_file
from .model.live import is_keras_model, raw_from_live
from .model.normalize import normalize
from .model.spec import ModelSpec


def load_model_spec(obj: Any, name: Optional[str] = None) -> ModelSpec:
    """A ModelSpec from a model file path, a live keras.Model, or a ModelSpec (returned as is)."""
    if isinstance(obj, ModelSpec):
        return obj
    if isinstance(obj, (str, os.PathLike)):
        return normalize(read_model_file(obj))
    if is_keras_model(obj):
        return normalize(raw_from_live(obj, name))
    raise InputError(name or repr(obj)[:60], f"cannot check a {type(obj).__name__}; give a model file path or a keras.Model")


def make_subject(model: Any = None, name: Optional[str] = None, history: Any = None) -> Subject:
    """A Subject from a model (path or keras.Model) and/or a history (History, dict or path)."""
    if model is None and history is None:
        raise InputError("<nothing>", "give a model, a history, or both")
    spec = load_model_spec(model, name) if model is not None else None
    hist = read_history(history) if history is not None else None
    if name:
        label = name
    elif spec is not None:
        label = str(model) if isinstance(model, (str, os.PathLike)) else spec.source
    else:
        label = hist.source
    return Subject(label, model=spec, history=hist)
