"""Import Keras (and TensorFlow under it) without TensorFlow's C++ start-up chatter on stderr.

fusiondoctor's stderr carries its own progress and one-line errors; TensorFlow's absl/oneDNN/CUDA
start-up lines would bury them. The C++ messages are dropped only while the import runs; Python
errors still propagate, and a process that already imported Keras is left alone.
"""

from __future__ import annotations

import os
import sys


def import_keras():
    if "keras" in sys.modules:
        return sys.modules["keras"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (embedded interpreters): import normally
        import keras

        return keras
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stderr.flush()
        os.dup2(devnull, 2)
        import keras

        keras.ops.convert_to_numpy(keras.ops.zeros(1))  # first op: device discovery messages
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return keras
