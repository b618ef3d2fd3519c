"""Overfit one small batch: the smoke test behind ``fusiondoctor.testing.assert_trains``."""

from __future__ import annotations

from typing import Any, Dict

import numpy as np


def _first(data: Any, count: int) -> Any:
    if isinstance(data, dict):
        return {k: _first(v, count) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(_first(v, count) for v in data)
    return np.asarray(data)[:count]


def _fresh_copy(model: Any):
    import keras

    clone = keras.models.clone_model(model)
    config = model.get_compile_config() if getattr(model, "compiled", False) else None
    if not config:
        raise ValueError("assert_trains needs a compiled model")
    if "optimizer" not in config and getattr(model, "optimizer", None) is not None:
        config = dict(config, optimizer=keras.optimizers.serialize(model.optimizer))
    clone.compile_from_config(config)
    return clone


def overfit_one_batch(model: Any, data: Any, steps: int, batch_size: int) -> Dict[str, float]:
    x, y = data
    x, y = _first(x, batch_size), _first(y, batch_size)
    clone = _fresh_copy(model)
    first = last = None
    for _ in range(steps):
        logs = clone.train_on_batch(x, y, return_dict=True)
        loss = float(logs["loss"])
        first = loss if first is None else first
        last = loss
    predictions = clone.predict(x, verbose=0)
    outputs = predictions if isinstance(predictions, (list, tuple)) else [predictions]
    spread = max(float(np.std(np.asarray(p), axis=0).max()) for p in outputs)
    samples = len(y) if not isinstance(y, (dict, list, tuple)) else batch_size
    drop = (first - last) / abs(first) if first else 0.0
    return {"loss_first": first, "loss_last": last, "loss_drop": drop, "prediction_spread": spread,
            "samples": float(samples), "steps": float(steps)}
