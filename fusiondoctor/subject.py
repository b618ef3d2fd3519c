"""Build a Subject from what the user gives: a path, a keras.Model, or a ready ModelSpec."""

from __future__ import annotations

import os
from typing import Any, Optional

from .engine import Subject
from .errors import InputError
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


def make_subject(model: Any = None, name: Optional[str] = None, **inputs: Any) -> Subject:
    spec = load_model_spec(model, name) if model is not None else None
    label = name or (str(model) if isinstance(model, (str, os.PathLike)) else spec.source if spec else "<history>")
    return Subject(label, model=spec, **inputs)
