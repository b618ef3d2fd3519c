"""The on-disk cache of frozen-front features, shared by ``check --data`` and ``fix`` across calls.

A frozen backbone's features on the same samples are the same every time: the first call computes
them, later calls (``check --data``, then ``fix``, then ``fix`` after an edit of the trainable head)
read them back. An entry is keyed by everything the features depend on (``frontier.front_key``: the
backend and Keras version, the front's layer configs, every weight of the front and the input
arrays' bytes), so a changed model or data never reuses a stale entry.

Where: ``$FUSIONDOCTOR_CACHE_DIR`` when set, else the platform's cache directory
(``$XDG_CACHE_HOME/fusiondoctor`` or ``~/.cache/fusiondoctor`` on Linux, ``~/Library/Caches/
fusiondoctor`` on macOS, ``%LOCALAPPDATA%/fusiondoctor/Cache`` on Windows): never inside the user's
project unless asked (``--cache-dir``). Size: at most ``$FUSIONDOCTOR_CACHE_MAX_MB`` (2048 by
default); the entries used least recently go first. Off with ``--no-cache``, ``cache=False`` or
``FUSIONDOCTOR_NO_CACHE=1``. Pure numpy and files: no Keras here.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np

#: What ``cache=`` accepts: True (the default place), False/None (off), or a directory.
CacheOption = Union[bool, str, os.PathLike, "FeatureCache", None]

DEFAULT_MAX_MB = 2048
_SUFFIX = ".npz"


def platform_cache_dir() -> Path:
    """The user's cache directory for fusiondoctor on this platform (not created here)."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "fusiondoctor" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "fusiondoctor"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fusiondoctor"


@dataclass(frozen=True)
class FeatureCache:
    """Feature arrays by key, as ``.npz`` files in ``directory``, at most ``max_bytes`` in all."""

    directory: Path
    max_bytes: int = DEFAULT_MAX_MB * 2**20

    @classmethod
    def resolve(cls, option: CacheOption = True) -> FeatureCache | None:
        """The cache ``option`` asks for: None when off (``False``/``None``, or
        ``FUSIONDOCTOR_NO_CACHE=1`` for the default), the default place for True, else a directory."""
        if isinstance(option, FeatureCache):
            return option
        if option is None or option is False:
            return None
        max_bytes = _max_bytes()
        if option is True:
            if os.environ.get("FUSIONDOCTOR_NO_CACHE", "").strip() not in ("", "0"):
                return None
            directory = os.environ.get("FUSIONDOCTOR_CACHE_DIR") or platform_cache_dir()
            return cls(Path(directory) / "features", max_bytes)
        return cls(Path(option) / "features", max_bytes)

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}{_SUFFIX}"

    def get(self, key: str, count: int) -> list[np.ndarray] | None:
        """The ``count`` arrays stored under ``key``, or None (absent, unreadable or of another form:
        such an entry is removed and the features are computed again)."""
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as stored:
                arrays = [np.array(stored[f"f{i}"]) for i in range(count)]
                extra = len(stored.files) != count
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            arrays, extra = None, True
        if arrays is None or extra:
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # used now: the last to be evicted
        return arrays

    def put(self, key: str, arrays: list[np.ndarray]) -> bool:
        """Store ``arrays`` under ``key`` (written whole or not at all), then keep the cache under its
        size cap. An entry larger than the cap is not stored. False when nothing was written."""
        size = sum(int(np.asarray(a).nbytes) for a in arrays)
        if size > self.max_bytes:
            return False
        temporary = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".part")
            with os.fdopen(handle, "wb") as out:
                np.savez(out, **{f"f{i}": np.asarray(a) for i, a in enumerate(arrays)})
            os.replace(temporary, self._path(key))
        except OSError:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
            return False
        self.evict()
        return True

    def entries(self) -> list[Path]:
        """The stored entries, least recently used first."""
        if not self.directory.is_dir():
            return []
        found = []
        for path in self.directory.glob(f"*{_SUFFIX}"):
            with contextlib.suppress(OSError):
                found.append((path.stat().st_mtime, path))
        return [p for _, p in sorted(found)]

    def size(self) -> int:
        return sum(_size(p) for p in self.entries())

    def evict(self) -> None:
        """Remove the least recently used entries until the cache fits its cap."""
        entries = self.entries()
        total = sum(_size(p) for p in entries)
        for path in entries:
            if total <= self.max_bytes:
                break
            total -= _size(path)
            with contextlib.suppress(OSError):
                path.unlink()

    def clear(self) -> int:
        """Remove every entry; the number removed."""
        removed = 0
        for path in self.entries():
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
        return removed


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _max_bytes() -> int:
    text = os.environ.get("FUSIONDOCTOR_CACHE_MAX_MB", "")
    try:
        megabytes = float(text) if text.strip() else DEFAULT_MAX_MB
    except ValueError:
        megabytes = DEFAULT_MAX_MB
    return int(max(0.0, megabytes) * 2**20)
