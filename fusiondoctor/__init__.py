"""fusiondoctor: find out why a Keras (fusion) model fails to train, with evidence and a fix.

Importing this package loads no TensorFlow, Keras or matplotlib.
"""

from .api import check
from .config import Settings, load_settings
from .engine import Subject, diagnose
from .errors import ConfigError, FusionDoctorError, InputError
from .registry import all_rules
from .subject import load_model_spec
from .types import Finding, Fix, Location, PatchOp, Report, Severity, Symptom

__version__ = "0.1.0"

__all__ = [
    "ConfigError", "Finding", "Fix", "FusionDoctorError", "InputError", "Location", "PatchOp", "Report",
    "Settings", "Severity", "Subject", "Symptom", "__version__", "all_rules", "check", "diagnose",
    "load_model_spec", "load_settings",
]
