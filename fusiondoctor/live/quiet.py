"""Import Keras (and TensorFlow under it) without TensorFlow's C++ start-up chatter on stderr.

fusiondoctor's stderr carries its own progress and one-line errors; TensorFlow's absl/oneDNN/CUDA
start-up lines would bury them. The C++ messages are dropped only while the import runs; Python
errors still propagate, and a process that already imported Keras is left alone.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def _stderr_dropped() -> Iterator[None]:
    """File descriptor 2 points at /dev/null inside (C++ libraries write there directly)."""
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (embedded interpreters): nothing to drop
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stderr.flush()
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_keras():
    if "keras" in sys.modules:
        return sys.modules["keras"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _stderr_dropped():
        import keras

        keras.ops.convert_to_numpy(keras.ops.zeros(1))  # first op: device discovery messages
    return keras


def import_keras_for_training():
    """Keras as ``import_keras`` gives it, and on another backend TensorFlow too where it is
    installed: Keras imports it lazily while serializing a model or feeding ``fit`` (its start-up
    lines would otherwise appear in the middle of a trial). Only for commands that train."""
    keras = import_keras()
    if keras.backend.backend() != "tensorflow" and "tensorflow" not in sys.modules:
        with _stderr_dropped():
            try:
                from keras.src.utils.module_utils import tensorflow

                tensorflow.available  # noqa: B018 - imports TensorFlow, if installed, here
            except Exception:  # an internal Keras module moved: the lines may show, nothing breaks
                pass
    return keras
