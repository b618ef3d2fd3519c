"""A live ``keras.Model`` (or a config taken from one) as a RawModel, through the same normalizer
as saved files. Keras is imported only when a live model is given."""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from .files import RawModel


def is_keras_model(obj: Any) -> bool:
    """True for a Keras 3 model object, checked without importing Keras."""
    for cls in type(obj).__mro__:
        module = cls.__module__ or ""
        if cls.__name__ in ("Model", "Functional", "Sequential") and module.startswith(("keras.", "keras")):
            return True
    return False


def raw_from_config(config: dict, compile_config: dict | None, class_name: str, source: str,
                    keras_version: str | None = "3", backend: str | None = None) -> RawModel:
    """A RawModel from a Keras 3 ``get_config()`` / ``get_compile_config()`` pair."""
    return RawModel({"class_name": class_name, "config": config, "module": "keras"}, compile_config, keras_version,
                    backend, source, "live")


def raw_from_live(model: Any, source: str | None = None) -> RawModel:
    import keras  # lazy: only live models need Keras

    from ..live.keras_model import compile_config, model_class

    if not isinstance(model, keras.Model):
        raise InputError(source or "<object>", f"expected a keras.Model, got {type(model).__name__}")
    name = source or f"<keras.Model {model.name}>"
    try:
        config = model.get_config()
    except Exception as exc:  # a custom layer without get_config
        raise InputError(name, f"cannot read the model config ({type(exc).__name__}: {str(exc)[:120]})") from None
    return raw_from_config(config, compile_config(model), model_class(model), name, keras.__version__,
                           keras.backend.backend())
