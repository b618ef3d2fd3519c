"""Input limits: how much fusiondoctor reads before refusing, each with an option to raise it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Bounds on what a check reads, so hostile or corrupt inputs cannot exhaust memory or time."""

    #: Largest model config or history file parsed, in megabytes (weights are never read).
    max_file_mb: float = 64.0
    #: Most layer calls in a model, nested models expanded.
    max_layers: int = 100_000
    #: Deepest nesting of models inside models.
    max_depth: int = 32

    @property
    def max_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    def too_big(self, what: str, size: int) -> str:
        return f"{what} is {size:,} bytes, over the {self.max_file_mb:g} MB limit (raise it with --max-file-mb)"

    def read(self, path, source: str, what: str) -> bytes:
        """A whole file, refused beyond the limit: by its size first, then by what it really holds
        (a device or a growing file can claim any size)."""
        from .errors import InputError

        size = path.stat().st_size
        if size > self.max_bytes:
            raise InputError(source, self.too_big(what, size))
        with open(path, "rb") as handle:
            data = handle.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:
            raise InputError(source, self.too_big(what, len(data)))
        return data


DEFAULT_LIMITS = Limits()
