"""Shared fixtures. Keras and tf_keras are imported inside fixtures only, so static tests stay light."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# The tests never read or write the user's feature cache; tests/test_feature_cache.py names its own.
os.environ["FUSIONDOCTOR_NO_CACHE"] = "1"


@pytest.fixture(scope="session")
def keras3():
    keras = pytest.importorskip("keras")
    return keras


@pytest.fixture(scope="session")
def tf_keras():
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        pytest.skip("tf_keras needs the TensorFlow backend")
    return pytest.importorskip("tf_keras")


@pytest.fixture
def fresh(keras3):
    """Keras 3, with a clean session after the test (layer name counters, graph state). Without
    the garbage collection that clear_session runs by default: it would double the tests' time.
    Cleared before too, so layer names do not depend on what ran earlier on the same worker."""
    keras3.backend.clear_session(free_memory=False)
    yield keras3
    keras3.backend.clear_session(free_memory=False)


@pytest.fixture
def keras(fresh):
    """``fresh`` under the name the trial and patch tests use."""
    return fresh


@pytest.fixture
def fresh2(tf_keras):
    """tf_keras (Keras 2), with a clean session after the test."""
    yield tf_keras
    tf_keras.backend.clear_session()
