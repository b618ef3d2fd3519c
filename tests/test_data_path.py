"""The data path never crashes: data is validated once, up front, against the model's inputs.

Unusable data (a damaged .npz, wrong member names, strings or objects, wrong rank or shape,
disagreeing sample counts, labels that are not numbers) is a one-line error naming the array and
what was expected (``InputError`` from the API, exit code 2 and one stderr line from ``check
--data`` and ``fix``). Usable-but-wrong data (NaN, token ids beyond the vocabulary) is a finding
(the data casebook holds those cases). Randomized damage is in ``tests/test_fuzz.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

import fusiondoctor
from fusiondoctor import Settings
from fusiondoctor.errors import InputError
from fusiondoctor.probes.data import make_probe_data
from tests.fuzz_corpus import DATA_VOCABULARY as VOCABULARY
from tests.fuzz_corpus import data_model as tiny_model
from tests.helpers import run_cli

pytestmark = pytest.mark.live

N = 32


def good_arrays(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"image": rng.random((N, 8, 8, 3)).astype("float32"),
            "text": rng.integers(0, VOCABULARY, (N, 6)).astype("int32"),
            "y": rng.integers(0, 3, N)}


@pytest.fixture(scope="module")
def saved(keras3, tmp_path_factory):
    keras3.utils.set_random_seed(0)
    folder = tmp_path_factory.mktemp("data-path")
    model = tiny_model(keras3)
    path = folder / "model.keras"
    model.save(str(path))
    return path, fusiondoctor.load_model_spec(path)


def _truncated(path):
    np.savez(path, **good_arrays())
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])


def _object_member(path):
    import zipfile

    arrays = good_arrays()
    with zipfile.ZipFile(path, "w") as archive:
        for name, value in [("image", np.array([1, None], dtype=object)), ("text", arrays["text"])]:
            with archive.open(f"{name}.npy", "w") as member:
                np.lib.format.write_array(member, value, allow_pickle=True)


def _lying_header(path):
    """An .npy member whose header claims a 10^12-element array in a few bytes."""
    import zipfile

    header = {"descr": "<f4", "fortran_order": False, "shape": (10**6, 10**6)}
    with zipfile.ZipFile(path, "w") as archive:
        with archive.open("image.npy", "w") as member:
            np.lib.format.write_array_header_1_0(member, header)
            member.write(b"\0" * 64)


def _with(**changes):
    def write(path):
        np.savez(path, **{**good_arrays(), **changes})
    return write


rng = np.random.default_rng(1)
DAMAGED = {
    # name: (writer, what the one-line error must say)
    "truncated": (_truncated, "not a readable .npz"),
    "garbage": (lambda p: p.write_bytes(b"PK\x03\x04 not really a zip"), "not a readable .npz"),
    "npy-not-npz": (lambda p: np.save(p.with_suffix(".npy"), good_arrays()["image"]) or
                    p.with_suffix(".npy").rename(p), "not a readable .npz"),
    "wrong-names": (lambda p: np.savez(p, img=good_arrays()["image"], text=good_arrays()["text"]), "'image'"),
    "object-array": (_object_member, "'image' holds Python objects"),
    "lying-header": (_lying_header, "'image' claims more data"),
    "strings": (_with(text=np.array([["a"] * 6] * N)), "'text' holds strings"),
    "complex": (_with(image=np.zeros((N, 8, 8, 3), complex)), "'image' holds complex"),
    "wrong-shape": (_with(image=rng.random((N, 16, 16, 3)).astype("float32")), "'image' has shape (32, 16, 16, 3)"),
    "wrong-rank": (_with(image=rng.random((N, 8, 8)).astype("float32")), "'image' has shape (32, 8, 8)"),
    "scalar": (_with(image=np.float32(1.0)), "'image' is a single value"),
    "sample-counts": (_with(text=good_arrays()["text"][:10]), "different numbers of samples"),
    "label-count": (_with(y=np.zeros(5)), "different numbers of samples"),
    "label-strings": (_with(y=np.array(["cat"] * N)), "labels 'y' hold strings"),
    "no-samples": (_with(image=np.zeros((0, 8, 8, 3), "float32"), text=np.zeros((0, 6), "int32"), y=np.zeros(0)),
                   "no samples"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGED))
def test_unusable_npz_is_one_input_error_naming_the_array(saved, tmp_path, damage):
    model_path, spec = saved
    write, says = DAMAGED[damage]
    data_path = tmp_path / f"{damage}.npz"
    write(data_path)
    before = data_path.read_bytes()
    with pytest.raises(InputError) as caught:
        fusiondoctor.check(model_path, data=data_path, settings=Settings())
    message = str(caught.value)
    assert "\n" not in message and says in message, message
    assert data_path.read_bytes() == before, "the data file changed"


@pytest.mark.parametrize("command, damage", [("check", "truncated"), ("check", "wrong-shape"),
                                             ("fix", "wrong-shape"), ("fix", "strings")])
def test_cli_refuses_unusable_data_with_exit_2_and_one_line(saved, tmp_path, command, damage):
    model_path, _ = saved
    write, says = DAMAGED[damage]
    data_path = tmp_path / f"{damage}.npz"
    write(data_path)
    extra = ("--epochs", "1", "--seeds", "1", "--quiet") if command == "fix" else ()
    run = run_cli(command, model_path, "--data", data_path, *extra)
    assert run.code == 2, (run.code, run.stderr[-2000:])
    assert len(run.stderr_lines) == 1 and run.stderr_lines[0].startswith("fusiondoctor: error: "), run.stderr
    assert says in run.stderr and "Traceback" not in run.stderr, run.stderr


def test_array_and_dict_forms_are_validated_too(saved):
    _, spec = saved
    good = good_arrays()
    image, text, y = good["image"], good["text"], good["y"]
    cases = {
        "ragged list": (([image, [[1, 2], [3]]], y), "'text' cannot be read as one array"),
        "dict with a wrong shape": (({"image": image[:, :4], "text": text}, y), "'image' has shape"),
        "labels as objects": (([image, text], np.array([{"a": 1}] * N, dtype=object)), "labels 'y' hold Python"),
        "scalar labels": (([image, text], 3), "labels 'y' are a single value"),
        "None input": (([None, text], y), "'image' is a single value"),
    }
    for name, (data, says) in cases.items():
        with pytest.raises(InputError) as caught:
            make_probe_data(data, spec)
        assert says in str(caught.value), f"{name}: {caught.value}"


def test_rank_off_by_a_trailing_one_is_accepted_as_keras_accepts_it(keras3):
    """Keras adds or drops a trailing dimension of 1: (n,) data for an Input((1,)) runs."""
    one = keras3.Input((1,), name="one")
    model = keras3.Model(one, keras3.layers.Dense(1, activation="sigmoid")(one))
    spec = fusiondoctor.load_model_spec(model)
    data = make_probe_data((np.zeros(8, "float32"), np.zeros(8)), spec)
    assert data.n == 8
    model(data.inputs["one"])  # and Keras runs it


def _faulty(path):
    """Usable but wrong: NaN in some images, token ids beyond the Embedding in some captions."""
    arrays = good_arrays()
    arrays["image"][:4, 0, 0, 0] = np.nan
    arrays["text"][8:12, 0] = VOCABULARY + 7
    np.savez(path, **arrays)


def test_usable_but_wrong_data_is_a_finding_without_library_warnings(saved, tmp_path):
    model_path, _ = saved
    data_path = tmp_path / "faulty.npz"
    _faulty(data_path)
    run = run_cli("check", model_path, "--data", data_path, "--format", "json")
    assert run.code == 1, (run.code, run.stderr[-2000:])
    assert run.stderr.strip() == "", f"warnings leaked to the terminal:\n{run.stderr[-2000:]}"
    report = run.json
    codes = {f["code"] for f in report["findings"]}
    assert {"FD507", "FD508"} <= codes, codes
    assert not report.get("errors"), report.get("errors")


def test_fix_refuses_data_it_cannot_train_on(saved, tmp_path):
    model_path, _ = saved
    data_path = tmp_path / "faulty.npz"
    _faulty(data_path)
    run = run_cli("fix", model_path, "--data", data_path, "--epochs", "1", "--seeds", "1", "--quiet")
    assert run.code == 2, (run.code, run.stderr[-2000:])
    assert len(run.stderr_lines) == 1 and "input 'image' holds NaN" in run.stderr, run.stderr


def test_a_zip_bomb_npz_is_refused_before_it_is_decompressed(saved, tmp_path, monkeypatch):
    """An .npz whose members inflate to more than half the machine's memory is refused from the
    zip directory, before numpy reads a byte. The directory's sizes stand in for a real bomb (which
    takes a minute to write), and the machine is taken to have 4 GiB (a zip32 size field holds
    less than 4 GiB)."""
    from fusiondoctor.probes import data as probe_data
    from tests import fuzz_corpus as fc

    model_path, _ = saved
    monkeypatch.setattr(probe_data, "_memory_bytes", lambda: 4 * 2**30)
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, **good_arrays())
    fc.set_member_sizes(path, "image.npy", 2**32 - 1)
    with pytest.raises(InputError, match="more than half this machine's memory"):
        fusiondoctor.check(model_path, data=path, settings=Settings())


def test_fix_refuses_labels_the_loss_cannot_take(saved, tmp_path):
    """One-hot rows into sparse categorical crossentropy: every run would fail ("the baseline did not
    train", exit 1, before); now one line naming the loss, exit 2. check --data reports it (FD504)."""
    model_path, _ = saved
    arrays = good_arrays()
    data_path = tmp_path / "onehot.npz"
    np.savez(data_path, **{**arrays, "y": np.eye(3)[arrays["y"]]})
    run = run_cli("fix", model_path, "--data", data_path, "--epochs", "1", "--seeds", "1", "--quiet")
    assert run.code == 2, (run.code, run.stderr[-2000:])
    assert len(run.stderr_lines) == 1, run.stderr
    assert "cannot compute sparse_categorical_crossentropy on these labels" in run.stderr, run.stderr


def test_fix_keeps_labels_aligned_when_probing_takes_fewer_samples(saved, monkeypatch):
    """When the probes' time budget makes them keep fewer samples, the trials train on those
    samples with their own labels (they took the labels of all samples before: a length mismatch)."""
    from fusiondoctor.probes.probes import MIN_SAMPLES, Probes
    from fusiondoctor.trials import confirm as confirm_module

    class Hurried(Probes):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{**kwargs, "budget_seconds": 1e-9})

    monkeypatch.setattr(confirm_module, "Probes", Hurried)
    model_path, _ = saved
    rng = np.random.default_rng(3)
    n = MIN_SAMPLES + 36
    data = ([rng.random((n, 8, 8, 3)).astype("float32"), rng.integers(0, VOCABULARY, (n, 6)).astype("int32")],
            rng.integers(0, 3, n))
    result = confirm_module.confirm(model_path, data, epochs=1, seeds=1, progress=False, select=("FD501",))
    assert result.baseline.runs and all(r.complete for r in result.baseline.runs), result.baseline.runs
