"""Names of Keras operations that appear as graph nodes when ``keras.ops`` run on symbolic tensors
(``Embedding(mask_zero=True)`` adds a ``NotEqual`` node). Keras 3 ``.h5`` configs record no module
for them, so they are recognized by name from a frozen list; ``generate()`` rebuilds it from Keras
and a test checks the two agree."""

from __future__ import annotations

import functools
import json
from pathlib import Path

TABLE_PATH = Path(__file__).with_name("keras_ops.json")


@functools.lru_cache(maxsize=1)
def op_names() -> frozenset[str]:
    with open(TABLE_PATH, encoding="utf-8") as handle:
        return frozenset(json.load(handle))


def generate() -> list[str]:  # pragma: no cover - exercised by the freshness test
    import importlib
    import inspect
    import pkgutil

    import keras.src.ops as ops_package
    from keras.src.layers.layer import Layer
    from keras.src.ops.operation import Operation

    names = set()
    for info in pkgutil.iter_modules(ops_package.__path__):
        if info.name.endswith("_test"):
            continue
        module = importlib.import_module(f"keras.src.ops.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Operation) and not issubclass(cls, Layer) and cls.__module__.startswith("keras.src.ops"):
                names.add(name)
    return sorted(names)
