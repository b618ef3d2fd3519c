"""What fusiondoctor needs to know about a live ``keras.Model``, in one place.

Its compile settings as a config that rebuilds (the optimizer included), whether it is a Sequential
or a Functional model, a layer by its path through nested models, and the first samples of its data.
Keras is imported inside the functions that need it.
"""

from __future__ import annotations

from typing import Any


def compile_config(model: Any) -> dict | None:
    """``model.get_compile_config()`` with the optimizer serialized, or None for a model that is not
    compiled or whose compile settings (custom loss objects) do not serialize."""
    import keras

    if not getattr(model, "compiled", False):
        return None
    try:
        config = dict(model.get_compile_config() or {})
    except Exception:  # custom loss objects that do not serialize
        return None
    if config and "optimizer" not in config and getattr(model, "optimizer", None) is not None:
        # Keras 3 leaves the optimizer out of the live compile config when the model was saved as .h5
        config["optimizer"] = keras.optimizers.serialize(model.optimizer)
    return config or None


def model_class(model: Any) -> str:
    """"Sequential", "Functional", or the class name of a subclassed model."""
    import keras

    if isinstance(model, keras.Sequential):
        return "Sequential"
    if type(model).__name__ == "Functional" or hasattr(model, "_operations") and hasattr(model, "_inputs_struct"):
        return "Functional"
    return type(model).__name__


def model_from_config(config: dict, class_name: str):
    """A new model from a config of the given class (Keras consumes the dict: pass a copy)."""
    import keras

    return (keras.Sequential if class_name == "Sequential" else keras.Model).from_config(config)


def layer_at(model: Any, path: str):
    """The live layer at a ModelSpec layer path (``outer/inner`` for layers of nested models)."""
    layer = model
    for part in path.split("/"):
        layer = layer.get_layer(part)
    return layer


def first_samples(data: Any, count: int) -> Any:
    """The first ``count`` samples of an array, or of each array in a list, tuple or dict of them."""
    import numpy as np

    if isinstance(data, dict):
        return {k: first_samples(v, count) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(first_samples(v, count) for v in data)
    return np.asarray(data)[:count]
