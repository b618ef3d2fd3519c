"""The on-disk cache of frozen-front features (fusiondoctor/probes/feature_cache.py): entries written
whole, read back only for the same front, weights and data, evicted under a size cap; ``check
--data`` and ``fix`` reuse the backbone's features across calls and give the same answers as without."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fusiondoctor
from fusiondoctor.probes.feature_cache import FeatureCache, platform_cache_dir
from tests.helpers import tiny_fusion

# ---- the store itself (no Keras) -------------------------------------------------------------------


def test_entries_round_trip_and_a_damaged_or_other_entry_is_dropped(tmp_path):
    cache = FeatureCache(tmp_path)
    arrays = [np.arange(12, dtype="float32").reshape(3, 4), np.ones((3, 2), "float64")]
    assert cache.put("k", arrays)
    back = cache.get("k", 2)
    assert [a.dtype for a in back] == [np.float32, np.float64]
    assert all(np.array_equal(a, b) for a, b in zip(arrays, back))
    assert cache.get("k", 3) is None and not (tmp_path / "k.npz").exists()  # another form: removed
    assert cache.get("absent", 1) is None
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 not a zip at all")
    assert cache.get("bad", 1) is None and not (tmp_path / "bad.npz").exists()
    assert not list(tmp_path.glob("*.part"))  # no half-written file left behind


def test_the_least_recently_used_entries_go_first_and_nothing_larger_than_the_cap_is_kept(tmp_path):
    one = [np.zeros(1000, "float32")]  # 4,000 bytes of data, a little more on disk
    cache = FeatureCache(tmp_path, max_bytes=10_000)
    for i, key in enumerate(("a", "b")):
        cache.put(key, one)
        os.utime(tmp_path / f"{key}.npz", (1000 + i, 1000 + i))
    assert cache.get("a", 1) is not None  # "a" used now: "b" is the oldest
    cache.put("c", one)
    assert sorted(p.stem for p in cache.entries()) == ["a", "c"] and cache.size() <= 10_000
    assert not cache.put("huge", [np.zeros(5000, "float32")]) and cache.get("huge", 1) is None
    assert cache.clear() == 2 and cache.entries() == []


def test_the_cache_lives_in_the_platform_cache_directory_unless_asked(tmp_path, monkeypatch):
    monkeypatch.delenv("FUSIONDOCTOR_NO_CACHE", raising=False)
    monkeypatch.delenv("FUSIONDOCTOR_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    default = FeatureCache.resolve(True)
    assert default.directory.is_relative_to(platform_cache_dir())
    if sys.platform.startswith("linux"):
        assert default.directory == tmp_path / "xdg" / "fusiondoctor" / "features"
    assert not default.directory.is_relative_to(Path.cwd())
    assert FeatureCache.resolve(tmp_path / "mine").directory == tmp_path / "mine" / "features"
    monkeypatch.setenv("FUSIONDOCTOR_CACHE_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("FUSIONDOCTOR_CACHE_MAX_MB", "1")
    assert FeatureCache.resolve(True) == FeatureCache(tmp_path / "env" / "features", 2**20)
    assert FeatureCache.resolve(False) is None and FeatureCache.resolve(None) is None
    monkeypatch.setenv("FUSIONDOCTOR_NO_CACHE", "1")
    assert FeatureCache.resolve(True) is None


# ---- reuse across calls (live) ---------------------------------------------------------------------


def frozen_fusion(keras, seed=0):
    """``tiny_fusion`` with its conv frozen: a frozen front (conv + flatten) to cache."""
    keras.utils.set_random_seed(seed)
    model = tiny_fusion(keras, head_activation="sigmoid")
    next(layer for layer in model.layers if type(layer).__name__ == "Conv2D").trainable = False
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def data(seed=0, n=64):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n).astype("float32")
    image = rng.normal(size=(n, 8, 8, 3)).astype("float32") + (y - 0.5)[:, None, None, None]
    text = rng.normal(size=(n, 1, 12)).astype("float32")
    return {"image": image, "text": text}, y


@pytest.fixture
def predictions(monkeypatch):
    """The forward passes over every sample (a spy on Keras's own predict: it still runs); the probes'
    one-sample passes (ablation) are not counted."""
    import keras

    calls = []
    real = keras.Model.predict

    def counting(self, x, *args, **kwargs):
        first = x[0] if isinstance(x, (list, tuple)) else x
        if len(first) > 1:
            calls.append(len(first))
        return real(self, x, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "predict", counting)
    return calls


@pytest.mark.live
def test_check_reads_the_backbone_features_back_and_measures_the_same(keras, tmp_path, predictions):
    model, x = frozen_fusion(keras), data()
    first = fusiondoctor.check(model, data=x, cache=tmp_path, name="m")
    entries = FeatureCache(tmp_path / "features").entries()
    assert len(entries) == 1 and predictions
    predictions.clear()
    second = fusiondoctor.check(model, data=x, cache=tmp_path, name="m")
    assert predictions == []  # no forward pass through the frozen front this time
    plain = fusiondoctor.check(model, data=x, cache=False, name="m")
    assert second.findings == first.findings == plain.findings
    assert second.inputs == first.inputs
    assert FeatureCache(tmp_path / "features").entries() == entries


@pytest.mark.live
def test_changed_frozen_weights_or_data_never_reuse_an_entry(keras, tmp_path, predictions):
    model, x = frozen_fusion(keras), data()
    fusiondoctor.check(model, data=x, cache=tmp_path, name="m")
    conv = next(layer for layer in model.layers if type(layer).__name__ == "Conv2D")
    conv.set_weights([w + 0.5 for w in conv.get_weights()])
    predictions.clear()
    fusiondoctor.check(model, data=x, cache=tmp_path, name="m")
    assert predictions  # computed again
    other = data(seed=1)
    predictions.clear()
    fusiondoctor.check(model, data=other, cache=tmp_path, name="m")
    assert predictions
    stored = FeatureCache(tmp_path / "features").entries()
    assert len(stored) == 3
    contents = []
    for path in stored:
        with np.load(path) as entry:
            contents.append([entry[name] for name in sorted(entry.files)])
    for i in range(3):  # each entry holds other features: none could stand for another
        for j in range(i):
            assert any(a.shape != b.shape or not np.allclose(a, b) for a, b in zip(contents[i], contents[j]))


@pytest.mark.live
def test_a_second_fix_reads_the_features_and_decides_the_same(keras, tmp_path, predictions):
    model, x = frozen_fusion(keras), data()
    model.get_layer("output_layer").activation = keras.activations.softmax  # FD101: a fix to confirm
    keras_model = keras.Model.from_config(model.get_config())
    keras_model.set_weights(model.get_weights())
    keras_model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    first = fusiondoctor.confirm(keras_model, x, epochs=2, progress=False, cache=tmp_path)
    assert predictions
    predictions.clear()
    second = fusiondoctor.confirm(keras_model, x, epochs=2, progress=False, cache=tmp_path)
    assert predictions == []
    assert [(t.code, t.verdict) for t in second.report.trials] == [(t.code, t.verdict) for t in first.report.trials]
    assert any(t.code == "FD101" and t.verdict.value == "confirmed" for t in second.report.trials)


@pytest.mark.live
def test_the_cli_flags_choose_the_cache_and_no_cache_writes_nothing(keras, tmp_path):
    model, (x, y) = frozen_fusion(keras), data()
    path = tmp_path / "m.keras"
    model.save(path)
    np.savez(tmp_path / "d.npz", **x, y=y)
    env = {k: v for k, v in os.environ.items() if k != "FUSIONDOCTOR_NO_CACHE"}
    env["FUSIONDOCTOR_CACHE_DIR"] = str(tmp_path / "default")

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "fusiondoctor", *args], capture_output=True, text=True, env=env)

    base = ["check", str(path), "--data", str(tmp_path / "d.npz"), "--format", "json"]
    assert cli(*base, "--no-cache").returncode != 2
    assert not (tmp_path / "default").exists()
    assert cli(*base, "--cache-dir", str(tmp_path / "asked")).returncode != 2
    assert len(list((tmp_path / "asked" / "features").glob("*.npz"))) == 1 and not (tmp_path / "default").exists()
    assert cli(*base).returncode != 2
    assert len(list((tmp_path / "default" / "features").glob("*.npz"))) == 1
    shown = cli("cache")
    assert shown.returncode == 0 and "1 entries" in shown.stdout and str(tmp_path / "default") in shown.stdout
    cleared = cli("cache", "--clear")
    assert "removed 1" in cleared.stdout and not list((tmp_path / "default" / "features").glob("*.npz"))
