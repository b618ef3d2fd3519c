"""fusiondoctor: find out why a Keras (fusion) model fails to train, with evidence and a fix.

Data flows one way: a model file or keras.Model becomes a ``ModelSpec`` (``model/``), a history a
``HistorySpec`` (``history/``), data a frozen record of ``measurements`` (``probes/``, taken for the
selected rules only); the engine runs the rules (``rules/``) on that subject into a ``Report``;
renderers (``render/``) turn it into text. Fix trials (``trials/``) apply a finding's patch and retrain.

Importing this package loads no TensorFlow, Keras or matplotlib, and only the small type modules:
the rest loads on first use, so the pytest plugin costs nothing in unrelated test suites.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import ConfigError, FusionDoctorError, InputError
from .types import Finding, Fix, Location, PatchOp, Report, Severity, Symptom

__version__ = "0.1.0"

_LAZY = {
    "check": "api",
    "Settings": "config",
    "load_settings": "config",
    "Subject": "engine",
    "diagnose": "engine",
    "all_rules": "registry",
    "load_model_spec": "subject",
    "read_history": "history",
    "confirm": "trials.confirm",
    "DoctorCallback": "keras_callback",
}

__all__ = [
    "ConfigError", "Finding", "Fix", "FusionDoctorError", "InputError", "Location", "PatchOp", "Report",
    "Severity", "Symptom", "__version__", *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fusiondoctor' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
