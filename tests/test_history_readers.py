"""History readers: every format a training history comes in, read into one HistorySpec.

JSON (a dict of lists, a list of per-epoch dicts, a ``{"history": ...}`` wrapper), CSVLogger CSV
(any separator, empty or ``NA`` validation cells), TensorBoard log directories and a live
``keras.callbacks.History``; NaN and infinity; validation run every n epochs; and bad input,
which must raise ``fusiondoctor.InputError`` with one line that names the file -- and, through
the CLI, exit 2 with exactly one line on stderr.

Only the tests marked ``live`` need Keras. TensorBoard event files for the other tests are written
with the tensorboard package alone, in a subprocess (so no test imports TensorFlow by accident).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import fusiondoctor
from fusiondoctor import InputError
from fusiondoctor.history import HistorySpec, read_history
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def series(spec: HistorySpec) -> dict:
    """name -> (epochs, values), for comparing whole specs at once."""
    return {name: (s.epochs, s.values) for name, s in spec.series.items()}


def same(a, b, rel=1e-6) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if math.isnan(x) or math.isnan(y):
            if not (math.isnan(x) and math.isnan(y)):
                return False
        elif not (x == y or math.isclose(x, y, rel_tol=rel)):
            return False
    return True


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


LOSS = [0.9, 0.7, 0.55, 0.5]
VAL_LOSS = [0.95, 0.8, 0.7, 0.72]
ACC = [0.5, 0.6, 0.7, 0.75]
EXPECTED = {"loss": ((0, 1, 2, 3), tuple(LOSS)), "val_loss": ((0, 1, 2, 3), tuple(VAL_LOSS)),
            "accuracy": ((0, 1, 2, 3), tuple(ACC))}


# ---- JSON -----------------------------------------------------------------------------------


def test_json_dict_of_lists(tmp_path):
    path = write(tmp_path / "history.json", json.dumps({"loss": LOSS, "val_loss": VAL_LOSS, "accuracy": ACC}))
    spec = read_history(path)
    assert spec.format == "json" and spec.source == str(path)
    assert series(spec) == EXPECTED
    assert spec.n_epochs == 4


def test_json_list_of_epoch_dicts(tmp_path):
    rows = [{"epoch": e, "loss": LOSS[e], "val_loss": VAL_LOSS[e], "accuracy": ACC[e]} for e in range(4)]
    spec = read_history(write(tmp_path / "epochs.json", json.dumps(rows)))
    assert "epoch" not in spec.names()
    assert series(spec) == EXPECTED


def test_json_history_wrapper(tmp_path):
    dumped = {"history": {"loss": LOSS, "val_loss": VAL_LOSS, "accuracy": ACC}, "params": {"epochs": 4, "steps": 10}}
    spec = read_history(write(tmp_path / "wrapped.json", json.dumps(dumped)))
    assert series(spec) == EXPECTED


def test_python_dict_and_history_like_object():
    spec = read_history({"loss": LOSS, "val_loss": VAL_LOSS, "accuracy": ACC})
    assert spec.format == "dict" and series(spec) == EXPECTED

    class FakeHistory:  # anything with a .history mapping, as keras.callbacks.History
        history = {"loss": LOSS, "val_loss": VAL_LOSS, "accuracy": ACC}

    spec = read_history(FakeHistory())
    assert spec.format == "history" and series(spec) == EXPECTED


def test_json_nan_and_infinity(tmp_path):
    # Python's json writes float('nan') / float('inf') as NaN / Infinity; scripts also write strings
    text = '{"loss": [0.7, NaN, Infinity, -Infinity, "nan", "inf", "-inf", null]}'
    values = read_history(write(tmp_path / "nan.json", text)).get("loss").values
    assert values[0] == 0.7
    assert math.isnan(values[1]) and values[2] == math.inf and values[3] == -math.inf
    assert math.isnan(values[4]) and values[5] == math.inf and values[6] == -math.inf and math.isnan(values[7])


def test_json_nan_loss_is_reported_by_fd305(tmp_path):
    path = write(tmp_path / "nan.json", json.dumps({"loss": [2.3, 1.9, float("nan"), float("nan")]}))
    report = fusiondoctor.check(history=path, settings=fusiondoctor.Settings())
    (finding,) = [f for f in report.findings if f.code == "FD305"]
    assert finding.location.epoch == 2


# ---- validation every n epochs --------------------------------------------------------------


@pytest.mark.parametrize("epochs, val_epochs", [(6, (1, 3, 5)), (4, (1, 3)), (8, (1, 3, 5, 7))])
def test_shorter_validation_lists_are_placed_at_every_nth_epoch(epochs, val_epochs):
    """validation_freq=2: Keras validates after the 2nd, 4th, 6th epoch (0-based 1, 3, 5)."""
    spec = read_history({"loss": [1.0 / (e + 1) for e in range(epochs)], "val_loss": [0.9] * len(val_epochs)})
    assert spec.get("val_loss").epochs == val_epochs
    assert spec.get("loss").epochs == tuple(range(epochs))


def test_validation_freq_with_an_odd_number_of_epochs():
    spec = read_history({"loss": [1.0, 0.8, 0.7, 0.6, 0.5], "val_loss": [0.85, 0.65]})
    assert spec.get("val_loss").epochs == (1, 3)


# ---- CSV ------------------------------------------------------------------------------------


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_csvlogger_csv(separator, tmp_path):
    header = separator.join(["epoch", "accuracy", "loss", "val_loss"])
    rows = [separator.join([str(e), str(ACC[e]), str(LOSS[e]), str(VAL_LOSS[e])]) for e in range(4)]
    spec = read_history(write(tmp_path / "training.log", "\n".join([header, *rows]) + "\n"))
    assert spec.format == "csv"
    assert series(spec) == EXPECTED


def test_csv_without_epoch_column_and_with_blank_lines(tmp_path):
    text = "loss,val_loss,accuracy\n" + "\n".join(f"{LOSS[e]},{VAL_LOSS[e]},{ACC[e]}\n" for e in range(4))
    assert series(read_history(write(tmp_path / "log.csv", text))) == EXPECTED


def test_csv_empty_validation_cells_are_epochs_without_validation(tmp_path):
    text = "epoch,loss,val_loss\n0,1.0,\n1,0.8,0.85\n2,0.7,\n3,0.6,0.66\n"
    spec = read_history(write(tmp_path / "log.csv", text))
    assert spec.get("val_loss").epochs == (1, 3) and spec.get("val_loss").values == (0.85, 0.66)
    assert spec.get("loss").epochs == (0, 1, 2, 3)


def test_csvlogger_na_cells_with_validation_freq(tmp_path):
    text = ("epoch,accuracy,loss,val_accuracy,val_loss\n0,0.56,0.678,NA,NA\n1,0.56,0.677,0.56,0.676\n"
            "2,0.56,0.676,NA,NA\n3,0.56,0.675,0.56,0.674\n")
    spec = read_history(write(tmp_path / "training.log", text))
    assert spec.get("val_loss").epochs == (1, 3)


def test_csv_nan_and_infinity_cells(tmp_path):
    text = "epoch,loss\n0,0.7\n1,nan\n2,inf\n3,-inf\n4,NaN\n5,Infinity\n"
    values = read_history(write(tmp_path / "log.csv", text)).get("loss").values
    assert values[0] == 0.7 and math.isnan(values[1]) and values[2] == math.inf and values[3] == -math.inf
    assert math.isnan(values[4]) and values[5] == math.inf


def test_csv_keeps_a_nan_validation_loss(tmp_path):
    text = "epoch,loss,val_loss\n0,2.1,2.0\n1,nan,nan\n2,nan,nan\n"
    spec = read_history(write(tmp_path / "log.csv", text))
    assert spec.get("val_loss").epochs == (0, 1, 2)
    report = fusiondoctor.check(history=spec, settings=fusiondoctor.Settings())
    assert {f.location.metric for f in report.findings if f.code == "FD305"} == {"loss", "val_loss"}


# ---- TensorBoard, without Keras -------------------------------------------------------------

#: Writes TensorBoard event files with the tensorboard package alone: the train run as TF2-style
#: tensor summaries (what Keras' callback writes), the validation run as TF1-style simple values.
WRITE_EVENTS = """
import sys, time, types
sys.modules["tensorboard.compat.notf"] = types.ModuleType("tensorboard.compat.notf")
from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter
folder, train, val = sys.argv[1], [float(v) for v in sys.argv[2].split(",")], [float(v) for v in sys.argv[3].split(",")]
scalars = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
def tensor(tag, value):
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[value],
                                   tensor_shape=tensor_shape_pb2.TensorShapeProto())
    return summary_pb2.Summary.Value(tag=tag, tensor=proto, metadata=scalars)
writer = EventFileWriter(folder + "/train")
for step, value in enumerate(train):
    values = [tensor("epoch_loss", value), tensor("batch_loss", 99.0)]
    writer.add_event(event_pb2.Event(wall_time=time.time(), step=step, summary=summary_pb2.Summary(value=values)))
writer.close()
writer = EventFileWriter(folder + "/validation")
for step, value in enumerate(val):
    values = [summary_pb2.Summary.Value(tag="epoch_loss", simple_value=value)]
    writer.add_event(event_pb2.Event(wall_time=time.time(), step=step, summary=summary_pb2.Summary(value=values)))
writer.close()
assert "tensorflow" not in sys.modules
"""


@pytest.fixture(scope="module")
def event_logs(tmp_path_factory) -> Path:
    pytest.importorskip("tensorboard")
    folder = tmp_path_factory.mktemp("tensorboard")
    proc = subprocess.run([sys.executable, "-c", WRITE_EVENTS, str(folder), ",".join(map(str, LOSS)),
                           ",".join(map(str, VAL_LOSS))], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return folder


def read_in_subprocess(path: Path) -> dict:
    """Read a history in a fresh interpreter the way the command line does (its process is its own,
    so it reads TensorBoard logs with tensorboard's TensorFlow stub): what it holds, and which
    heavy modules that imported."""
    proc = run_python(f"""
        import json, sys
        from fusiondoctor.history import read_history, readers
        readers.AVOID_TENSORFLOW = True  # what fusiondoctor.cli.main sets in a fresh process
        spec = read_history({str(path)!r})
        print(json.dumps({{"format": spec.format, "source": spec.source,
                          "series": {{n: [list(s.epochs), list(s.values)] for n, s in spec.series.items()}},
                          "heavy": sorted(m for m in ("tensorflow", "keras", "tf_keras") if m in sys.modules)}}))
    """)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_tensorboard_logdir(event_logs):
    result = read_in_subprocess(event_logs)
    assert result["format"] == "tensorboard"
    found = result["series"]
    assert sorted(found) == ["loss", "val_loss"], "batch_* tags must be left out, validation/ prefixed val_"
    assert found["loss"][0] == [0, 1, 2, 3] and same(found["loss"][1], LOSS)
    assert found["val_loss"][0] == [0, 1, 2, 3] and same(found["val_loss"][1], VAL_LOSS)


def test_tensorboard_event_file_path_reads_its_folder(event_logs):
    (event_file,) = (event_logs / "train").glob("events.out.tfevents.*")
    result = read_in_subprocess(event_file)
    assert result["format"] == "tensorboard" and same(result["series"]["loss"][1], LOSS)


def test_tensorboard_reader_does_not_import_tensorflow(event_logs):
    result = read_in_subprocess(event_logs)
    assert result["heavy"] == [], f"reading TensorBoard logs imported {result['heavy']}"
    assert same(result["series"]["loss"][1], LOSS)


# ---- bad input ------------------------------------------------------------------------------

BAD_INPUTS = {
    "empty file": ("history.json", "", "empty history file"),
    "blank file": ("history.csv", " \n\n", "empty history file"),
    "string in a JSON list": ("history.json", '{"loss": [0.5, "abc", 0.3]}', "holds 'abc', not a number"),
    "string in a CSV cell": ("log.csv", "epoch,loss\n0,0.5\n1,abc\n", "holds 'abc', not a number"),
    "booleans": ("history.json", '{"loss": [true, false, true]}', "holds a boolean"),
    "metric not a list": ("history.json", '{"loss": "0.5 0.4"}', "not a list of numbers"),
    "JSON not a mapping": ("history.json", "[1, 2, 3]", "must map metric names to lists"),
    "invalid JSON": ("history.json", '{"loss": [0.5,', "not valid JSON"),
    "CSV row longer than header": ("log.csv", "epoch,loss\n0,0.5\n1,0.4,0.3\n", "more cells than the header"),
    "CSV header only": ("log.csv", "epoch,loss,val_loss\n", "needs a header row and at least one epoch"),
    "no metric values": ("history.json", '{"loss": []}', "holds no metric values"),
}


def make_bad(kind: str, tmp_path: Path) -> Path:
    if kind == "missing path":
        return tmp_path / "no-such-history.json"
    if kind == "directory without event files":
        folder = tmp_path / "logs"
        (folder / "train").mkdir(parents=True)
        (folder / "train" / "notes.txt").write_text("not an event file")
        return folder
    if kind == "binary file":
        path = tmp_path / "history.bin"
        path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x01")
        return path
    name, text, _ = BAD_INPUTS[kind]
    return write(tmp_path / name, text)


BAD_KINDS = {**{k: v[2] for k, v in BAD_INPUTS.items()},
             "missing path": "no such file or directory",
             "directory without event files": "no TensorBoard event files",
             "binary file": "not a text history file"}


def input_error_message(path: Path) -> str:
    """The InputError message for ``path``, from read_history and from fusiondoctor.check. Folders
    are read in a subprocess, like all TensorBoard logs here (see read_in_subprocess)."""
    if path.is_dir():
        proc = run_python(f"""
            import fusiondoctor
            from fusiondoctor.history import read_history
            for read in (read_history, lambda p: fusiondoctor.check(history=p, settings=fusiondoctor.Settings())):
                try:
                    read({str(path)!r})
                except fusiondoctor.InputError as exc:
                    print(repr(str(exc)))
                else:
                    print("no InputError")
        """)
        assert proc.returncode == 0, proc.stderr
        first, second = proc.stdout.strip().splitlines()[-2:]
        assert first == second, (first, second)
        return eval(first)  # noqa: S307 - the repr of a str we printed ourselves
    with pytest.raises(InputError) as caught:
        read_history(path)
    with pytest.raises(InputError) as again:  # the public API raises the same error
        fusiondoctor.check(history=path, settings=fusiondoctor.Settings())
    assert str(again.value) == str(caught.value)
    return str(caught.value)


@pytest.mark.parametrize("kind", sorted(BAD_KINDS))
def test_bad_input_raises_input_error_with_one_line(kind, tmp_path):
    path = make_bad(kind, tmp_path)
    message = input_error_message(path)
    assert "\n" not in message, message
    assert BAD_KINDS[kind] in message, message
    assert message.startswith(str(path)), f"the message does not name the input: {message}"


@pytest.mark.parametrize("obj", [42, ["loss", 0.5], {1: [0.5]}, {"loss": {"a": 1}}])
def test_objects_that_are_not_histories(obj):
    with pytest.raises(InputError) as caught:
        read_history(obj)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("kind", sorted(BAD_KINDS))
def test_cli_bad_history_exits_2_with_one_stderr_line(kind, tmp_path):
    path = make_bad(kind, tmp_path)
    run = run_cli("check", "--history", str(path), cwd=tmp_path)
    assert run.code == 2, (run.code, run.stdout, run.stderr)
    assert "Traceback" not in run.stderr, run.stderr
    assert len(run.stderr_lines) == 1, run.stderr
    assert BAD_KINDS[kind] in run.stderr_lines[0]
    assert run.stdout.strip() == "", "nothing may be reported on a history that could not be read"


def test_cli_reads_a_good_history(tmp_path):
    path = write(
        tmp_path / "history.json", json.dumps({"loss": [0.9, 0.9, 0.9, 0.9, 0.9], "val_loss": [1, 1, 1, 1, 1]})
    )
    run = run_cli("check", "--history", str(path), "--format", "json", cwd=tmp_path)
    assert run.code == 1, run.stderr
    assert "FD307" in run.stdout
    assert "Traceback" not in run.stderr


# ---- live: what Keras itself writes ------------------------------------------------------------


@pytest.fixture(scope="module")
def keras_run(keras3, tmp_path_factory):
    """A tiny fit with CSVLogger and TensorBoard attached, validating every epoch, and one with
    ``validation_freq=2`` over 6 epochs."""
    import numpy as np

    folder = tmp_path_factory.mktemp("keras-run")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    runs = {}
    for name, freq in (("every", 1), ("freq2", 2)):
        keras3.utils.set_random_seed(0)
        model = keras3.Sequential([keras3.Input((4,)), keras3.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        log, logdir = folder / f"{name}.csv", folder / f"{name}-tb"
        history = model.fit(x[:48], y[:48], validation_data=(x[48:], y[48:]), validation_freq=freq, epochs=6,
                            batch_size=16, verbose=0,
                            callbacks=[keras3.callbacks.CSVLogger(str(log)), keras3.callbacks.TensorBoard(str(logdir))])
        runs[name] = (history, log, logdir)
    keras3.backend.clear_session()
    return runs


@pytest.mark.live
def test_keras_history_object(keras_run):
    history, _, _ = keras_run["every"]
    spec = read_history(history)
    assert spec.format == "history"
    assert sorted(spec.names()) == sorted(history.history)
    for name, values in history.history.items():
        assert spec.get(name).values == tuple(float(v) for v in values)
        assert spec.get(name).epochs == tuple(range(6))


@pytest.mark.live
def test_keras_csvlogger_and_tensorboard_agree_with_history(keras_run):
    history, log, logdir = keras_run["every"]
    from_csv, from_tb = read_history(log), read_history(logdir)
    assert from_csv.format == "csv" and from_tb.format == "tensorboard"
    for name, values in history.history.items():
        assert same(from_csv.get(name).values, values, rel=1e-12), name
        assert same(from_tb.get(name).values, values, rel=1e-6), name  # TensorBoard stores float32
        assert from_tb.get(name).epochs == tuple(range(6))
    extra = set(from_tb.names()) - set(history.history)
    assert extra <= {"learning_rate"}, f"unexpected TensorBoard series {extra}"


@pytest.mark.live
def test_keras_tensorboard_logs_are_read_without_tensorflow(keras_run):
    _, _, logdir = keras_run["every"]
    result = read_in_subprocess(logdir)
    assert result["heavy"] == [], f"reading Keras' TensorBoard logs imported {result['heavy']}"
    assert {"loss", "val_loss", "accuracy", "val_accuracy"} <= set(result["series"])


@pytest.mark.live
def test_keras_tensorboard_callback_still_works_after_reading_logs(event_logs, tmp_path):
    proc = run_python(f"""
        import numpy as np
        from fusiondoctor.history import read_history
        read_history({str(event_logs)!r})           # e.g. a notebook checks last week's logs first
        import keras
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(np.zeros((4, 2)), np.zeros((4, 1)), epochs=1, verbose=0,
                  callbacks=[keras.callbacks.TensorBoard({str(tmp_path / "logs")!r})])
        print("ok")
    """)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stderr[-2000:]


@pytest.mark.live
def test_keras_validation_freq_history_and_tensorboard(keras_run):
    history, _, logdir = keras_run["freq2"]
    assert len(history.history["val_loss"]) == 3
    for spec in (read_history(history), read_history(history.history), read_history(logdir)):
        assert spec.get("val_loss").epochs == (1, 3, 5), spec.format
        assert spec.get("loss").epochs == tuple(range(6)), spec.format


@pytest.mark.live
def test_keras_validation_freq_csvlogger(keras_run):
    _, log, _ = keras_run["freq2"]
    assert "NA" in log.read_text()
    spec = read_history(log)
    assert spec.get("val_loss").epochs == (1, 3, 5)
