"""Shared fixtures. Keras and tf_keras are imported inside fixtures only, so static tests stay light."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="session")
def keras3():
    keras = pytest.importorskip("keras")
    return keras


@pytest.fixture(scope="session")
def tf_keras():
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        pytest.skip("tf_keras needs the TensorFlow backend")
    return pytest.importorskip("tf_keras")
