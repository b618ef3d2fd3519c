"""Load a saved model with Keras for probing, safely: Keras safe mode (no lambda deserialization),
Lambda layers refused unless the caller opts in, and Keras 2 files through the sanitizer."""

from __future__ import annotations

import json
import os
from typing import Any

from ..errors import InputError
from ..live.quiet import import_keras
from ..model.files import read_model_file
from .sanitize import drop_kwargs, sanitize_keras2_config, unrecognized_kwargs

_MAX_RETRIES = 8


def _has_lambda(config: Any) -> bool:
    if isinstance(config, dict):
        return config.get("class_name") == "Lambda" or any(_has_lambda(v) for v in config.values())
    if isinstance(config, list):
        return any(_has_lambda(v) for v in config)
    return False


def load_for_probing(path: os.PathLike, unsafe: bool = False):
    """A live keras.Model from a model file. Never executes code from the file unless ``unsafe``."""
    raw = read_model_file(path)
    source = str(path)
    if _has_lambda(raw.config) and not unsafe:
        raise InputError(source, "the model has Lambda layers, whose code would run on loading; "
                                 "pass --unsafe-load (unsafe=True) only for files you trust")
    major = raw.keras_version.split(".")[0] if raw.keras_version else None
    try:
        keras = import_keras()
        if raw.format == "h5" and major == "2":
            return _load_keras2_h5(source, raw.config, raw.compile, unsafe)
        try:
            return keras.saving.load_model(source, compile=True, safe_mode=not unsafe)
        except (TypeError, ValueError, KeyError):  # compile settings Keras cannot restore: probe uncompiled
            return keras.saving.load_model(source, compile=False, safe_mode=not unsafe)
    except InputError:
        raise
    except Exception as exc:  # Keras raises many types for files it cannot rebuild
        raise InputError(
            source, f"Keras cannot rebuild the model for probing ({type(exc).__name__}: {str(exc)[:160]})"
        ) from None


def _load_keras2_h5(source: str, config: dict, training_config, unsafe: bool):
    import h5py
    from keras.src.legacy.saving import legacy_h5_format, saving_options, saving_utils
    from keras.src.saving import serialization_lib

    clean = sanitize_keras2_config(config)
    for _ in range(_MAX_RETRIES):
        try:
            with saving_options.keras_option_scope(use_legacy_config=True), serialization_lib.SafeModeScope(not unsafe):
                model = saving_utils.model_from_config(json.loads(json.dumps(clean)))
            break
        except (TypeError, ValueError) as exc:
            class_name, names = unrecognized_kwargs(str(exc))
            if not class_name or not drop_kwargs(clean, class_name, names):
                raise
    else:
        raise InputError(source, "Keras 3 keeps refusing the layer arguments of this Keras 2 file")
    with h5py.File(source, "r") as handle:
        legacy_h5_format.load_weights_from_hdf5_group(handle["model_weights"], model)
    if training_config:
        try:  # Keras 2 compile settings, translated by Keras' own legacy helper
            model.compile(**saving_utils.compile_args_from_training_config(training_config))
        except Exception:  # a loss or optimizer Keras 3 cannot rebuild: the model stays uncompiled
            pass
    return model
