"""Errors that end a command with exit code 2 and a one-line message."""


class FusionDoctorError(Exception):
    """Base class: anything fusiondoctor reports as a usage or input error (exit code 2)."""


class InputError(FusionDoctorError):
    """An input file or object that cannot be read as what it claims to be."""

    def __init__(self, source: str, reason: str):
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class ConfigError(FusionDoctorError):
    """Bad settings: an unknown rule selector, option or severity."""
