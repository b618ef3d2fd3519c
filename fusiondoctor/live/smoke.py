"""Overfit one small batch: the smoke test behind ``fusiondoctor.testing.assert_trains``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .keras_model import compile_config, first_samples


def _fresh_copy(model: Any):
    import keras

    config = compile_config(model)
    if not config:
        raise ValueError("assert_trains needs a compiled model")
    clone = keras.models.clone_model(model)
    clone.compile_from_config(config)
    return clone


def overfit_one_batch(model: Any, data: Any, steps: int, batch_size: int) -> dict[str, float]:
    x, y = data
    x, y = first_samples(x, batch_size), first_samples(y, batch_size)
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
