"""A live ``keras.Model`` as a RawModel, through the same normalizer as saved files.

Keras is imported only here, and only when a live model is given.
"""

from __future__ import annotations

from typing import Any, Optional

from ..errors import InputError
from .files import RawModel


def is_keras_model(obj: Any) -> bool:
    """True for a Keras 3 model object, checked without importing Keras."""
    for cls in type(obj).__mro__:
        module = cls.__module__ or ""
        if cls.__name__ in ("Model", "Functional", "Sequential") and module.startswith(("keras.", "keras")):
            return True
    return False


def raw_from_live(model: Any, source: Optional[str] = None) -> RawModel:
    import keras  # lazy: only live models need Keras

    if not isinstance(model, keras.Model):
        raise InputError(source or "<object>", f"expected a keras.Model, got {type(model).__name__}")
    name = source or f"<keras.Model {model.name}>"
    class_name = type(model).__name__ if type(model).__name__ in ("Functional", "Sequential") else _class_of(model)
    try:
        config = model.get_config()
    except Exception as exc:  # a custom layer without get_config
        raise InputError(name, f"cannot read the model config ({type(exc).__name__}: {str(exc)[:120]})") from None
    compile_config = _compile_config(model, keras)
    return RawModel(
        config={"class_name": class_name, "config": config, "module": "keras"},
        compile=compile_config,
        keras_version=keras.__version__,
        backend=keras.backend.backend(),
        source=name,
        format="live",
    )


def _compile_config(model: Any, keras) -> Optional[dict]:
    if not getattr(model, "compiled", False):
        return None
    try:
        config = dict(model.get_compile_config() or {})
    except Exception:  # custom loss objects that do not serialize
        return None
    if config and "optimizer" not in config and getattr(model, "optimizer", None) is not None:
        # Keras 3 deletes the optimizer from the live compile config when the model is saved as .h5
        config["optimizer"] = keras.optimizers.serialize(model.optimizer)
    return config or None


def _class_of(model: Any) -> str:
    import keras

    if isinstance(model, keras.Sequential):
        return "Sequential"
    return "Functional" if hasattr(model, "_operations") and hasattr(model, "_inputs_struct") else type(model).__name__
