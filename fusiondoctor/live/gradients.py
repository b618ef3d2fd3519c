"""Gradients of the loss for monitors: a small adapter per backend (TensorFlow, JAX, PyTorch).

Computed in inference mode (``training=False``) so that a probe never moves BatchNormalization
statistics or the user's optimizer; other backends (numpy, openvino) report "not available".
"""

from __future__ import annotations

import numpy as np


def backend() -> str:
    import keras

    return keras.backend.backend()


def loss_gradients(model, x, y) -> list[np.ndarray] | None:
    """Gradients of the compiled loss w.r.t. ``model.trainable_variables`` on one batch, or None
    when the backend has no adapter."""
    name = backend()
    if name == "tensorflow":
        return _tensorflow(model, x, y)
    if name == "jax":
        return _jax(model, x, y)
    if name == "torch":
        return _torch(model, x, y)
    return None


def _tensorflow(model, x, y) -> list[np.ndarray]:
    import tensorflow as tf

    variables = model.trainable_variables
    with tf.GradientTape() as tape:
        y_pred = model(x, training=False)
        loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
    grads = tape.gradient(loss, variables)
    return [np.zeros(v.shape, dtype="float32") if g is None else np.asarray(g) for g, v in zip(grads, variables)]


def _jax(model, x, y) -> list[np.ndarray]:
    import jax

    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    metrics = [v.value for v in model.metrics_variables]

    def loss_fn(values):
        y_pred, _ = model.stateless_call(values, non_trainable, x, training=False)
        loss, _ = model.stateless_compute_loss(values, non_trainable, metrics, x=x, y=y, y_pred=y_pred, training=False)
        return loss

    grads = jax.grad(loss_fn)(trainable)
    return [np.asarray(g) for g in grads]


def _torch(model, x, y) -> list[np.ndarray]:
    import keras
    import torch

    variables = model.trainable_variables
    tensors = [v.value for v in variables]
    y_pred = model(x, training=False)
    loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
    grads = torch.autograd.grad(loss, tensors, allow_unused=True)
    return [np.zeros(v.shape, dtype="float32") if g is None else np.asarray(keras.ops.convert_to_numpy(g))
            for g, v in zip(grads, variables)]
