"""Import discipline: the package, the CLI's static path and the pytest plugin load no heavy modules."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.helpers import HEAVY_MODULES, tiny_fusion

PROBE = """
import contextlib, io, sys
with contextlib.redirect_stdout(io.StringIO()):
{body}
heavy = sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r})
print(','.join(heavy))
"""


def _loaded_after(body: str, heavy=HEAVY_MODULES, env=None) -> str:
    indented = "\n".join("    " + line for line in body.splitlines())
    code = PROBE.format(body=indented, heavy=set(heavy))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.parametrize("body", [
    "import fusiondoctor",
    "import fusiondoctor.cli",
    "import fusiondoctor; fusiondoctor.all_rules()",
    "from fusiondoctor import cli; cli.main(['rules'])",
])
def test_light_imports(body):
    assert _loaded_after(body) == ""


def test_static_check_of_files_loads_no_heavy_module(tmp_path, keras3):
    model = tiny_fusion(keras3)
    for name in ("m.keras", "m.h5"):
        model.save(tmp_path / name)
    files = f"{str(tmp_path / 'm.keras')!r}, {str(tmp_path / 'm.h5')!r}"
    body = (f"from fusiondoctor import cli\n"
            f"code = cli.main(['check', {files}, '--format', 'json'])\n"
            f"assert code == 1, code")
    assert _loaded_after(body) == ""


def test_history_from_mlflow_loads_no_keras(tmp_path):
    """--history mlflow:RUN_ID loads MLflow (and the pandas it uses), never TensorFlow or Keras."""
    mlflow = pytest.importorskip("mlflow")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = mlflow.tracking.MlflowClient(uri)
    experiment = client.create_experiment("imports", artifact_location=(tmp_path / "artifacts").as_uri())
    run = client.create_run(experiment).info.run_id
    for epoch, value in enumerate([0.9, 0.9, 0.9, 0.9]):
        client.log_metric(run, "loss", value, step=epoch)
    body = (f"from fusiondoctor import cli\n"
            f"code = cli.main(['check', '--history', 'mlflow:{run}', '--format', 'json'])\n"
            f"assert code == 1, code")
    keras_and_plots = [m for m in HEAVY_MODULES if m not in ("pandas", "mlflow")]
    assert _loaded_after(body, keras_and_plots, env={**os.environ, "MLFLOW_TRACKING_URI": uri}) == ""
