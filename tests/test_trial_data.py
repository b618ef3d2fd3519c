"""Fix trials read a ``tf.data.Dataset`` or a Keras ``PyDataset`` as ``check`` does
(``probes.data.make_probe_data``): the same samples as the arrays they hold, so the same split and the
same verdict; an endless dataset read up to ``max_samples``; data a trial cannot use (single samples
instead of batches, no labels, wrong shapes, batches that do not stack) refused with one line.

Marked ``live``: CI runs them on TensorFlow, JAX and PyTorch. A ``tf.data.Dataset`` needs TensorFlow
installed, not its backend (fusiondoctor depends on TensorFlow, so it is there on every backend):
its batches are read as numpy arrays.
"""

from __future__ import annotations

import numpy as np
import pytest

import fusiondoctor
from fusiondoctor.errors import InputError
from fusiondoctor.probes.data import make_probe_data
from fusiondoctor.trials import runner as runner_module
from fusiondoctor.types import Verdict
from tests.helpers import tiny_fusion
from tests.test_trials import fusion_data

pytestmark = pytest.mark.live

BATCH = 16


def _pydataset(keras, x, y, calls=None, endless=False):
    """A PyDataset of ``((image, text), y)`` batches; ``endless``: ``num_batches`` None, cycling."""
    n = len(y)

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()

        @property
        def num_batches(self):
            return None if endless else -(-n // BATCH)

        def __getitem__(self, index):
            if calls is not None:
                calls.append(index)
            start = index * BATCH % n
            part = slice(start, start + BATCH)
            return (x["image"][part], x["text"][part]), y[part]

    return Batches()


def _dataset(form, keras, x, y):
    if form == "pydataset":
        return _pydataset(keras, x, y)
    tf = pytest.importorskip("tensorflow")
    if form == "tf.data tuple":
        return tf.data.Dataset.from_tensor_slices(((x["image"], x["text"]), y)).batch(BATCH)
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(BATCH)  # "tf.data dict": ({name: x}, y)


def _fix101(keras, data):
    """confirm() on a fresh seed-000 model (after a cleared session: layer names, and so the seeds each
    layer is re-initialized with, are the same every time)."""
    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(0)
    return fusiondoctor.confirm(tiny_fusion(keras), data, select=["FD101"], epochs=2, seeds=3, progress=False)


@pytest.fixture(scope="module")
def from_arrays(keras3):
    """FD101's fix (softmax over one unit -> sigmoid) trialled on the arrays themselves."""
    result = _fix101(keras3, fusion_data(0))
    keras3.backend.clear_session(free_memory=False)
    return result


@pytest.mark.parametrize("form", ["tf.data tuple", "tf.data dict", "pydataset"])
def test_a_dataset_gives_the_trial_its_arrays_give(keras, from_arrays, form):
    """A batched dataset of the arrays: the same samples in the same order, so the same split, the same
    baseline scores (the held-out share of positives: softmax over one unit is constant), and FD101's
    fix confirmed, with the same candidate scores."""
    x, y = fusion_data(0)
    spec = fusiondoctor.load_model_spec(tiny_fusion(keras))
    read = make_probe_data(_dataset(form, keras, x, y), spec, 4096)
    np.testing.assert_array_equal(read.y, y)
    for name in ("image", "text"):
        np.testing.assert_array_equal(read.inputs[name], x[name])

    result = _fix101(keras, _dataset(form, keras, x, y))
    (trial,), (expected,) = result.trials, from_arrays.trials
    assert trial.code == expected.code == "FD101"
    assert trial.verdict is expected.verdict is Verdict.CONFIRMED, trial.note
    assert trial.finding_gone is True
    assert result.holdout_samples == from_arrays.holdout_samples == 24  # a quarter of 96
    assert [r.scores for r in result.baseline.runs] == [r.scores for r in from_arrays.baseline.runs]
    assert [r.seed for r in trial.runs] == [r.seed for r in expected.runs]
    np.testing.assert_allclose([r.final for r in trial.runs], [r.final for r in expected.runs], atol=1e-6)


@pytest.mark.parametrize("form", ["tf.data", "pydataset"])
def test_an_endless_dataset_is_read_up_to_max_samples(keras, monkeypatch, form):
    """``.repeat()`` / a PyDataset without an end: trials take ``max_samples`` and stop reading (no
    hang). Only the baseline runs, untrained (softmax over one unit): the reading is what is tested."""
    monkeypatch.setattr(runner_module, "MIN_STEPS", 20)
    x, y = fusion_data(0, n=40)
    calls = []
    if form == "tf.data":
        tf = pytest.importorskip("tensorflow")
        data = tf.data.Dataset.from_tensor_slices(((x["image"], x["text"]), y)).batch(BATCH).repeat()
    else:
        data = _pydataset(keras, x, y, calls, endless=True)
    keras.utils.set_random_seed(0)
    result = fusiondoctor.confirm(tiny_fusion(keras), data, select=["FD101"], candidates=[], epochs=1, seeds=1,
                                  max_samples=100, progress=False)
    assert result.report.inputs[0].measurements.samples == 100  # probed and trialled: the 100 samples read
    if form == "pydataset":
        assert calls == list(range(7)), f"100 samples in batches of 16 need 7 batches; read {calls}"


def test_a_dataset_of_many_small_batches_is_read_to_max_samples(keras):
    """Batches of 16 up to 4096 samples: 256 batches, all read (fix's default takes as many samples
    from a dataset as from arrays)."""
    x, y = fusion_data(0, n=16)
    calls = []
    spec = fusiondoctor.load_model_spec(tiny_fusion(keras))
    read = make_probe_data(_pydataset(keras, x, y, calls, endless=True), spec, 4096)
    assert read.n == 4096 and calls == list(range(256))


def _bad(form, x, y):
    tf = pytest.importorskip("tensorflow")
    tensors = tf.data.Dataset.from_tensor_slices
    if form == "single samples":
        return tensors(((x["image"], x["text"]), y))
    if form == "single samples, no labels":
        return tensors(x)
    if form == "no labels (x,)":
        return tensors((x,)).batch(BATCH)
    if form == "no labels, x alone":
        return tensors(x).batch(BATCH)
    if form == "wrong shape":
        return tensors(({"image": x["image"][:, :7], "text": x["text"]}, y)).batch(BATCH)
    if form == "too many inputs":
        return tensors(((x["image"], x["text"], x["text"]), y)).batch(BATCH)

    def ragged():  # "batches that do not stack": the text's length changes from batch to batch
        for width in (12, 11):
            yield {"image": x["image"][:BATCH], "text": x["text"][:BATCH, :, :width]}, y[:BATCH]

    signature = ({"image": tf.TensorSpec((None, 8, 8, 3)), "text": tf.TensorSpec((None, 1, None))},
                 tf.TensorSpec((None,)))
    return tf.data.Dataset.from_generator(ragged, output_signature=signature)


@pytest.mark.parametrize("form, message", [
    ("single samples", r"yields single samples, not batches: batch it first .*; y is a single value"),
    ("single samples, no labels", r"yields single samples, not batches.*input 'image' has shape \(8, 8, 3\)"),
    ("no labels (x,)", r"fix trials need labels"),
    ("no labels, x alone", r"fix trials need labels"),
    ("wrong shape", r"input 'image' has shape \(96, 7, 8, 3\); expected numbers of shape \(n, 8, 8, 3\)"),
    ("too many inputs", r"the model has 2 inputs \(image, text\), the data 3 arrays"),
    ("ragged", r"batches do not stack: x\['text'\] has shape \(16, 1, 11\) in batch 1 and \(16, 1, 12\) in batch 0"),
])
def test_a_dataset_a_trial_cannot_use_is_refused_in_one_line(keras, form, message):
    x, y = fusion_data(0)
    with pytest.raises(InputError, match=message) as raised:
        fusiondoctor.confirm(tiny_fusion(keras), _bad(form, x, y), epochs=1, seeds=1, progress=False)
    assert "\n" not in str(raised.value) and str(raised.value).startswith("<tf.data.Dataset>: ")
    if form.startswith("single samples"):  # check reads data the same way, and refuses it the same way
        with pytest.raises(InputError, match=message):
            fusiondoctor.check(tiny_fusion(keras), data=_bad(form, x, y))
