"""The pre-commit hook: ``.pre-commit-hooks.yaml`` declares ``fusiondoctor check`` on .keras/.h5
files, and its entry, run the way pre-commit runs it (the entry split, then the staged file names
that match ``files``, from the repository root), passes healthy models and stops broken ones."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import sha256, tiny_fusion

ROOT = Path(__file__).resolve().parent.parent
HOOKS = ROOT / ".pre-commit-hooks.yaml"


@pytest.fixture(scope="module")
def hook() -> dict:
    yaml = pytest.importorskip("yaml")
    hooks = yaml.safe_load(HOOKS.read_text())
    assert isinstance(hooks, list) and len(hooks) == 1
    return hooks[0]


def test_hook_declaration(hook):
    assert hook["id"] == "fusiondoctor" and hook["name"]
    assert hook["entry"] == "fusiondoctor check" and hook["language"] == "python"
    assert hook["types"] == ["file"] and hook.get("pass_filenames", True) is True
    matches = re.compile(hook["files"]).search  # pre-commit matches `files` with re.search
    assert all(matches(name) for name in ("model.keras", "models/meme.h5", "a/b/legacy.h5"))
    assert not any(matches(name) for name in ("train.py", "model.keras.bak", "weights.h5py", "notes.md"))


def run_hook(hook: dict, files, cwd: Path) -> subprocess.CompletedProcess:
    """The entry as pre-commit runs it, with the matching file names appended."""
    argv = shlex.split(hook["entry"])
    script = Path(sys.executable).with_name(argv[0])  # the console script installed with the package
    command = [str(script)] if script.exists() else [sys.executable, "-m", "fusiondoctor"]
    names = [str(f) for f in files if re.search(hook["files"], str(f))]
    return subprocess.run(command + argv[1:] + names, capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.mark.live
def test_hook_entry_on_committed_model_files(hook, keras3, tf_keras, tmp_path):
    (tmp_path / "models").mkdir()
    tiny_fusion(keras3, head_activation="sigmoid").save(tmp_path / "models" / "healthy.keras")
    tiny_fusion(keras3).save(tmp_path / "models" / "broken.keras")
    tiny_fusion(tf_keras).save(str(tmp_path / "models" / "legacy.h5"))
    (tmp_path / "train.py").write_text("print('not a model')\n")
    before = {p: sha256(p) for p in (tmp_path / "models").iterdir()}

    passed = run_hook(hook, ["models/healthy.keras", "train.py"], tmp_path)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "No findings" in passed.stdout

    stopped = run_hook(hook, ["models/healthy.keras", "models/broken.keras", "models/legacy.h5", "train.py"], tmp_path)
    assert stopped.returncode == 1, stopped.stdout + stopped.stderr
    assert "models/broken.keras: FD101" in stopped.stdout and "models/legacy.h5: FD101" in stopped.stdout
    assert "models/healthy.keras:" not in stopped.stdout
    assert {p: sha256(p) for p in before} == before, "the hook must never change a committed file"
