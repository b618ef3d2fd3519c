"""Read saved Keras model files without Keras: ``.keras`` zips, ``.h5`` files and bare config JSON.

Only the model config, the compile/training config and version metadata are read; weights stay on
disk (a static check of an 85 MB file reads a few kilobytes). Files are opened read-only.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..limits import DEFAULT_LIMITS, Limits

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_ZIP_SIGNATURE = b"PK\x03\x04"


@dataclass
class RawModel:
    """The dictionaries a saved model holds, before normalization."""

    config: dict[str, Any]  # {"class_name": ..., "config": {...}, ...}
    compile: dict[str, Any] | None  # Keras 3 compile_config or Keras 2 training_config
    keras_version: str | None
    backend: str | None
    source: str
    format: str  # "keras", "h5", "json", "live"
    weights_file: str | None = None


def read_model_file(path: os.PathLike, limits: Limits = DEFAULT_LIMITS) -> RawModel:
    """Read a model file by content (not by suffix); raises InputError with a one-line reason."""
    source = str(path)
    p = Path(path)
    if not p.exists():
        raise InputError(source, "no such file")
    if p.is_dir():
        if (p / "saved_model.pb").exists():
            raise InputError(source, "TensorFlow SavedModel directories are not supported; save as .keras or .h5")
        raise InputError(source, "is a directory, not a model file")
    if not p.is_file():
        raise InputError(source, "not a regular file (a pipe or a device); give a model file")
    try:
        with open(p, "rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise InputError(source, f"cannot read: {exc.strerror or exc}") from None
    if head.startswith(_ZIP_SIGNATURE):
        return _read_keras_zip(p, source, limits)
    if head == _HDF5_SIGNATURE or p.suffix.lower() in (".h5", ".hdf5"):
        return _read_h5(p, source, limits)
    return _read_json_file(p, source, limits)


def _parse_json(data: bytes, source: str, what: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, too many digits
        raise InputError(source, f"{what} is not valid JSON ({type(exc).__name__})") from None


def _read_keras_zip(p: Path, source: str, limits: Limits) -> RawModel:
    try:
        with zipfile.ZipFile(p) as archive:
            names = set(archive.namelist())
            if "config.json" not in names:
                raise InputError(source, "zip archive without config.json: not a .keras model")
            info = archive.getinfo("config.json")
            if info.file_size > limits.max_bytes:
                raise InputError(source, limits.too_big("config.json", info.file_size))
            config = _parse_json(_read_member(archive, "config.json", source, limits), source, "config.json")
            metadata: dict[str, Any] = {}
            if "metadata.json" in names and archive.getinfo("metadata.json").file_size < 1 << 20:
                metadata = (
                    _parse_json(_read_member(archive, "metadata.json", source, limits), source, "metadata.json") or {}
                )
    except zipfile.BadZipFile as exc:
        raise InputError(source, f"corrupt or truncated .keras archive ({exc})") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(source, f"corrupt or truncated .keras archive ({type(exc).__name__})") from None
    except RuntimeError as exc:  # an encrypted member
        raise InputError(source, f"unreadable .keras archive ({_short(exc)})") from None
    except NotImplementedError:
        raise InputError(source, "the .keras archive uses a compression method Python cannot read") from None
    if not isinstance(config, dict):
        raise InputError(source, "config.json does not hold a model config")
    compile_config = config.get("compile_config") if isinstance(config.get("compile_config"), dict) else None
    return RawModel(
        config=config,
        compile=compile_config or None,
        keras_version=_str_or_none(metadata.get("keras_version") if isinstance(metadata, dict) else None),
        backend=None,
        source=source,
        format="keras",
        weights_file="model.weights.h5" if "model.weights.h5" in names else None,
    )


def _read_member(archive: zipfile.ZipFile, name: str, source: str, limits: Limits) -> bytes:
    """Read one member, stopping at the limit whatever its header claims (zip bombs lie)."""
    with archive.open(name) as member:
        data = member.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise InputError(source, limits.too_big(f"{name} (uncompressed)", len(data)))
    return data


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _read_h5(p: Path, source: str, limits: Limits) -> RawModel:
    from .h5attrs import read_root_attributes

    attrs = read_root_attributes(p, source)
    model_config, training_config = attrs.get("model_config"), attrs.get("training_config")
    if not model_config:
        what = (
            "a weights-only HDF5 file (saved with save_weights)"
            if attrs.get("has_weights")
            else "an HDF5 file without a model"
        )
        raise InputError(source, f"{what}: no model config to check; save the whole model with model.save()")
    if len(model_config) > limits.max_bytes:
        raise InputError(source, limits.too_big("the model config", len(model_config)))
    config = _parse_json(model_config.encode("utf-8", "surrogateescape"), source, "model_config")
    compile_config = (_parse_json(training_config.encode("utf-8", "surrogateescape"), source, "training_config")
                      if training_config else None)
    if not isinstance(config, dict):
        raise InputError(source, "model_config does not hold a model config")
    return RawModel(config, compile_config if isinstance(compile_config, dict) else None,
                    _str_or_none(attrs.get("keras_version")), _str_or_none(attrs.get("backend")),
                    source, "h5", weights_file=source if attrs.get("has_weights") else None)


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


def _read_json_file(p: Path, source: str, limits: Limits) -> RawModel:
    data = limits.read(p, source, "the file")
    if not data.strip():
        raise InputError(source, "empty file")
    if data.lstrip()[:1] not in (b"{",):
        raise InputError(source, "not a Keras model: expected a .keras zip, an HDF5 .h5 file or a JSON model config")
    config = _parse_json(data, source, "file")
    if not isinstance(config, dict):
        raise InputError(source, "JSON file does not hold a model config")
    compile_config = config.get("compile_config") or config.get("training_config")
    return RawModel(
        config=config,
        compile=compile_config if isinstance(compile_config, dict) and compile_config else None,
        keras_version=_str_or_none(config.get("keras_version")),
        backend=_str_or_none(config.get("backend")),
        source=source,
        format="json",
    )
