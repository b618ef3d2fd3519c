"""Histories where Keras users keep them: a pandas DataFrame, a ``df.to_csv()`` file, an MLflow run.

One real tiny training run (a softmax over one unit: accuracy frozen at the class share, the
seed-000 fingerprint) is read as its History JSON, as ``pd.DataFrame(history.history)`` with and
without an epoch column or index, as the DataFrame's CSV, and as the run ``mlflow.keras.autolog``
recorded in a SQLite store: every form must give the same series and the same findings. The MLflow
tests run wherever MLflow is installed (the ``test`` extra brings it); the parsing and error tests
need neither Keras nor MLflow.
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import fusiondoctor
from fusiondoctor import InputError
from fusiondoctor.history import read_history
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent


def series(spec) -> dict:
    """name -> (epochs, values) with NaN made comparable."""
    return {name: (s.epochs, tuple("nan" if math.isnan(v) else v for v in s.values)) for name, s in spec.series.items()}


def findings(report) -> list:
    return [(f.code, f.location.metric, f.location.epoch, f.message, dict(f.evidence)) for f in report.findings]


def check(history):
    return fusiondoctor.check(history=history, settings=fusiondoctor.Settings())


def fit_stuck_model(keras, callbacks=(), epochs: int = 6):
    """A real fit whose accuracy freezes: Dense(1, softmax) on binary labels (fixed seeds)."""
    import numpy as np

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="softmax")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model.fit(x[:48], y[:48], validation_data=(x[48:], y[48:]), epochs=epochs, batch_size=16, verbose=0,
                     callbacks=list(callbacks))


# ---- a real run, every form -----------------------------------------------------------------


@pytest.fixture(scope="module")
def stuck_run(keras3, tmp_path_factory):
    folder = tmp_path_factory.mktemp("stuck-run")
    history = fit_stuck_model(keras3, [keras3.callbacks.CSVLogger(str(folder / "training.log"))])
    keras3.backend.clear_session()
    (folder / "history.json").write_text(json.dumps(history.history))
    return history, folder


@pytest.mark.live
def test_dataframe_forms_read_like_the_history_json(stuck_run):
    history, folder = stuck_run
    reference = read_history(folder / "history.json")
    assert check(folder / "history.json").codes(), "the stuck run must give findings to compare"
    frame = pd.DataFrame(history.history)
    forms = {
        "default index": frame,
        "epoch column": frame.assign(epoch=history.epoch),
        "index named epoch": frame.rename_axis("epoch"),
        "CSVLogger read by pandas": pd.read_csv(folder / "training.log"),
    }
    for label, form in forms.items():
        spec = read_history(form)
        assert spec.format == "dataframe", label
        assert series(spec) == series(reference), label
        assert findings(check(form)) == findings(check(folder / "history.json")), label


@pytest.mark.live
def test_dataframe_csv_reads_like_the_history_json(stuck_run, tmp_path):
    history, folder = stuck_run
    reference = read_history(folder / "history.json")
    frame = pd.DataFrame(history.history)
    written = {"to_csv()": tmp_path / "with-index.csv", "to_csv(index=False)": tmp_path / "no-index.csv",
               "epoch column, to_csv()": tmp_path / "epoch.csv"}
    frame.to_csv(written["to_csv()"])
    frame.to_csv(written["to_csv(index=False)"], index=False)
    frame.assign(epoch=history.epoch).to_csv(written["epoch column, to_csv()"])
    assert written["to_csv()"].read_text().startswith(","), "pandas writes its index under an empty header"
    for label, path in written.items():
        assert series(read_history(path)) == series(reference), label
        assert findings(check(path)) == findings(check(folder / "history.json")), label
    result = run_cli("check", "--history", written["to_csv()"], "--format", "json")
    expected = run_cli("check", "--history", folder / "history.json", "--format", "json")
    assert result.code == expected.code == 1, result.stderr
    assert [f["code"] for f in result.json["findings"]] == [f["code"] for f in expected.json["findings"]]


@pytest.fixture(scope="module")
def freq2_log(keras3, tmp_path_factory):
    """CSVLogger of a real fit validating every 2nd epoch: NA cells on the other epochs."""
    import numpy as np

    folder = tmp_path_factory.mktemp("freq2")
    keras3.utils.set_random_seed(0)
    x = np.random.default_rng(1).normal(size=(48, 4)).astype("float32")
    y = (x[:, 1] > 0).astype("float32")
    model = keras3.Sequential([keras3.Input((4,)), keras3.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(x[:32], y[:32], validation_data=(x[32:], y[32:]), validation_freq=2, epochs=6, batch_size=16,
                        verbose=0, callbacks=[keras3.callbacks.CSVLogger(str(folder / "training.log"))])
    keras3.backend.clear_session()
    return history, folder / "training.log"


@pytest.mark.live
def test_validation_freq_gaps_read_by_pandas_are_epochs_without_validation(freq2_log, tmp_path):
    history, log = freq2_log
    frame = pd.read_csv(log)
    assert frame["val_loss"].isna().sum() == 3, "pandas reads CSVLogger's NA cells as NaN"
    for form in (frame, _to_csv(frame, tmp_path / "again.csv")):
        spec = read_history(form)
        assert spec.get("val_loss").epochs == (1, 3, 5)
        assert spec.get("val_loss").values == pytest.approx(history.history["val_loss"], rel=1e-6)
        assert not any(f.code == "FD305" for f in check(form).findings), "an epoch without validation is no NaN loss"


def _to_csv(frame, path: Path) -> Path:
    frame.to_csv(path)
    return path


# ---- DataFrame parsing and errors (no Keras) ----------------------------------------------------


def test_dataframe_keeps_nan_as_nan():
    frame = pd.DataFrame({"loss": [2.3, 1.9, float("nan"), float("nan")], "val_loss": [2.2, 2.0, float("nan"), 1.0]})
    spec = read_history(frame)
    assert spec.get("loss").epochs == (0, 1, 2, 3) and math.isnan(spec.get("loss").values[2])
    assert math.isnan(spec.get("val_loss").values[2]), "a NaN that is no validation_freq gap stays NaN"
    (fd305,) = [f for f in check(frame).findings if f.code == "FD305" and f.location.metric == "loss"]
    assert fd305.location.epoch == 2


def test_dataframe_csv_empty_cells_are_nan(tmp_path):
    """pandas writes NaN as an empty cell: in its CSV that is NaN again, not a missing epoch."""
    frame = pd.DataFrame({"loss": [2.3, 1.9, float("nan"), float("nan")]})
    path = _to_csv(frame, tmp_path / "nan.csv")
    assert series(read_history(path)) == series(read_history(frame))


def test_dataframe_epoch_column_numbers_the_rows():
    frame = pd.DataFrame({"epoch": [10, 11, 12], "loss": [0.9, 0.8, 0.7]})
    assert read_history(frame).get("loss").epochs == (10, 11, 12)
    assert read_history(frame.set_index("epoch")).get("loss").epochs == (10, 11, 12)
    assert "epoch" not in read_history(frame).names()


def test_integer_and_nullable_columns_are_numbers():
    frame = pd.DataFrame({"loss": [3, 2, 1], "accuracy": pd.array([0.5, None, 0.7], dtype="Float64")})
    spec = read_history(frame)
    assert spec.get("loss").values == (3.0, 2.0, 1.0)
    assert math.isnan(spec.get("accuracy").values[1])


BAD_FRAMES = {
    "text column": (lambda: pd.DataFrame({"loss": [0.5, 0.4], "optimizer": ["adam", "adam"]}), "'optimizer' holds"),
    "boolean column": (lambda: pd.DataFrame({"loss": [True, False]}), "'loss' holds bool"),
    "integer column names": (lambda: pd.DataFrame([[0.5, 0.4]]), "column name 0 is not a string"),
    "two header levels": (lambda: pd.DataFrame([[0.5, 0.4]], columns=pd.MultiIndex.from_product([["a"], ["b", "c"]])),
                          "several levels"),
    "no rows": (lambda: pd.DataFrame({"loss": []}), "holds no metric values"),
    "a Series": (lambda: pd.Series([0.5, 0.4], name="loss"), "a pandas Series holds one metric"),
    "an Index": (lambda: pd.Index([0.5, 0.4]), "is not a table of metrics"),
}


@pytest.mark.parametrize("kind", sorted(BAD_FRAMES))
def test_bad_pandas_objects_are_one_line_input_errors(kind):
    make, expected = BAD_FRAMES[kind]
    with pytest.raises(InputError) as caught:
        read_history(make())
    assert expected in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(InputError):
        check(make())


def test_reading_a_dataframe_is_light():
    """A DataFrame is recognized without fusiondoctor importing pandas itself."""
    code = ("import sys, fusiondoctor\nfrom fusiondoctor.history import read_history\n"
            "read_history({'loss': [1.0, 0.5]})\nprint('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


# ---- MLflow ---------------------------------------------------------------------------------


@dataclass
class Store:
    mlflow: Any
    uri: str
    experiment: str


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """MLflow with a SQLite store of this module's own (MLflow 3 refuses the old ./mlruns file store
    by default; one store, as creating its tables takes seconds) and artifacts beside it, set the way
    users set it: ``mlflow.set_tracking_uri``."""
    mlflow = pytest.importorskip("mlflow")
    folder = tmp_path_factory.mktemp("mlflow")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)  # set_tracking_uri sets it; restored after
        uri = f"sqlite:///{folder / 'mlflow.db'}"
        mlflow.set_tracking_uri(uri)
        artifacts = (folder / "artifacts").as_uri()
        experiment = mlflow.tracking.MlflowClient().create_experiment("fusiondoctor", artifact_location=artifacts)
        yield Store(mlflow, uri, experiment)
        mlflow.set_tracking_uri(None)


def cli_env(uri: str) -> dict:
    return {**os.environ, "MLFLOW_TRACKING_URI": uri}


def run_cli_env(*args, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fusiondoctor", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=180, cwd=ROOT)


@pytest.mark.live
def test_mlflow_autolog_run_reads_like_its_history(store, keras3, tmp_path):
    mlflow = store.mlflow
    mlflow.keras.autolog(log_models=False, log_datasets=False, silent=True)
    try:
        with mlflow.start_run(experiment_id=store.experiment) as run:
            history = fit_stuck_model(keras3)
    finally:
        mlflow.keras.autolog(disable=True)
        keras3.backend.clear_session()
    logged = mlflow.tracking.MlflowClient().get_run(run.info.run_id).data.metrics
    assert {"validation_loss", "val_loss", "loss"} <= set(logged), "autolog's own metric names, as read from the store"
    reference = f"mlflow:{run.info.run_id}"
    spec = read_history(reference)
    assert spec.format == "mlflow" and spec.source == reference
    assert series(spec) == series(read_history(history.history)), "autolog's validation_* copies must be left out"
    assert findings(check(reference)) == findings(check(history.history))
    assert check(reference).codes(), "the stuck run must give findings to compare"

    # the command line, with the tracking URI from the environment
    (tmp_path / "history.json").write_text(json.dumps(history.history))
    result = run_cli_env("check", "--history", reference, "--format", "json", env=cli_env(store.uri))
    expected = run_cli("check", "--history", tmp_path / "history.json", "--format", "json")
    assert result.returncode == expected.code == 1, result.stderr
    got = [(f["code"], f["location"].get("metric"), f["message"]) for f in json.loads(result.stdout)["findings"]]
    assert got == [(f["code"], f["location"].get("metric"), f["message"]) for f in expected.json["findings"]]
    assert json.loads(result.stdout)["subjects"] == [reference]


def log_run(store: Store, metrics: dict, params: dict | None = None, steps: bool = True) -> str:
    """A run logged with log_metric, one value per epoch (step=epoch, or no step at all)."""
    mlflow = store.mlflow
    with mlflow.start_run(experiment_id=store.experiment) as run:
        if params:
            mlflow.log_params(params)
        for name, values in metrics.items():
            for epoch, value in enumerate(values):
                if steps:
                    mlflow.log_metric(name, value, step=epoch)
                else:
                    mlflow.log_metric(name, value, timestamp=1_700_000_000_000 + epoch)
    return run.info.run_id


def test_mlflow_log_metric_per_epoch(store):
    metrics = {"loss": [0.9, 0.7, 0.6, 0.55], "val_loss": [0.95, 0.8, 0.8, 0.9], "accuracy": [0.5, 0.6, 0.7, 0.75]}
    spec = read_history("mlflow:" + log_run(store, metrics, {"epochs": "4"}))
    assert series(spec) == series(read_history(metrics))


def test_mlflow_metrics_logged_without_steps_keep_their_order(store):
    metrics = {"loss": [0.9, 0.7, 0.6, 0.55], "val_loss": [0.95, 0.85]}  # validated every 2nd epoch
    spec = read_history("mlflow:" + log_run(store, metrics, steps=False))
    assert spec.get("loss").values == (0.9, 0.7, 0.6, 0.55) and spec.get("loss").epochs == (0, 1, 2, 3)
    assert spec.get("val_loss").epochs == (1, 3), "a shorter series is placed as validation_freq places it"


def test_mlflow_system_metrics_and_per_step_metrics(store):
    run = log_run(store, {"loss": [0.9, 0.8], "system/cpu_utilization_percentage": [10.0, 12.0]})
    assert read_history("mlflow:" + run).names() == ["loss"]
    per_step = log_run(store, {"loss": [0.9 - 0.01 * i for i in range(12)]}, {"epochs": "3"})
    with pytest.raises(InputError, match="logged per training step"):
        read_history("mlflow:" + per_step)


def test_mlflow_errors_are_one_line(store, tmp_path):
    log_run(store, {"loss": [0.5]})
    env = cli_env(store.uri)
    unknown = ("mlflow:0123456789abcdef", "no run '0123456789abcdef'")
    for reference, expected in (unknown, ("mlflow:", "give the run's id")):
        with pytest.raises(InputError, match=expected):
            read_history(reference)
        result = run_cli_env("check", "--history", reference, env=env)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.returncode == 2 and len(lines) == 1 and expected in lines[0], result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""

    missing = tmp_path / "elsewhere" / "mlflow.db"
    result = run_cli_env("check", "--history", "mlflow:abc", env=cli_env(f"sqlite:///{missing}"))
    assert result.returncode == 2 and "no MLflow store at" in result.stderr, result.stderr
    assert not missing.exists() and not missing.parent.exists(), "reading must never create a store"


def test_mlflow_unreachable_server_is_one_line_error(store):
    with socket.socket() as probe:  # a loopback port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**cli_env(f"http://127.0.0.1:{port}"), "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"}  # the user's setting wins
    result = run_cli_env("check", "--history", "mlflow:abc", env=env)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "cannot read the MLflow store" in lines[0] and "Traceback" not in result.stderr


def test_mlflow_not_installed_says_how_to_install():
    code = ("import sys\nsys.modules['mlflow'] = None  # as if MLflow were not installed\n"
            "from fusiondoctor import cli\nsys.exit(cli.main(['check', '--history', 'mlflow:abc']))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 2 and "pip install 'fusiondoctor[mlflow]'" in result.stderr, result.stderr
    assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1
