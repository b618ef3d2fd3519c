"""The pieces behind the data probes: probe data in every accepted form, activations through nested
models and shared layers, safe loading (Lambda refusal, the Keras 2 sanitizer), the label
arithmetic, plots, and read-only probing.

Everything here runs Keras, so every test is marked ``live`` (CI runs them on TensorFlow and again
with ``KERAS_BACKEND=jax``); tests that need TensorFlow itself (tf.data, tf_keras files) skip on
other backends.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import fusiondoctor
from fusiondoctor import Settings
from fusiondoctor.errors import InputError
from fusiondoctor.measurements import MEASUREMENTS
from fusiondoctor.probes import activations
from fusiondoctor.probes.data import DEFAULT_MAX_SAMPLES, make_probe_data
from fusiondoctor.probes.labels import Task, bootstrap_mean, correctness
from fusiondoctor.probes.loading import load_for_probing
from fusiondoctor.subject import make_subject
from tests.helpers import run_cli, sha256

pytestmark = pytest.mark.live

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def backend_name() -> str:
    import keras

    return keras.backend.backend()


def two_inputs(keras, outputs=("label",)):
    """image (4x4x1) + text (5,) -> concatenate -> one sigmoid unit per output name."""
    layers = keras.layers
    image = keras.Input((4, 4, 1), name="image")
    x = layers.Flatten()(image)
    x = layers.Dense(4, activation="relu", name="image_features")(x)
    text = keras.Input((5,), name="text")
    t = layers.Dense(4, activation="relu", name="text_features")(text)
    fused = layers.concatenate([x, t], name="fusion")
    heads = [layers.Dense(1, activation="sigmoid", name=name)(fused) for name in outputs]
    model = keras.Model([image, text], heads if len(heads) > 1 else heads[0])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def arrays(n, seed=0):
    rng = np.random.default_rng(seed)
    image = rng.normal(size=(n, 4, 4, 1)).astype("float32")
    text = rng.normal(size=(n, 5)).astype("float32")
    y = np.arange(n, dtype="float32")  # the row index: shows whether rows stay aligned
    image[:, 0, 0, 0] = y
    return image, text, y


# ---- probe data from .npz ---------------------------------------------------------------------------


def test_npz_with_wrong_keys_names_the_expected_ones(fresh, tmp_path):
    spec = fusiondoctor.load_model_spec(two_inputs(fresh))
    image, text, y = arrays(8)
    path = tmp_path / "wrong.npz"
    np.savez(path, img=image, txt=text, y=y)
    with pytest.raises(InputError) as caught:
        make_probe_data(path, spec)
    message = str(caught.value)
    for key in ("image", "text", "y"):
        assert f"{key}" in message.split("expected keys:")[-1], f"the message does not name {key!r}: {message}"
    assert "img" not in message.split("expected keys:")[-1]


def test_npz_with_wrong_keys_for_a_multi_output_model_names_the_label_keys(fresh, tmp_path):
    spec = fusiondoctor.load_model_spec(two_inputs(fresh, outputs=("sexist", "humour")))
    image, text, y = arrays(8)
    path = tmp_path / "wrong.npz"
    np.savez(path, image=image, words=text, y_sexist=y, y_humour=y)
    with pytest.raises(InputError) as caught:
        make_probe_data(path, spec)
    expected = str(caught.value).split("expected keys:")[-1]
    for key in ("image", "text", "y_sexist", "y_humour"):
        assert key in expected, f"{key!r} missing from {caught.value}"


def test_npz_multi_output_labels_by_output_name(fresh, tmp_path):
    spec = fusiondoctor.load_model_spec(two_inputs(fresh, outputs=("sexist", "humour")))
    image, text, y = arrays(8)
    path = tmp_path / "data.npz"
    np.savez(path, image=image, text=text, y_sexist=y, y_humour=1 - y)
    data = make_probe_data(path, spec)
    np.testing.assert_array_equal(data.labels_for("sexist", ["sexist", "humour"]), y)
    np.testing.assert_array_equal(data.labels_for("humour", ["sexist", "humour"]), 1 - y)


@pytest.mark.parametrize("lengths", [(8, 7, 8), (8, 8, 6)], ids=["inputs", "labels"])
def test_npz_with_mismatched_lengths(fresh, tmp_path, lengths):
    spec = fusiondoctor.load_model_spec(two_inputs(fresh))
    image, text, y = arrays(8)
    path = tmp_path / "ragged.npz"
    np.savez(path, image=image[: lengths[0]], text=text[: lengths[1]], y=y[: lengths[2]])
    with pytest.raises(InputError, match="different numbers of samples"):
        make_probe_data(path, spec)


def test_npz_with_no_samples(fresh, tmp_path):
    spec = fusiondoctor.load_model_spec(two_inputs(fresh))
    image, text, y = arrays(0)
    path = tmp_path / "empty.npz"
    np.savez(path, image=image, text=text, y=y)
    with pytest.raises(InputError, match="no samples"):
        make_probe_data(path, spec)


@pytest.mark.parametrize("content", [None, b"not a zip archive"], ids=["missing", "garbage"])
def test_npz_unreadable(fresh, tmp_path, content):
    spec = fusiondoctor.load_model_spec(two_inputs(fresh))
    path = tmp_path / "data.npz"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError):
        make_probe_data(path, spec)


def test_cli_names_the_expected_keys(fresh, tmp_path):
    model_path = tmp_path / "model.keras"
    two_inputs(fresh).save(str(model_path))
    image, text, y = arrays(8)
    np.savez(tmp_path / "wrong.npz", pixels=image, text=text, y=y)
    run = run_cli("check", model_path, "--data", tmp_path / "wrong.npz")
    assert run.code == 2, run.stderr
    assert "expected keys: image, text, y" in run.stderr, run.stderr
    assert len(run.stderr_lines) == 1, f"a one-line error, not: {run.stderr}"


# ---- probe data from arrays --------------------------------------------------------------------------


def test_array_forms_give_the_same_probe_data(fresh):
    spec = fusiondoctor.load_model_spec(two_inputs(fresh))
    image, text, y = arrays(16)
    forms = {
        "list": ([image, text], y),
        "tuple": ((image, text), y),
        "dict": ({"text": text, "image": image}, y),
        "x-y dict": {"x": {"image": image, "text": text}, "y": y},
        "lists of lists": ([image.tolist(), text.tolist()], y.tolist()),
    }
    for name, form in forms.items():
        data = make_probe_data(form, spec)
        assert data.n == 16, name
        np.testing.assert_array_equal(data.inputs["image"], image, err_msg=name)
        np.testing.assert_array_equal(data.inputs["text"], text, err_msg=name)
        np.testing.assert_array_equal(data.y, y, err_msg=name)
    unlabelled = make_probe_data(([image, text],), spec)
    assert unlabelled.y is None and unlabelled.n == 16


def test_single_input_model_takes_a_bare_array(fresh):
    keras = fresh
    inputs = keras.Input((5,), name="only")
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(inputs))
    spec = fusiondoctor.load_model_spec(model)
    x = np.ones((4, 5), "float32")
    data = make_probe_data((x, np.zeros(4)), spec)
    np.testing.assert_array_equal(data.inputs["only"], x)


def test_dict_with_wrong_names_and_wrong_array_count(fresh):
    spec = fusiondoctor.load_model_spec(two_inputs(fresh))
    image, text, y = arrays(8)
    with pytest.raises(InputError) as caught:
        make_probe_data(({"image": image, "caption": text}, y), spec)
    assert "text" in str(caught.value).split("expected keys:")[-1]
    with pytest.raises(InputError, match="2 inputs"):
        make_probe_data(([image], y), spec)
    with pytest.raises(InputError):
        make_probe_data("neither a path nor arrays".split(), spec)


def test_multi_output_labels_as_a_dict_or_a_list(fresh):
    """Keras takes several outputs' labels as a dict by output name or a list in output order."""
    spec = fusiondoctor.load_model_spec(two_inputs(fresh, outputs=("sexist", "humour")))
    image, text, y = arrays(8)
    outputs = ["sexist", "humour"]
    by_name = make_probe_data(([image, text], {"sexist": y, "humour": 1 - y}), spec)
    np.testing.assert_array_equal(by_name.labels_for("humour", outputs), 1 - y)
    in_order = make_probe_data(([image, text], [y, 1 - y]), spec)
    assert in_order.labels_for("sexist", outputs) is not None, "labels given as a list in output order were dropped"
    np.testing.assert_array_equal(in_order.labels_for("sexist", outputs), y)
    np.testing.assert_array_equal(in_order.labels_for("humour", outputs), 1 - y)


def test_subsample_is_bounded_seeded_and_keeps_rows_aligned(fresh):
    spec = fusiondoctor.load_model_spec(two_inputs(fresh))
    image, text, y = arrays(1000)
    first = make_probe_data(([image, text], y), spec, max_samples=100, seed=0)
    again = make_probe_data(([image, text], y), spec, max_samples=100, seed=0)
    other = make_probe_data(([image, text], y), spec, max_samples=100, seed=1)
    assert first.n == 100 and len(first.y) == 100
    np.testing.assert_array_equal(first.y, again.y)
    assert not np.array_equal(first.y, other.y), "another seed should pick another subset"
    np.testing.assert_array_equal(first.inputs["image"][:, 0, 0, 0], first.y)  # rows stay together
    np.testing.assert_array_equal(first.inputs["text"], text[first.y.astype(int)])
    assert len(set(first.y.tolist())) == 100, "sampled without replacement"
    assert make_probe_data(([image, text], y), spec).n == DEFAULT_MAX_SAMPLES == 512


def test_max_samples_reaches_the_probes(fresh):
    model = two_inputs(fresh)
    image, text, y = arrays(1000)
    assert make_subject(model, data=([image, text], y)).measurements.samples == 512
    assert make_subject(model, data=([image, text], y), max_samples=64).measurements.samples == 64


# ---- probe data from batched datasets -----------------------------------------------------------------


def _pydataset(keras, batches, batch_size, calls, as_dict=False):
    image, text, y = arrays(batches * batch_size)

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()

        @property
        def num_batches(self):
            return batches

        def __len__(self):
            return batches

        def __getitem__(self, index):
            calls.append(index)
            part = slice(index * batch_size, (index + 1) * batch_size)
            x = {"image": image[part], "text": text[part]} if as_dict else (image[part], text[part])
            return x, y[part]

    return Batches()


def test_pydataset_reads_only_the_batches_it_needs(fresh):
    spec = fusiondoctor.load_model_spec(two_inputs(fresh))
    calls = []
    data = make_probe_data(_pydataset(fresh, 1000, 16, calls), spec, max_samples=64)
    assert data.n == 64
    np.testing.assert_array_equal(data.y, np.arange(64))
    np.testing.assert_array_equal(data.inputs["image"][:, 0, 0, 0], data.y)
    assert calls == [0, 1, 2, 3], f"64 samples in batches of 16 need 4 batches; read {calls}"


def test_pydataset_with_dict_batches_is_subsampled_to_max_samples(fresh):
    spec = fusiondoctor.load_model_spec(two_inputs(fresh))
    calls = []
    data = make_probe_data(_pydataset(fresh, 1000, 24, calls, as_dict=True), spec, max_samples=64, seed=3)
    assert calls[:3] == [0, 1, 2] and len(calls) <= 4, f"read {calls}"
    assert data.n == 64 and len(data.y) == 64
    assert set(data.y.tolist()) <= set(range(72))
    np.testing.assert_array_equal(data.inputs["image"][:, 0, 0, 0], data.y)
    again = make_probe_data(_pydataset(fresh, 1000, 24, [], as_dict=True), spec, max_samples=64, seed=3)
    np.testing.assert_array_equal(data.y, again.y)


def test_tf_data_dataset_is_read_lazily_and_bounded(fresh):
    if backend_name() != "tensorflow":
        pytest.skip("tf.data needs the TensorFlow backend")
    import tensorflow as tf

    spec = fusiondoctor.load_model_spec(two_inputs(fresh))
    image, text, y = arrays(4096)
    produced = []

    def batches():
        for start in range(0, 4096, 16):
            produced.append(start // 16)
            yield {"image": image[start:start + 16], "text": text[start:start + 16]}, y[start:start + 16]

    signature = ({"image": tf.TensorSpec((None, 4, 4, 1), tf.float32), "text": tf.TensorSpec((None, 5), tf.float32)},
                 tf.TensorSpec((None,), tf.float32))
    dataset = tf.data.Dataset.from_generator(batches, output_signature=signature)
    data = make_probe_data(dataset, spec, max_samples=64)
    assert data.n == 64
    np.testing.assert_array_equal(data.y, np.arange(64))
    # 64 samples in batches of 16 need 4 batches. tf.data's generator runs ahead of the iterator
    # by itself, by a varying few batches (after 4 next() calls it has produced 4 to 8), so the exact
    # count is the PyDataset test's job; here: read lazily, nowhere near the 256 batches there are.
    assert produced[:4] == [0, 1, 2, 3] and len(produced) <= 12, f"the generator produced {produced}"
    # An endless dataset still ends, at max_samples.
    endless = tf.data.Dataset.from_tensor_slices(((image[:32], text[:32]), y[:32])).batch(8).repeat()
    assert make_probe_data(endless, spec, max_samples=40).n == 40


def test_check_takes_a_dataset(fresh):
    model = two_inputs(fresh)
    report = fusiondoctor.check(model, data=_pydataset(fresh, 1000, 32, []), max_samples=64, settings=Settings())
    assert not report.errors and not report.incomplete, (report.errors, report.skipped)
    data_rules = {r.code for r in fusiondoctor.all_rules() if "measurements" in r.needs}
    assert not data_rules & {s.code for s in report.skipped}, "every FD5 rule ran on the dataset"
    record = report.inputs[0].measurements
    assert record.samples == 64 and record.measured == frozenset(MEASUREMENTS)
    assert record.labels["label"].shape == (64,) and record.merge_scales, "labels and branch scales were measured"


# ---- activations --------------------------------------------------------------------------------------


def test_collect_through_a_nested_model_and_a_shared_layer(fresh):
    """Node activations from ``activations.collect`` equal a direct ``keras.Model(inputs, output)``:
    the second call of a nested encoder, and both calls of a layer shared by two branches."""
    keras, layers = fresh, fresh.layers
    keras.utils.set_random_seed(0)
    encoder_in = keras.Input((6,), name="enc_in")
    hidden = layers.Dense(5, activation="relu", name="enc_hidden")(encoder_in)
    hidden = layers.BatchNormalization(name="enc_bn")(hidden)
    encoder = keras.Model(encoder_in, layers.Dense(4, name="enc_out")(hidden), name="encoder")
    a, b = keras.Input((6,), name="a"), keras.Input((6,), name="b")
    shared = layers.Dense(3, activation="tanh", name="shared")
    shared_a, shared_b = shared(encoder(a)), shared(encoder(layers.Dense(6, name="b_proj")(b)))
    out = layers.Dense(1, activation="sigmoid", name="out")(layers.concatenate([shared_a, shared_b], name="fusion"))
    model = keras.Model([a, b], out)
    rng = np.random.default_rng(0)
    xa, xb = rng.normal(size=(100, 6)).astype("float32"), rng.normal(size=(100, 6)).astype("float32")

    spec = fusiondoctor.load_model_spec(model)
    keys = ["encoder/enc_hidden", "encoder/enc_hidden#1", "encoder/enc_bn#1", "shared", "shared#1", "fusion"]
    assert set(keys) <= set(spec.nodes), sorted(spec.nodes)
    got = activations.collect(model, spec, keys, [xa, xb], batch_size=32)

    projected = keras.Model(b, model.get_layer("b_proj").output).predict(xb, verbose=0)
    inner = keras.Model(encoder.inputs, [encoder.get_layer("enc_hidden").output, encoder.get_layer("enc_bn").output])
    hidden_a, _ = inner.predict(xa, verbose=0)
    hidden_b, bn_b = inner.predict(projected, verbose=0)
    direct_shared = keras.Model(model.inputs, [shared_a, shared_b]).predict([xa, xb], verbose=0)
    direct_fusion = keras.Model(model.inputs, model.get_layer("fusion").output).predict([xa, xb], verbose=0)
    for key, want in [("encoder/enc_hidden", hidden_a), ("encoder/enc_hidden#1", hidden_b), ("encoder/enc_bn#1", bn_b),
                      ("shared", direct_shared[0]), ("shared#1", direct_shared[1]), ("fusion", direct_fusion)]:
        np.testing.assert_allclose(got[key], want, rtol=1e-5, atol=1e-5, err_msg=key)


# ---- safe loading ---------------------------------------------------------------------------------------


def _keras2_fusion(tf_keras):
    """A tf_keras model that Keras 3 rejects: an LSTM (saved with ``time_major``) inside a nested
    text encoder called on the outer input."""
    layers = tf_keras.layers
    tf_keras.utils.set_random_seed(0)
    words = tf_keras.Input((7, 5), name="words")
    encoder = tf_keras.Model(words, layers.Dense(4, activation="relu")(layers.LSTM(6)(words)), name="text_encoder")
    text = tf_keras.Input((7, 5), name="text")
    image = tf_keras.Input((4, 4, 1), name="image")
    x = layers.Dense(4, activation="relu")(layers.Flatten()(image))
    out = layers.Dense(1, activation="sigmoid", name="label")(layers.concatenate([x, encoder(text)]))
    model = tf_keras.Model([image, text], out)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def test_keras2_h5_that_keras3_rejects_loads_through_the_sanitizer(fresh, fresh2, tmp_path):
    path = tmp_path / "keras2-fusion.h5"
    _keras2_fusion(fresh2).save(str(path))
    with pytest.raises(Exception):  # noqa: B017 - Keras raises different types across versions
        fresh.models.load_model(str(path), compile=False)
    before = sha256(path)
    model = load_for_probing(path)
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(20, 4, 4, 1)).astype("float32"), rng.normal(size=(20, 7, 5)).astype("float32")]
    want = fresh2.models.load_model(str(path)).predict(x, verbose=0)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    assert sha256(path) == before
    report = fusiondoctor.check(path, data=(x, (np.arange(20) % 2).astype("float32")), settings=Settings())
    assert not report.errors, report.errors


def _lambda_model(keras, marker):
    layers = keras.layers
    image, text = keras.Input((4, 4, 1), name="image"), keras.Input((5,), name="text")
    # A plain lambda with the path as a constant (Keras 3 cannot rebuild lambdas with default arguments).
    code = eval(f"lambda t: (__import__('pathlib').Path({str(marker)!r}).write_text('ran'), t)[1]")  # noqa: S307
    planted = layers.Lambda(code, name="planted")(text)
    fused = layers.concatenate([layers.Flatten()(image), planted])
    model = keras.Model([image, text], layers.Dense(1, activation="sigmoid")(fused))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


@pytest.mark.parametrize("dialect", ["keras3", "keras2"])
def test_lambda_layers_are_refused_without_unsafe(dialect, keras3, tmp_path, request):
    keras = keras3 if dialect == "keras3" else request.getfixturevalue("tf_keras")
    marker = tmp_path / "lambda-ran.txt"
    path = tmp_path / ("lambda.keras" if dialect == "keras3" else "lambda-keras2.h5")
    _lambda_model(keras, marker).save(str(path))
    marker.unlink(missing_ok=True)  # building the model ran it; from here on nothing may
    image, text, y = arrays(8)
    with pytest.raises(InputError, match="Lambda"):
        fusiondoctor.check(path, data=([image, text], y), settings=Settings())
    np.savez(tmp_path / "data.npz", image=image, text=text, y=y)
    run = run_cli("check", path, "--data", tmp_path / "data.npz")
    assert run.code == 2 and "--unsafe-load" in run.stderr, run.stderr
    assert not marker.exists(), "code from the file ran"
    # The guard is what kept it from running: with unsafe=True the file's code does run.
    if dialect == "keras3":
        fusiondoctor.check(path, data=([image, text], y), unsafe=True, settings=Settings())
        assert marker.exists(), "unsafe=True should load (and run) the Lambda"


# ---- labels ---------------------------------------------------------------------------------------------


def test_correctness_on_hand_made_arrays():
    binary = Task("binary", 2, False)
    np.testing.assert_array_equal(correctness(np.array([[0.9], [0.2], [0.6], [0.4]]), np.array([1, 0, 0, 1]), binary),
                                  [1, 1, 0, 0])
    logits = Task("binary", 2, True)
    np.testing.assert_array_equal(
        correctness(np.array([[2.0], [-1.0], [0.3]]), np.array([[1.0], [1.0], [0.0]]), logits), [1, 0, 0]
    )
    multiclass = Task("multiclass", 3, False)
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]])
    np.testing.assert_array_equal(correctness(probs, np.array([0, 2, 0]), multiclass), [1, 1, 0])
    np.testing.assert_array_equal(correctness(probs, np.eye(3)[[0, 2, 0]], multiclass), [1, 1, 0])
    multilabel = Task("multilabel", 3, False)
    np.testing.assert_allclose(
        correctness(np.array([[0.9, 0.1, 0.8], [0.2, 0.7, 0.4]]), np.array([[1, 0, 0], [0, 1, 0]]), multilabel),
        [2 / 3, 1.0],
    )
    regression = Task("regression", 1, True)
    np.testing.assert_allclose(correctness(np.array([[1.0], [3.0]]), np.array([2.0, 3.0]), regression), [-1.0, 0.0])


def test_bootstrap_mean_on_hand_made_arrays():
    assert bootstrap_mean(np.full(50, 0.25)) == (0.25, 0.25, 0.25)
    values = np.r_[np.ones(30), np.zeros(70)]
    mean, low, high = bootstrap_mean(values, rounds=2000)
    assert mean == pytest.approx(0.3)
    assert low < 0.3 < high
    assert 0.18 < low < 0.26 and 0.34 < high < 0.42, (low, high)  # +-1.96 * sqrt(0.3 * 0.7 / 100) = 0.09
    assert bootstrap_mean(values, seed=1) == bootstrap_mean(values, seed=1)
    assert bootstrap_mean(values, seed=1) != bootstrap_mean(values, seed=2)


# ---- plots and read-only probing ---------------------------------------------------------------------------


def _probe_files(keras, tmp_path, n=64):
    """A two-input model with a BatchNormalization layer, saved, plus its data as .npz."""
    layers = keras.layers
    keras.utils.set_random_seed(0)
    image, text = keras.Input((4, 4, 1), name="image"), keras.Input((5,), name="text")
    x = layers.BatchNormalization(name="image_bn")(layers.Dense(4, activation="relu")(layers.Flatten()(image)))
    t = layers.Dense(4, activation="relu", name="text_features")(text)
    model = keras.Model([image, text], layers.Dense(1, activation="sigmoid", name="label")(layers.concatenate([x, t])))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    image_x, text_x, _ = arrays(n)
    y = (text_x[:, 0] > 0).astype("float32")
    model.fit([image_x, text_x], y, epochs=2, verbose=0)
    model_path, data_path = tmp_path / "model.keras", tmp_path / "data.npz"
    model.save(str(model_path))
    np.savez(data_path, image=image_x, text=text_x, y=y)
    return model, model_path, data_path


def test_plots_are_written_as_png(fresh, tmp_path):
    _, model_path, data_path = _probe_files(fresh, tmp_path)
    plots = tmp_path / "plots"
    run = run_cli("check", model_path, "--data", data_path, "--plots", plots, "--format", "json")
    assert run.code in (0, 1), run.stderr
    written = sorted(p.name for p in plots.iterdir())
    assert written == ["batchnorm_shift.png", "branch_scales.png", "modality_contribution.png", "model.png"], written
    for path in plots.iterdir():
        assert path.read_bytes()[:8] == PNG_MAGIC, f"{path.name} is not a PNG"
        assert path.stat().st_size > 1000, f"{path.name} is nearly empty"


def test_probing_never_modifies_model_or_data_files(fresh, tmp_path):
    _, model_path, data_path = _probe_files(fresh, tmp_path)
    h5_path = tmp_path / "model.h5"
    fresh.models.load_model(str(model_path)).save(str(h5_path))
    files = [model_path, h5_path, data_path]
    before = {p: (sha256(p), os.stat(p).st_mtime_ns) for p in files}
    for path in (model_path, h5_path):
        run = run_cli("check", path, "--data", data_path, "--format", "json")
        assert run.code in (0, 1), run.stderr
        json.loads(run.stdout)
        with np.load(data_path) as archive:
            fusiondoctor.check(path, data=(([archive["image"], archive["text"]]), archive["y"]), settings=Settings())
        fusiondoctor.check(path, data=str(data_path), settings=Settings())
    assert {p: (sha256(p), os.stat(p).st_mtime_ns) for p in files} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.npz", "model.h5", "model.keras"]


def test_keras2_file_is_not_modified_by_probing(fresh2, tmp_path):
    path = tmp_path / "keras2-fusion.h5"
    _keras2_fusion(fresh2).save(str(path))
    before = sha256(path)
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(20, 4, 4, 1)).astype("float32"), rng.normal(size=(20, 7, 5)).astype("float32")]
    fusiondoctor.check(path, data=(x, (np.arange(20) % 2).astype("float32")), settings=Settings())
    assert sha256(path) == before


def test_probing_leaves_the_live_model_and_arrays_as_they_were(fresh, tmp_path):
    """A live model checked with data keeps its config and weights, can still be saved and checked
    again; the caller's arrays are not written to. The model has a frozen nested encoder (a
    frozen backbone) and a shared layer, the shapes that make probing build extra models."""
    keras, layers = fresh, fresh.layers
    keras.utils.set_random_seed(0)
    inner_in = keras.Input((4, 4, 1), name="pixels")
    h = layers.BatchNormalization(name="enc_bn")(layers.Conv2D(4, 3, activation="relu", name="enc_conv")(inner_in))
    encoder = keras.Model(inner_in, layers.GlobalAveragePooling2D()(h), name="encoder")
    encoder.trainable = False
    image, text = keras.Input((4, 4, 1), name="image"), keras.Input((5,), name="text")
    x = layers.Dense(4, activation="relu", name="image_features")(encoder(image, training=False))
    t = layers.Dense(4, activation="relu", name="text_features")(text)
    model = keras.Model([image, text], layers.Dense(1, activation="sigmoid", name="label")(layers.concatenate([x, t])))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    image_x, text_x, _ = arrays(96)
    y = (text_x[:, 0] > 0).astype("float32")
    copies = [image_x.copy(), text_x.copy(), y.copy()]
    config, weights = model.get_config(), [w.copy() for w in model.get_weights()]
    first = fusiondoctor.check(model, data=([image_x, text_x], y), settings=Settings())
    assert not first.errors, first.errors
    for got, want in zip([image_x, text_x, y], copies):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(got, want)
    assert model.get_config() == config, "probing changed the model's config"
    model.save(str(tmp_path / "after.keras"))
    second = fusiondoctor.check(model, data=([image_x, text_x], y), settings=Settings())
    assert sorted(second.codes()) == sorted(first.codes())
