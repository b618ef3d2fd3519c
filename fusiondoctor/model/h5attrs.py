"""Read the root attributes of an HDF5 model file, isolated from crashes in the HDF5 library.

A single corrupted byte in an attribute's datatype can make HDF5 crash the whole process
(a segmentation fault inside h5py). Where ``fork`` exists the attributes are read in a forked
child, which costs milliseconds because h5py is already loaded; a crash or a hang of the child
becomes a one-line error instead of taking fusiondoctor down.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from ..errors import InputError

NAMES = ("model_config", "training_config", "keras_version", "backend")
#: Reading the attributes of a valid file takes milliseconds; the guard allows this much at least ...
MIN_TIMEOUT_SECONDS = 3.0
#: ... plus a second per this many bytes of file (HDF5 may walk its metadata) ...
BYTES_PER_SECOND = 100 * 2**20
#: ... and never more than this (the fuzz suite's hang limit is above it).
MAX_TIMEOUT_SECONDS = 15.0


def attribute_timeout(size: int) -> float:
    """Seconds a valid HDF5 file of ``size`` bytes may take to give its root attributes: a few
    seconds for a small file (a byte-mutated one can make HDF5 loop forever)."""
    return min(MAX_TIMEOUT_SECONDS, MIN_TIMEOUT_SECONDS + max(size, 0) / BYTES_PER_SECOND)


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _read(path: Path) -> dict[str, object]:
    import h5py

    with h5py.File(path, "r") as handle:
        attrs = handle.attrs
        values: dict[str, object] = {name: _text(attrs.get(name)) for name in NAMES}
        values["has_weights"] = "model_weights" in handle or "layer_names" in attrs
    return values


def _describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


def read_root_attributes(path: Path, source: str) -> dict[str, object]:
    """The model attributes of an HDF5 file; InputError for anything unreadable, crash included."""
    import h5py  # noqa: F401  (loaded before forking, so the child starts warm)

    if not hasattr(os, "fork"):
        return _guarded(path, source)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: read, send JSON, leave without running the parent's cleanup
        os.close(read_end)
        try:
            payload = json.dumps({"ok": _guarded(path, source)})
        except InputError as exc:
            payload = json.dumps({"error": exc.reason})
        except BaseException as exc:  # noqa: BLE001 - report anything to the parent
            payload = json.dumps({"error": f"not a readable HDF5 file ({_describe(exc)})"})
        with os.fdopen(write_end, "w", encoding="utf-8", errors="surrogateescape") as pipe:
            pipe.write(payload)
        os._exit(0)
    os.close(write_end)
    try:
        size = os.path.getsize(path)
    except OSError:
        size = 0
    return _collect(pid, read_end, source, attribute_timeout(size))


def _collect(pid: int, read_end: int, source: str, timeout: float) -> dict[str, object]:
    previous = signal.signal(signal.SIGALRM, _timeout) if hasattr(signal, "SIGALRM") else None
    if previous is not None:
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with os.fdopen(read_end, "r", encoding="utf-8", errors="surrogateescape") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
    except TimeoutError:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise InputError(source, f"reading the HDF5 attributes took more than {timeout:.0f} s (a damaged file "
                                 "makes the HDF5 library loop)") from None
    finally:
        if previous is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    if os.WIFSIGNALED(status) or not data:
        raise InputError(source, "corrupt HDF5 file: the HDF5 library crashed reading its attributes")
    message = json.loads(data)
    if "error" in message:
        raise InputError(source, message["error"])
    return message["ok"]


def _timeout(signum, frame):
    raise TimeoutError


def _guarded(path: Path, source: str) -> dict[str, object]:
    try:
        return _read(path)
    except (OSError, ValueError, KeyError, RuntimeError, TypeError, UnicodeError) as exc:
        raise InputError(source, f"not a readable HDF5 file ({_describe(exc)})") from None
