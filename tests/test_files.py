"""Reading model files without TensorFlow: formats, dialects, and one-line errors for bad input."""

from __future__ import annotations

import json
import zipfile

import pytest

import fusiondoctor
from fusiondoctor.errors import InputError
from tests.helpers import run_cli, sha256, tiny_fusion


@pytest.fixture(scope="module")
def saved(tmp_path_factory, keras3):
    folder = tmp_path_factory.mktemp("saved")
    model = tiny_fusion(keras3)
    paths = {"keras": folder / "m.keras", "h5": folder / "m.h5", "json": folder / "m.json"}
    model.save(paths["keras"])
    model.save(paths["h5"])
    paths["json"].write_text(model.to_json())
    return paths


@pytest.mark.parametrize("fmt", ["keras", "h5", "json"])
def test_every_keras3_format_gives_the_same_diagnosis(saved, fmt):
    report = fusiondoctor.check(saved[fmt])
    assert report.codes() == ["FD101"]
    assert report.findings[0].location.layer == "output_layer"


def test_config_without_compile_settings_skips_compile_rules(saved, tmp_path):
    config = json.loads(saved["json"].read_text())
    assert config["compile_config"]["loss"] == "binary_crossentropy"  # Keras 3 to_json keeps compile settings
    del config["compile_config"]
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(config))
    report = fusiondoctor.check(bare)
    assert report.codes() == ["FD101"]
    compile_skips = [s for s in report.skipped if s.code.startswith("FD2")]
    assert {s.code for s in compile_skips} >= {"FD201", "FD203"}
    assert all(s.missing == ("compiled",) for s in compile_skips)


def test_keras2_lstm_file_that_keras3_rejects_is_read(tmp_path, tf_keras, keras3):
    model = tiny_fusion(tf_keras)
    path = tmp_path / "legacy.h5"
    model.save(path)
    with pytest.raises(Exception, match="time_major"):
        keras3.models.load_model(path)  # Keras 3 refuses the tf_keras LSTM config
    spec = fusiondoctor.load_model_spec(path)
    assert spec.keras_major == 2
    lstm = spec.layers["LTSM"]
    assert lstm.class_name == "LSTM" and lstm.config["time_major"] is False
    assert spec.nodes["LTSM"].output_shape == (None, 4)  # inferred: Keras 2 configs record no shapes
    assert fusiondoctor.check(path).codes() == ["FD101"]


def test_reading_never_modifies_the_file(saved):
    for path in saved.values():
        before = sha256(path)
        fusiondoctor.check(path)
        assert sha256(path) == before


def _write_garbage(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "name, make, reason",
    [
        ("missing.h5", None, "no such file"),
        ("model.h5", lambda p: _write_garbage(p, b"this is just text\n" * 10), "not a readable HDF5 file"),
        (
            "corrupt.h5",
            lambda p: _write_garbage(p, b"\x89HDF\r\n\x1a\n" + bytes(range(256)) * 4),
            "not a readable HDF5 file",
        ),
        ("empty.json", lambda p: _write_garbage(p, b""), "empty file"),
        ("list.json", lambda p: _write_garbage(p, b"[1, 2, 3]"), "not a Keras model"),
        ("notmodel.json", lambda p: _write_garbage(p, b'{"hello": "world"}'), "not a Keras model config"),
        ("broken.json", lambda p: _write_garbage(p, b'{"class_name": "Functional", "config": {'), "not valid JSON"),
        (
            "subclassed.json",
            lambda p: _write_garbage(p, b'{"class_name": "MyModel", "config": {"units": 3}}'),
            "subclassed",
        ),
    ],
)
def test_bad_input_gives_one_line_and_exit_2(tmp_path, name, make, reason):
    path = tmp_path / name
    if make:
        make(path)
    result = run_cli("check", path)
    assert result.code == 2
    assert len(result.stderr_lines) == 1, result.stderr
    assert reason in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_truncated_keras_archive(tmp_path, saved):
    data = saved["keras"].read_bytes()
    path = _write_garbage(tmp_path / "cut.keras", data[: len(data) // 3])
    result = run_cli("check", path)
    assert result.code == 2 and len(result.stderr_lines) == 1
    assert "corrupt or truncated" in result.stderr or "not valid JSON" in result.stderr


def test_zip_that_is_not_a_model(tmp_path):
    path = tmp_path / "photos.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("cat.txt", "meow")
    result = run_cli("check", path)
    assert result.code == 2 and "without config.json" in result.stderr


def test_weights_only_h5_is_explained(tmp_path, keras3):
    model = tiny_fusion(keras3)
    path = tmp_path / "only.weights.h5"
    model.save_weights(path)
    with pytest.raises(InputError, match="no model config|weights"):
        fusiondoctor.check(path)


def test_savedmodel_directory_is_refused_with_advice(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "saved_model.pb").write_bytes(b"\x00")
    result = run_cli("check", folder)
    assert result.code == 2 and "SavedModel" in result.stderr


def test_graph_with_a_cycle_is_refused(tmp_path):
    def node(name):
        return [[[name, 0, 0, {}]]]

    config = {
        "class_name": "Functional",
        "config": {
            "name": "loop",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "name": "in",
                    "config": {"batch_input_shape": [None, 3], "name": "in"},
                    "inbound_nodes": [],
                },
                {"class_name": "Dense", "name": "a", "config": {"name": "a", "units": 3}, "inbound_nodes": node("b")},
                {"class_name": "Dense", "name": "b", "config": {"name": "b", "units": 3}, "inbound_nodes": node("a")},
            ],
            "input_layers": [["in", 0, 0]],
            "output_layers": [["b", 0, 0]],
        },
    }
    path = tmp_path / "cycle.json"
    path.write_text(json.dumps(config))
    result = run_cli("check", path)
    assert result.code == 2 and "cycle" in result.stderr


def test_one_bad_path_among_good_ones_still_reports_the_good(tmp_path, saved):
    result = run_cli("check", saved["h5"], tmp_path / "nope.keras", "--format", "json")
    assert result.code == 2
    assert [f["code"] for f in result.json["findings"]] == ["FD101"]
    assert len(result.stderr_lines) == 1 and "nope.keras" in result.stderr
