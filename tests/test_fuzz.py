"""Fuzzing every reader and ``fusiondoctor check`` with broken and hostile input (hypothesis).

The contract under test: bad or hostile input gives a one-line error (``InputError`` /
``ConfigError`` from the API; exit code 2 with exactly one stderr line and no traceback from the
CLI) or a correct partial report. Never an uncaught exception, a crashed rule, a hang, unbounded
memory or a write to disk; nothing from a file is ever executed.

How it works
------------
* Seeds are real files saved once per session: ``tiny_fusion`` and a nested-model variant
  (frozen Functional backbone + Sequential head) saved by Keras 3 (``.keras``, ``.h5``, config
  ``.json``) and by tf_keras (``.h5``, ``.json``), plus JSON, CSV and TensorBoard histories.
* Strategies (``tests/fuzz_corpus.py``) flip, truncate and insert bytes in whole files; mutate the
  config JSON structurally (deleted keys, swapped types, huge and negative numbers, NaN, unicode
  and control characters, duplicate names, missing/self/cyclic references, absurd node indices,
  deep nesting, huge lists) and re-pack it as ``.keras``, ``.h5`` and ``.json``; generate layer
  graphs, deeply nested models, compile settings and histories from scratch; build hostile zips.
* The bulk of the examples runs through the API in a sandbox child process
  (``fuzz_corpus.Sandbox``): a hang fails the example after a timeout instead of stalling CI, an
  interpreter crash (an HDF5 segfault) fails it instead of killing the worker, and RLIMIT_AS caps
  its memory. Its working directory and each input's folder are checked for writes, each input
  for changes. A smaller sample runs the real CLI (exit code 0/1/2, one stderr line on 2).

Running it
----------
The default run is small and derandomized (the same examples every time, so CI is reproducible)
and does not shrink failures (the regression tests at the end hold minimal inputs for every bug
found so far): ``python -m pytest tests/test_fuzz.py -n 2`` (under three minutes on two cores).

A longer, random run: set ``FUSIONDOCTOR_FUZZ_EXAMPLES=N`` to use ``max_examples=N`` for every
property test, with fresh random examples each run, failures shrunk to a minimal example
(hypothesis prints a ``@reproduce_failure`` blob for each)::

    FUSIONDOCTOR_FUZZ_EXAMPLES=2000 python -m pytest tests/test_fuzz.py -n 2 --hypothesis-show-statistics

``FUSIONDOCTOR_FUZZ_SHRINK=1`` turns shrinking on in the default run too.

Triage: with ``FUSIONDOCTOR_FUZZ_TRIAGE=DIR`` a failing example does not fail its test; its input
and outcome are saved under DIR instead, so one run can collect every distinct failure.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import math
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import tracemalloc
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

import fusiondoctor
from fusiondoctor.config import Settings
from fusiondoctor.errors import InputError
from fusiondoctor.limits import Limits
from tests import fuzz_corpus as fc
from tests.helpers import Run

LONG_RUN = int(os.environ.get("FUSIONDOCTOR_FUZZ_EXAMPLES", "0") or 0)
#: Shrinking a failure to a minimal example can take a minute per test: on in long runs (or with
#: FUSIONDOCTOR_FUZZ_SHRINK=1), off in the default run so a known bug cannot blow the CI budget.
SHRINK = bool(LONG_RUN) or os.environ.get("FUSIONDOCTOR_FUZZ_SHRINK", "") not in ("", "0")
TRIAGE = os.environ.get("FUSIONDOCTOR_FUZZ_TRIAGE")
#: A sandboxed example that takes longer hangs; above the HDF5 attribute guard's longest wait, so a
#: file the guard refuses is an input error, not a hang.
SANDBOX_TIMEOUT = 20.0


def fuzz(examples: int, shrink: bool = True):
    """Hypothesis settings: ``examples`` by default (derandomized), FUSIONDOCTOR_FUZZ_EXAMPLES when set (random).
    ``shrink=False`` for slow examples (a CLI process each): report the failure as found."""
    phases = [p for p in Phase if (shrink and SHRINK) or p is not Phase.shrink]
    return settings(
        max_examples=LONG_RUN or examples,
        phases=phases,
        deadline=None,
        derandomize=not LONG_RUN,
        database=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )


# ================================================================================================
# Fixtures: seeds, sandbox, scratch space
# ================================================================================================


@pytest.fixture(scope="session")
def seeds(tmp_path_factory, request, keras3) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("fuzz-seeds")
    out = fc.build_model_seeds(keras3, folder, "k3", ("keras", "h5", "json"))
    try:
        tf_keras = request.getfixturevalue("tf_keras")
    except pytest.skip.Exception:
        tf_keras = None
    if tf_keras is not None:
        out.update(fc.build_model_seeds(tf_keras, folder, "k2", ("h5", "json")))
    out.update(fc.write_history_seeds(folder / "histories"))
    logdir = fc.write_tensorboard_seed(folder / "tensorboard")
    if logdir is not None:
        out["tensorboard"] = logdir
    return out


class _Docs(dict):
    """The seed documents, with a short repr (hypothesis prints the fixtures of a failing test)."""

    def __repr__(self) -> str:
        return f"<seed configs {sorted(self)}>"


@pytest.fixture(scope="session")
def seed_docs(seeds) -> dict[str, Any]:
    """Config documents per seed model (``k3-tiny``...), compile settings included."""
    import h5py

    docs = _Docs()
    for name, path in seeds.items():
        if path.suffix == ".json" and not name.startswith("history"):
            doc = json.loads(path.read_text())
            h5 = path.with_suffix(".h5")
            if "compile_config" not in doc and h5.exists():  # tf_keras keeps compile settings in the .h5 only
                with h5py.File(h5, "r") as handle:
                    training = handle.attrs.get("training_config")
                if training is not None:
                    doc["compile_config"] = json.loads(training)
            docs[path.stem] = doc
    return docs


def _seed(seeds: dict[str, Path], name: str) -> Path:
    if name not in seeds:
        pytest.skip(f"seed {name} needs tf_keras / tensorboard")
    return seeds[name]


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory) -> Iterator[fc.Sandbox]:
    box = fc.Sandbox(tmp_path_factory.mktemp("sandbox-cwd"), timeout=SANDBOX_TIMEOUT)
    yield box
    box.close()


@pytest.fixture(scope="session")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz-inputs")


# ================================================================================================
# Running one example and judging its outcome
# ================================================================================================


def _snapshot(folder: Path) -> dict[str, tuple]:
    """Every file under ``folder``: (sha256, size, mtime_ns)."""
    state = {}
    for path in sorted(folder.rglob("*")):
        stat = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() and not path.is_symlink() else "dir"
        state[str(path.relative_to(folder))] = (digest, stat.st_size, stat.st_mtime_ns)
    return state


def _triage(kind: str, folder: Path, outcome: fc.Outcome) -> None:
    target = Path(TRIAGE) / f"{outcome.kind}-{uuid.uuid4().hex[:8]}"
    shutil.copytree(folder, target / "input")
    (target / "outcome.json").write_text(json.dumps({"kind": kind, "outcome": outcome.kind, "detail": outcome.detail,
                                                     "data": outcome.data}, indent=2, default=str))


def exercise(sandbox: fc.Sandbox, kind: str, target: Path, limits: dict[str, Any] | None = None,
             folder: Path | None = None) -> fc.Outcome:
    """Run ``check`` on ``target`` (a file or folder inside its own example ``folder``, by default
    its parent) in the sandbox; fail on anything but a report or a one-line input error, and on
    any write to the example folder or the sandbox's working directory."""
    folder = folder or target.parent
    before = _snapshot(folder)
    outcome = sandbox.run(kind, target, limits)
    note(f"outcome: {outcome}")
    problems = []
    if not outcome.ok:
        problems.append(f"{outcome}\n{outcome.data.get('traceback', '')}")
    if _snapshot(folder) != before:
        problems.append(f"the input folder changed: {sorted(set(_snapshot(folder)) ^ set(before))}")
    written = os.listdir(sandbox.workdir)
    if written:
        problems.append(f"files written to the working directory: {written}")
        for name in written:
            shutil.rmtree(sandbox.workdir / name, ignore_errors=True)
            with contextlib.suppress(OSError):
                (sandbox.workdir / name).unlink()
    if problems and TRIAGE:
        _triage(kind, folder, outcome)
        problems = []
    shutil.rmtree(folder, ignore_errors=True)
    assert not problems, "\n".join(problems)
    return outcome


def example_dir(scratch: Path) -> Path:
    return Path(tempfile.mkdtemp(dir=scratch))


def cli(*args: Any, cwd: Path | None = None, timeout: float = 120) -> Run:
    """The CLI as a real process, with a memory cap and a time limit (a hang fails, not stalls)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(fc.REPO_ROOT), MPLBACKEND="Agg")

    def cap_memory():  # pragma: no cover - runs in the child
        limit = 4 << 30
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    proc = subprocess.Popen([sys.executable, "-m", "fusiondoctor", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, encoding="utf-8", errors="replace", cwd=cwd, env=env,
                            preexec_fn=cap_memory, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        fc.kill_group(proc)  # with its children: nothing of a hung example keeps running
        raise
    return Run(proc.returncode, stdout, stderr)


def assert_cli_contract(result: Run, expect_json: bool = False) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.code in (0, 1, 2), (result.code, result.stderr)
    if result.code == 2:
        assert len(result.stderr_lines) == 1, result.stderr
        assert result.stderr_lines[0].startswith("fusiondoctor: error: "), result.stderr
    else:
        assert all(line.startswith("fusiondoctor: ") for line in result.stderr_lines), result.stderr
        if expect_json:
            json.loads(result.stdout)


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Fail (TimeoutError) instead of hanging, for the few in-process checks."""
    def expire(signum, frame):
        raise TimeoutError(f"took longer than {seconds}s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ================================================================================================
# 1-2. Whole files with flipped, truncated and inserted bytes
# ================================================================================================

BYTE_SEEDS = ["k3-tiny.keras", "k3-nested.keras", "k3-tiny.h5", "k3-nested.h5", "k2-tiny.h5", "k2-nested.h5"]


@pytest.mark.parametrize("seed_name", BYTE_SEEDS)
@fuzz(examples=40)
@given(data=st.data())
def test_byte_mutated_model_files(seeds, sandbox, scratch, seed_name, data):
    original = fc.Seed(_seed(seeds, seed_name).read_bytes(), seed_name)
    mutated = data.draw(fc.mutated_bytes(original), label="bytes")
    suffix = data.draw(st.sampled_from([seeds[seed_name].suffix] * 4 + [".json", ".bin"]), label="suffix")
    path = example_dir(scratch) / f"model{suffix}"
    path.write_bytes(mutated)
    exercise(sandbox, "model", path)


# ================================================================================================
# Structured mutations of the config, re-packed as .keras / .h5 / .json
# ================================================================================================

DOC_SEEDS = ["k3-tiny", "k3-nested", "k2-tiny", "k2-nested"]
FORMATS = st.sampled_from(["json", "keras", "h5"])


def _doc(seed_docs, name) -> fc.Seed:
    if name not in seed_docs:
        pytest.skip(f"seed {name} needs tf_keras")
    return fc.Seed(seed_docs[name], name)


@pytest.mark.parametrize("seed_name", DOC_SEEDS)
@fuzz(examples=60)
@given(data=st.data())
def test_mutated_model_configs(seed_docs, sandbox, scratch, seed_name, data):
    doc = data.draw(fc.mutated_doc(_doc(seed_docs, seed_name)), label="config")
    fmt = data.draw(FORMATS, label="format")
    path = fc.pack(doc, fmt, example_dir(scratch) / f"model.{fmt}")
    exercise(sandbox, "model", path)


@pytest.mark.parametrize("seed_name", DOC_SEEDS)
@fuzz(examples=30)
@given(data=st.data())
def test_mutated_compile_settings(seed_docs, sandbox, scratch, seed_name, data):
    doc = copy.deepcopy(_doc(seed_docs, seed_name).value)
    doc["compile_config"] = data.draw(fc.compile_configs(), label="compile_config")
    if data.draw(st.booleans(), label="also mutate the compile settings"):
        compile_config = fc.Seed(doc["compile_config"], "compile_config")
        doc["compile_config"] = data.draw(fc.mutated_doc(compile_config, max_ops=2), label="mutated compile_config")
    fmt = data.draw(FORMATS, label="format")
    if fmt == "json" and seed_name.startswith("k2") and data.draw(st.booleans()):
        doc["training_config"] = doc.pop("compile_config")  # the Keras 2 key
    path = fc.pack(doc, fmt, example_dir(scratch) / f"model.{fmt}")
    exercise(sandbox, "model", path)


@fuzz(examples=150)
@given(doc=fc.layer_graph(), fmt=FORMATS)
def test_generated_layer_graphs(sandbox, scratch, doc, fmt):
    path = fc.pack(doc, fmt, example_dir(scratch) / f"model.{fmt}")
    exercise(sandbox, "model", path)


@fuzz(examples=40)
@given(data=st.data())
def test_deeply_nested_models(sandbox, scratch, data):
    doc, depth = data.draw(fc.nested_models(), label="chain")
    max_depth = data.draw(st.one_of(st.none(), st.integers(1, 40)), label="max_depth")
    fmt = data.draw(FORMATS, label="format")
    path = fc.pack(doc, fmt, example_dir(scratch) / f"model.{fmt}")
    outcome = exercise(sandbox, "model", path, {"max_depth": max_depth} if max_depth else None)
    allowed = max_depth or Limits().max_depth
    if depth - 1 > allowed:  # ``depth`` models hold depth - 1 levels of nesting
        assert outcome.kind == "input_error" and "--max-depth" in outcome.detail, outcome
    else:
        assert outcome.kind == "report", outcome  # a valid model, however deep: read in full


# ================================================================================================
# Histories: JSON, CSVLogger CSV, TensorBoard
# ================================================================================================


@fuzz(examples=120)
@given(data=st.data())
def test_json_histories(sandbox, scratch, data):
    raw = fc.encode_json(data.draw(fc.json_histories(), label="history"))
    if data.draw(st.integers(0, 4), label="byte-mutate?") == 0:
        raw = data.draw(fc.mutated_bytes(fc.Seed(raw, "history"), max_ops=3), label="bytes")
    path = example_dir(scratch) / data.draw(st.sampled_from(["history.json", "history.txt", "log"]), label="name")
    path.write_bytes(raw)
    exercise(sandbox, "history", path)


@fuzz(examples=120)
@given(raw=fc.csv_histories(), name=st.sampled_from(["history.csv", "training.log", "h.tsv"]))
def test_csv_histories(sandbox, scratch, raw, name):
    path = example_dir(scratch) / name
    path.write_bytes(raw)
    exercise(sandbox, "history", path)


@pytest.mark.parametrize("seed_name", ["history.json", "history.csv"])
@fuzz(examples=40)
@given(data=st.data())
def test_byte_mutated_histories(seeds, sandbox, scratch, seed_name, data):
    mutated = data.draw(fc.mutated_bytes(fc.Seed(seeds[seed_name].read_bytes(), seed_name)), label="bytes")
    path = example_dir(scratch) / seed_name
    path.write_bytes(mutated)
    exercise(sandbox, "history", path)


@fuzz(examples=25)
@given(data=st.data())
def test_mutated_tensorboard_logdirs(seeds, sandbox, scratch, data):
    logdir = example_dir(scratch) / "logs"
    shutil.copytree(_seed(seeds, "tensorboard"), logdir)
    events = sorted(p for p in logdir.rglob("events.out.tfevents.*"))
    victim = data.draw(st.sampled_from(events), label="event file")
    victim.write_bytes(data.draw(fc.mutated_bytes(fc.Seed(victim.read_bytes(), victim.name)), label="bytes"))
    if data.draw(st.booleans(), label="extra junk event file"):
        (logdir / "train" / "events.out.tfevents.0.junk").write_bytes(data.draw(st.binary(max_size=64)))
    target = logdir if data.draw(st.booleans(), label="logdir or file") else victim
    exercise(sandbox, "history", target, folder=logdir.parent)


@fuzz(examples=25)
@given(data=st.data())
def test_learning_curve_plots_of_hostile_histories(sandbox, scratch, data):
    """What ``check --history H --plot P`` draws, rendered to memory in the sandbox."""
    if data.draw(st.booleans(), label="json or csv"):
        raw = fc.encode_json(data.draw(fc.json_histories(), label="history"))
        name = "history.json"
    else:
        raw, name = data.draw(fc.csv_histories(), label="csv"), "history.csv"
    path = example_dir(scratch) / name
    path.write_bytes(raw)
    exercise(sandbox, "plot", path)


# ================================================================================================
# The CLI on a sample of the same inputs
# ================================================================================================


@fuzz(examples=16, shrink=False)
@given(data=st.data())
def test_cli_on_mutated_inputs(seeds, seed_docs, scratch, data):
    root = example_dir(scratch)
    folder, cwd, out = root / "in", root / "cwd", root / "out"
    for made in (folder, cwd, out):
        made.mkdir()
    kind = data.draw(st.sampled_from(["config", "bytes", "graph", "history-json", "history-csv"]), label="kind")
    fmt_flag = data.draw(st.sampled_from([[], ["--format", "json"], ["--format", "text"]]), label="format")
    if kind == "config":
        fmt = data.draw(FORMATS)
        path = fc.pack(
            data.draw(fc.mutated_doc(fc.Seed(seed_docs["k3-tiny"], "k3-tiny"))), fmt, folder / f"model.{fmt}"
        )
        args = ["check", path]
    elif kind == "bytes":
        name = data.draw(st.sampled_from(["k3-tiny.keras", "k3-tiny.h5"]))
        path = folder / name
        path.write_bytes(data.draw(fc.mutated_bytes(fc.Seed(seeds[name].read_bytes(), name))))
        args = ["check", path]
    elif kind == "graph":
        fmt = data.draw(FORMATS)
        path = fc.pack(data.draw(fc.layer_graph()), fmt, folder / f"model.{fmt}")
        args = ["check", path]
    else:
        path = folder / ("history.json" if kind == "history-json" else "history.csv")
        path.write_bytes(fc.encode_json(data.draw(fc.json_histories())) if kind == "history-json"
                         else data.draw(fc.csv_histories()))
        args = ["check", "--history", path]
        if fc.rarely(data.draw, 4):  # matplotlib costs a second: now and then
            args += ["--plot", out / "curves.png"]
    before = _snapshot(folder)
    result = cli(*args, *fmt_flag, cwd=cwd)
    note(f"exit {result.code}; stderr: {result.stderr[-2000:]}")
    assert_cli_contract(result, expect_json=fmt_flag == ["--format", "json"])
    assert _snapshot(folder) == before, "the inputs changed"
    assert os.listdir(cwd) == [], "files written to the working directory"
    assert set(os.listdir(out)) <= {"curves.png"}
    shutil.rmtree(root, ignore_errors=True)


# ================================================================================================
# 3. Hostile archives
# ================================================================================================


def _valid_config(seeds) -> bytes:
    return seeds["k3-tiny.json"].read_bytes()


@pytest.mark.parametrize("lie", [False, True], ids=["honest-header", "lying-header"])
def test_zip_bomb_is_refused_quickly_with_bounded_memory(seeds, tmp_path, lie):
    limits = Limits(max_file_mb=1)
    fusiondoctor.check(seeds["k3-tiny.keras"], settings=Settings(limits=limits))  # warm up: imports are not the bomb
    bomb = fc.zip_bomb(tmp_path / "bomb.keras", inflated_bytes=64 * limits.max_bytes, lie_about_size=lie)
    assert bomb.stat().st_size < 128 * 1024  # 64 MB inflated from about 64 KB on disk
    tracemalloc.start()
    try:
        with time_limit(10), pytest.raises(InputError) as caught:
            fusiondoctor.check(bomb, settings=Settings(limits=limits))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "\n" not in str(caught.value)
    # zipfile inflates at most limit + 1 bytes (or what the header claims); zlib's block output
    # buffer and the final join take about twice that: bounded by the limit, not by the bomb
    assert peak <= 2.5 * limits.max_bytes, f"peak {peak:,} bytes for a {limits.max_bytes:,} byte limit"
    if not lie:
        assert "--max-file-mb" in str(caught.value)


def test_zip_bomb_over_the_default_limit_via_cli(tmp_path):
    bomb = fc.zip_bomb(tmp_path / "bomb.keras", inflated_bytes=96 << 20)  # 96 MB of spaces > 64 MB default
    result = cli("check", bomb, cwd=tmp_path)
    assert result.code == 2 and len(result.stderr_lines) == 1 and "--max-file-mb" in result.stderr, result.stderr


def _listing(*folders: Path) -> dict[str, list[str]]:
    return {str(f): sorted(str(p.relative_to(f)) for p in f.rglob("*")) for f in folders}


def test_zip_members_with_traversal_names_write_nothing(seeds, tmp_path):
    evil_abs = Path(tempfile.gettempdir()) / f"fusiondoctor-evil-{uuid.uuid4().hex}.txt"
    work = tmp_path / "deep" / "er"
    work.mkdir(parents=True)
    path = work / "traversal.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", '{"keras_version": "3.5.0"}')
        archive.writestr("config.json", _valid_config(seeds))
        for name in ("../../evil.txt", "../evil_dir/evil.txt", str(evil_abs), "..\\..\\evil_win.txt",
                     "sub/../../../evil2.txt", "./config.json/../../evil3.txt", "model.weights.h5"):
            archive.writestr(name, b"pwned")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    watched = (tmp_path, cwd)
    before = _listing(*watched)
    report = fusiondoctor.check(path)
    assert report.codes() == ["FD101"]
    result = cli("check", path, "--format", "json", cwd=cwd)
    assert result.code == 1 and result.json["findings"][0]["code"] == "FD101", result.stderr
    assert _listing(*watched) == before
    assert not evil_abs.exists()
    assert not (tmp_path.parent / "evil.txt").exists() and not (fc.REPO_ROOT / "evil.txt").exists()


def test_zip_symlink_member_named_config_json_is_not_followed(tmp_path):
    path = tmp_path / "link.keras"
    info = zipfile.ZipInfo("config.json")
    info.create_system = 3
    info.external_attr = (0o120777 << 16)  # a symlink to /etc/passwd
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(InputError, match="not valid JSON"):
        fusiondoctor.check(path)


@pytest.mark.parametrize("entry", ["config.json/", "config.json"], ids=["dir-entry", "dir-attributes"])
def test_config_json_that_is_a_directory_entry(tmp_path, entry):
    path = tmp_path / "dir.keras"
    info = zipfile.ZipInfo(entry)
    info.external_attr = (0o40755 << 16) | 0x10  # MS-DOS directory bit
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(info, b"")
        if entry.endswith("/"):
            archive.writestr("config.json/layers.json", b"{}")
    with pytest.raises(InputError) as caught:
        fusiondoctor.check(path)
    assert "\n" not in str(caught.value)


def test_encrypted_config_member_gives_one_line_error(seeds, tmp_path):
    """Regression (bug): an encrypted config.json raised RuntimeError from zipfile."""
    path = fc.patch_member(fc.pack_keras(_valid_config(seeds), tmp_path / "enc.keras"), "config.json", flags=0x1)
    with pytest.raises(InputError):
        fusiondoctor.check(path)
    result = cli("check", path, cwd=tmp_path)
    assert result.code == 2 and len(result.stderr_lines) == 1 and "Traceback" not in result.stderr, result.stderr


@pytest.mark.parametrize("method", [93, 99, 1], ids=["zstd", "aes", "shrunk"])
def test_unsupported_compression_method_gives_one_line_error(seeds, tmp_path, method):
    """Regression (bug): a compression method zipfile cannot read raised NotImplementedError."""
    path = fc.patch_member(fc.pack_keras(_valid_config(seeds), tmp_path / "m.keras"), "config.json", method=method)
    with pytest.raises(InputError):
        fusiondoctor.check(path)


def test_corrupt_deflate_stream_gives_one_line_error(seeds, tmp_path):
    """Regression (bug): a damaged deflate stream in config.json raised zlib.error."""
    path = fc.pack_keras(_valid_config(seeds), tmp_path / "z.keras", weights=False)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("config.json")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 60] ^= 0xFF  # well inside the compressed bytes
    path.write_bytes(bytes(data))
    with pytest.raises(InputError):
        fusiondoctor.check(path)
    result = cli("check", path, cwd=tmp_path)
    assert result.code == 2 and len(result.stderr_lines) == 1 and "Traceback" not in result.stderr, result.stderr


@pytest.mark.parametrize("order", ["valid-first", "garbage-first"])
def test_duplicate_config_json_entries(seeds, tmp_path, order):
    path = tmp_path / "dup.keras"
    contents = [_valid_config(seeds), b'{"class_name": 3, "config": [}']
    if order == "garbage-first":
        contents.reverse()
    with pytest.warns(UserWarning, match="Duplicate name"):
        with zipfile.ZipFile(path, "w") as archive:
            for content in contents:
                archive.writestr("config.json", content)
    try:
        report = fusiondoctor.check(path)
    except InputError as exc:
        assert "\n" not in str(exc)
    else:
        assert report.codes() == ["FD101"]  # the entry zipfile reads (the last) was the valid one
    assert_cli_contract(cli("check", path, cwd=tmp_path))


# ================================================================================================
# Special files: a FIFO blocks a reader forever, a character device never ends
# ================================================================================================


def _special_file(tmp_path: Path, special: str) -> Path:
    if special == "fifo":
        path = tmp_path / "model.json"
        os.mkfifo(path)
        return path
    if special == "tensorboard-fifo":
        run = tmp_path / "logs" / "train"
        run.mkdir(parents=True)
        os.mkfifo(run / "events.out.tfevents.1.host")
        return tmp_path / "logs"
    if not Path(special).exists():
        pytest.skip(f"no {special} here")
    return Path(special)


@pytest.mark.parametrize("kind, special", [
    ("model", "fifo"), ("history", "fifo"), ("history", "tensorboard-fifo"),
    ("model", "/dev/zero"), ("history", "/dev/zero"), ("model", "/dev/urandom"),
])
def test_special_files_neither_hang_nor_exhaust_memory(tmp_path, kind, special):
    """Regression (bug): these paths pass ``exists()``, are not directories, and report size 0, so
    the size limit lets them through: open() of a FIFO blocks forever (a hang), and read() of a
    character device never ends (unbounded memory). Expected: a one-line "not a regular file"."""
    box = fc.Sandbox(tmp_path / "cwd", timeout=3, memory_mb=512)
    try:
        outcome = box.run(kind, _special_file(tmp_path, special))
    finally:
        box.close()
    assert outcome.kind == "input_error", outcome


# ================================================================================================
# 4. Nothing from a file is executed: a planted Lambda payload
# ================================================================================================


def _lambda_model(keras, marker: Path):
    marker_path = str(marker)  # a str closure: Keras serializes it with the function's code
    inputs = keras.Input((4,), name="x")
    payload = keras.layers.Lambda(lambda x: (open(marker_path, "w").write("pwned"), x)[1], name="payload")
    hidden = payload(inputs)
    out = keras.layers.Dense(1, activation="sigmoid", name="out")(hidden)
    model = keras.Model(inputs, out)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def _lambda_files(keras3, request, folder: Path, marker: Path) -> list[Path]:
    files = []
    model = _lambda_model(keras3, marker)  # building the model runs the lambda once: that writes the marker
    for name in ("k3-lambda.keras", "k3-lambda.h5"):
        model.save(folder / name)
        files.append(folder / name)
    try:
        tf_keras = request.getfixturevalue("tf_keras")
    except pytest.skip.Exception:
        tf_keras = None
    if tf_keras is not None:
        _lambda_model(tf_keras, marker).save(folder / "k2-lambda.h5")
        files.append(folder / "k2-lambda.h5")
    return files


def test_planted_lambda_is_never_executed(keras3, request, tmp_path):
    marker = tmp_path / "MARKER"
    (tmp_path / "models").mkdir()
    files = _lambda_files(keras3, request, tmp_path / "models", marker)
    assert marker.exists(), "the payload should be live: building the model runs it"
    marker.unlink()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    for path in files:
        report = fusiondoctor.check(path)
        payload = [u for u in report.not_inspected if u.location.layer == "payload"]
        assert payload and "Lambda" in payload[0].reason, (path.name, report.not_inspected)
        result = cli("check", path, "--format", "json", cwd=cwd)
        assert result.code in (0, 1), result.stderr
        layers = [u["location"]["layer"] for u in result.json["not_inspected"]]
        assert "payload" in layers
        text = cli("check", path, cwd=cwd)
        assert text.code in (0, 1) and "payload" in text.stdout, text.stdout
        assert not marker.exists(), f"checking {path.name} executed the Lambda payload"
    assert os.listdir(cwd) == []
    # probing with data loads the model with Keras: in safe mode, Lambda layers refused up front
    import numpy as np

    data = tmp_path / "probe.npz"
    np.savez(data, x=np.random.default_rng(0).normal(size=(16, 4)).astype("float32"), y=np.zeros((16, 1), "float32"))
    for path in files:
        with pytest.raises(InputError, match="Lambda"):
            fusiondoctor.check(path, data=data)
        assert not marker.exists(), f"loading {path.name} to probe it executed the Lambda payload"
    # control: Keras itself, told the file is trusted, does run the payload
    keras3.models.load_model(files[0], safe_mode=False)
    assert marker.exists()


def test_hand_written_payloads_are_never_imported_or_run(tmp_path):
    marker = tmp_path / "MARKER2"
    code = f"__import__('pathlib').Path({str(marker)!r}).write_text('pwned')"
    config = {
        "class_name": "Functional",
        "config": {
            "name": "evil",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "name": "in",
                    "config": {"name": "in", "batch_input_shape": [None, 4]},
                    "inbound_nodes": [],
                },
                {
                    "class_name": "Lambda",
                    "name": "src",
                    "config": {
                        "name": "src",
                        "function": [f"lambda x: ({code}, x)[1]", None, None],
                        "function_type": "lambda",
                        "module": "builtins",
                    },
                    "inbound_nodes": [[["in", 0, 0, {}]]],
                },
                {
                    "class_name": "system",
                    "module": "os",
                    "registered_name": "os>system",
                    "name": "sys",
                    "config": {"name": "sys", "command": f"touch {marker}"},
                    "inbound_nodes": [[["src", 0, 0, {}]]],
                },
                {
                    "class_name": "Dense",
                    "name": "out",
                    "config": {
                        "name": "out",
                        "units": 1,
                        "activation": {
                            "module": "builtins",
                            "class_name": "function",
                            "config": "exec",
                            "registered_name": "exec",
                        },
                    },
                    "inbound_nodes": [[["sys", 0, 0, {}]]],
                },
            ],
            "input_layers": [["in", 0, 0]],
            "output_layers": [["out", 0, 0]],
        },
        "training_config": {
            "loss": {"module": "builtins", "class_name": "function", "config": "eval"},
            "optimizer_config": {"class_name": "Adam", "config": {"learning_rate": code}},
        },
    }
    for fmt in ("json", "keras", "h5"):
        path = fc.pack(config, fmt, tmp_path / f"evil.{fmt}")
        report = fusiondoctor.check(path)
        assert {"src", "sys"} <= {u.location.layer for u in report.not_inspected}
        assert_cli_contract(cli("check", path, cwd=tmp_path))
    assert not marker.exists()


# ================================================================================================
# 5. Every CLI command leaves its inputs untouched
# ================================================================================================


def _flip_bytes(data: bytes, seed: int, count: int = 12) -> bytes:
    rng = random.Random(seed)
    buf = bytearray(data)
    regions = fc.hot_regions(data)
    for _ in range(count):
        lo, hi = rng.choice(regions)
        buf[rng.randrange(lo, hi)] ^= 1 << rng.randrange(8)
    return bytes(buf)


@pytest.mark.parametrize("variant", ["valid", "mutated"])
def test_every_cli_command_leaves_inputs_untouched(seeds, tmp_path, variant):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    names = ["k3-tiny.keras", "k3-nested.h5", "k3-tiny.json", "history.json", "history.csv"]
    if "k2-tiny.h5" in seeds:
        names.append("k2-tiny.h5")
    for i, name in enumerate(names):
        data = seeds[name].read_bytes()
        (inputs / name).write_bytes(data if variant == "valid" else _flip_bytes(data, i))
    if "tensorboard" in seeds:
        shutil.copytree(seeds["tensorboard"], inputs / "tb")
    for path in (inputs / "tb").rglob("*") if "tensorboard" in seeds else ():
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    for path in inputs.iterdir():
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))  # an old mtime, so any touch shows
    out, cwd = tmp_path / "out", tmp_path / "cwd"
    out.mkdir()
    cwd.mkdir()
    models = [inputs / n for n in names if not n.startswith("history")]
    history, csv_history = inputs / "history.json", inputs / "history.csv"
    commands = [["check", model, "--format", "json"] for model in models]
    commands += [
        ["check", models[0]],
        ["check", models[1], "--history", csv_history, "--format", "text"],
        ["check", models[0], "--history", history, "--plot", out / "curves.png"],
        ["check", models[0], "--output", out / "report.json"],
        ["check", *models, "--format", "json", "--output", out / "all.txt"],
        ["check", "--history", history, "--format", "json"],
        ["check", "--history", csv_history, "--plot", out / "csv.svg"],
    ]
    if "tensorboard" in seeds:
        commands.append(["check", "--history", inputs / "tb", "--format", "json"])
    before = _snapshot(inputs)
    for command in commands:
        result = cli(*command, cwd=cwd)
        if len([a for a in command if a in models]) == 1 or "--history" in command:
            assert_cli_contract(result)  # one input, so at most one error line
        assert result.code in (0, 1, 2) and "Traceback" not in result.stderr, (command, result.stderr)
        assert _snapshot(inputs) == before, f"{command} changed its inputs"
        assert os.listdir(cwd) == [], f"{command} wrote {os.listdir(cwd)}"
    assert set(os.listdir(out)) <= {"curves.png", "curves_model.png", "report.json", "all.txt", "csv.svg"}
    if variant == "valid":
        assert set(os.listdir(out)) == {"curves.png", "curves_model.png", "report.json", "all.txt", "csv.svg"}


# ================================================================================================
# 6. Limits: refused with the flag named, let through when raised
# ================================================================================================


def _one_line_naming(result: Run, flag: str) -> None:
    assert result.code == 2, (result.code, result.stderr)
    assert len(result.stderr_lines) == 1 and flag in result.stderr and "Traceback" not in result.stderr, result.stderr


@pytest.mark.parametrize("name", ["k3-tiny.keras", "k3-tiny.json", "k3-tiny.h5", "k2-tiny.h5"])
def test_max_file_mb_flag(seeds, tmp_path, name):
    path = _seed(seeds, name)
    _one_line_naming(cli("check", path, "--max-file-mb", "0.001", cwd=tmp_path), "--max-file-mb")
    assert cli("check", path, "--max-file-mb", "0.5", cwd=tmp_path).code in (0, 1)


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_max_file_mb_flag_for_histories(tmp_path, suffix):
    path = tmp_path / f"history{suffix}"
    epochs = 400
    if suffix == ".json":
        path.write_text(json.dumps({"loss": [1 / (e + 1) for e in range(epochs)], "val_loss": [1.0] * epochs}))
    else:
        path.write_text("epoch,loss,val_loss\n" + "".join(f"{e},{1 / (e + 1)},1.0\n" for e in range(epochs)))
    assert path.stat().st_size > 0.005 * 1024 * 1024
    _one_line_naming(cli("check", "--history", path, "--max-file-mb", "0.005", cwd=tmp_path), "--max-file-mb")
    assert cli("check", "--history", path, "--max-file-mb", "1", cwd=tmp_path).code in (0, 1)


@pytest.mark.parametrize("name", ["k3-tiny.keras", "k3-nested.h5", "k2-nested.h5"])
def test_max_layers_flag(seeds, tmp_path, name):
    path = _seed(seeds, name)
    _one_line_naming(cli("check", path, "--max-layers", "3", cwd=tmp_path), "--max-layers")
    assert cli("check", path, "--max-layers", "50", cwd=tmp_path).code in (0, 1)


@pytest.mark.parametrize("dialect", ["keras3", "keras2"])
def test_max_depth_flag(tmp_path, dialect):
    path = fc.pack(fc.nested_chain(4, dialect), "json", tmp_path / "chain.json")  # 3 levels of nesting
    _one_line_naming(cli("check", path, "--max-depth", "2", cwd=tmp_path), "--max-depth")
    assert cli("check", path, "--max-depth", "3", cwd=tmp_path).code in (0, 1)
    deep = fc.pack(fc.nested_chain(40, dialect), "keras", tmp_path / "deep.keras")  # over the default 32
    _one_line_naming(cli("check", deep, cwd=tmp_path), "--max-depth")
    assert cli("check", deep, "--max-depth", "64", cwd=tmp_path).code in (0, 1)


@pytest.mark.parametrize("flag, value", [("--max-file-mb", "0"), ("--max-layers", "-1"), ("--max-depth", "0"),
                                         ("--max-file-mb", "-5"), ("--max-layers", "many")])
def test_nonsense_limits_are_usage_errors(seeds, tmp_path, flag, value):
    result = cli("check", seeds["k3-tiny.json"], flag, value, cwd=tmp_path)
    assert result.code == 2 and "Traceback" not in result.stderr, result.stderr


# ================================================================================================
# Regressions: minimal inputs for the crashes the fuzzer found (each fails until its bug is fixed)
# ================================================================================================

HUGE_NUMBER = "9" * 5000  # more digits than Python's int() accepts by default (4300)


@pytest.mark.parametrize("fmt", ["json", "keras", "h5"])
def test_regression_model_config_with_a_5000_digit_number(tmp_path, fmt):
    """json.loads raises ValueError (int max str digits), not JSONDecodeError (files._parse_json)."""
    raw = ('{"class_name": "Functional", "config": {"name": "m", "layers": [], "units": ' + HUGE_NUMBER + "}}").encode()
    path = tmp_path / f"m.{fmt}"
    if fmt == "json":
        path.write_bytes(raw)
    elif fmt == "keras":
        fc.pack_keras(raw, path)
    else:
        fc.pack_h5(raw, path)
    with pytest.raises(InputError):
        fusiondoctor.check(path)


def test_regression_history_json_with_a_5000_digit_number(tmp_path):
    """readers._read_json catches JSONDecodeError and RecursionError, not the ValueError of int()."""
    path = tmp_path / "history.json"
    path.write_text('{"loss": [' + HUGE_NUMBER + "]}")
    with pytest.raises(InputError):
        fusiondoctor.check(history=path)


def test_regression_history_csv_with_a_field_over_128_kib(tmp_path):
    """csv.Error('field larger than field limit (131072)') escapes readers._read_csv."""
    path = tmp_path / "history.csv"
    path.write_text("loss\n" + "1" * 200_000 + "\n")
    with pytest.raises(InputError):
        fusiondoctor.check(history=path)


@pytest.mark.parametrize("strides, padding", [([0, 0], "valid"), ([0, 0], "same"), (0, "valid")])
def test_regression_conv_with_zero_strides(tmp_path, strides, padding):
    """ZeroDivisionError in shapes._conv_length, not caught by normalize (it catches ValueError etc.)."""
    config = {"class_name": "Functional", "config": {"name": "m", "layers": [
        {"class_name": "InputLayer", "name": "in", "config": {"name": "in", "batch_input_shape": [None, 8, 8, 3]},
         "inbound_nodes": []},
        {"class_name": "Conv2D", "name": "conv", "config": {"name": "conv", "filters": 2, "kernel_size": 3,
                                                            "strides": strides, "padding": padding},
         "inbound_nodes": [[["in", 0, 0, {}]]]}],
        "input_layers": [["in", 0, 0]], "output_layers": [["conv", 0, 0]]}}
    path = tmp_path / "conv.json"
    path.write_text(json.dumps(config))
    report = fusiondoctor.check(path)
    assert not report.errors, [(e.code, e.exc_type, e.message) for e in report.errors]
    assert report.inputs[0].model.nodes["conv"].output_shape is None, "a zero stride gives no shape, not a guess"


def test_regression_csv_history_with_carriage_return_line_endings(tmp_path):
    """Classic-Mac CR line endings: csv.Error('new-line character seen in unquoted field') escapes
    readers._read_csv, which iterates an io.StringIO without newline=''."""
    path = tmp_path / "history.csv"
    path.write_bytes(b"loss\r0.5\r0.4\r")
    history = fusiondoctor.read_history(path)
    assert history.as_dict() == {"loss": [0.5, 0.4]}


def test_regression_h5_model_config_with_invalid_utf8(tmp_path):
    """h5py decodes a variable-length string attribute with surrogateescape; files._read_h5 then
    calls model_config.encode('utf-8'), which raises UnicodeEncodeError."""
    import h5py
    import numpy as np

    path = tmp_path / "bad-utf8.h5"
    with h5py.File(path, "w") as handle:
        handle.attrs.create("model_config", np.array(b'{"class_name": "\xff"}', dtype=object),
                            dtype=h5py.string_dtype("utf-8"))
    with pytest.raises(InputError):
        fusiondoctor.check(path)


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_regression_non_finite_max_file_mb(seeds, tmp_path, value):
    """config.parse_limits accepts NaN and infinity (``value <= 0`` is False); Limits.max_bytes then
    raises ValueError / OverflowError from int() with a traceback."""
    result = cli("check", seeds["k3-tiny.json"], "--max-file-mb", value, cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.code in (0, 1) or (result.code == 2 and len(result.stderr_lines) == 1), result.stderr


@pytest.mark.parametrize("attr", ["model_config", "training_config"])
def test_regression_h5_with_an_invalid_variable_length_kind_does_not_kill_the_process(seeds, tmp_path, attr):
    """One byte (the variable-length kind of a string attribute's datatype, 1 -> 3) makes HDF5
    segfault inside h5py's ``attrs.get`` (files._read_h5): the CLI dies with SIGSEGV (exit -11),
    no message. h5py cannot be made safe from Python: read .h5 attributes in a child process."""
    path = fc.pack_h5(_valid_config(seeds), tmp_path / "segv.h5", training_config=b'{"loss": "mse"}')
    fc.patch_h5_string_type(path, attr, offset=1, value=3)
    result = cli("check", path, cwd=tmp_path)
    assert result.code == 2 and len(result.stderr_lines) == 1, (result.code, result.stderr)


def test_regression_h5_string_attribute_with_an_unknown_charset(seeds, tmp_path):
    """h5py raises TypeError('Unknown string encoding (value 2)') from ``attrs.get``, which
    files._read_h5 does not catch (it catches OSError, ValueError, KeyError, RuntimeError)."""
    path = fc.pack_h5(_valid_config(seeds), tmp_path / "charset.h5")
    fc.patch_h5_string_type(path, "model_config", offset=2, value=2)
    with pytest.raises(InputError):
        fusiondoctor.check(path)


def test_regression_learning_rate_too_big_for_a_float(tmp_path):
    """compile.parse_optimizer: float(10**400) raises OverflowError, which normalize does not catch."""
    config = json.loads(fc.encode_json(fc.nested_chain(1)))
    config["compile_config"] = {
        "loss": "mse",
        "optimizer": {"class_name": "Adam", "config": {"learning_rate": 10**400}},
    }
    path = tmp_path / "lr.json"
    path.write_bytes(fc.encode_json(config))
    report = fusiondoctor.check(path)
    assert not report.errors, [(e.code, e.exc_type, e.message) for e in report.errors]
    assert report.inputs[0].model.compile.optimizer.learning_rate is None, "an unreadable rate is unknown, not a guess"


def test_regression_history_value_too_big_for_a_float(tmp_path):
    """readers._number: float(10**400) raises OverflowError (JSON ints have no size limit)."""
    path = tmp_path / "history.json"
    path.write_text('{"loss": [1' + "0" * 400 + ", 0.5]}")
    report = fusiondoctor.check(history=path)
    assert not report.errors, [(e.code, e.exc_type, e.message) for e in report.errors]
    assert fusiondoctor.read_history(path).as_dict() == {"loss": [math.inf, 0.5]}
    assert report.codes() == ["FD305"], "an infinite loss is reported as such"


def test_regression_rule_fd103_with_a_branch_wider_than_a_float(tmp_path):
    """FD103 (rules/structure.py, unnormalized_fusion_branches): ``widest.width / narrowest.width``
    raises OverflowError for ``units`` = 10**400; the engine records a crashed rule, exit code 2."""
    def layer(cls, name, sources, **config):
        return {"class_name": cls, "name": name, "config": {"name": name, **config},
                "inbound_nodes": [[[s, 0, 0, {}] for s in sources]] if sources else []}

    config = {"class_name": "Functional", "config": {"name": "m", "layers": [
        layer("InputLayer", "image", [], batch_input_shape=[None, 8]),
        layer("InputLayer", "text", [], batch_input_shape=[None, 8]),
        layer("Dense", "wide", ["image"], units=10**400, activation="relu"),
        layer("Dense", "narrow", ["text"], units=4, activation="relu"),
        layer("Concatenate", "fuse", ["wide", "narrow"], axis=-1),
        layer("Dense", "out", ["fuse"], units=1, activation="sigmoid")],
        "input_layers": [["image", 0, 0], ["text", 0, 0]], "output_layers": [["out", 0, 0]]}}
    path = tmp_path / "wide.json"
    path.write_bytes(fc.encode_json(config))
    try:
        report = fusiondoctor.check(path)
    except InputError:
        return
    assert not report.errors, [(e.code, e.exc_type, e.message) for e in report.errors]


def test_regression_plot_warnings_stay_off_stderr(tmp_path):
    """``check --history H --plot P`` on a metric with no finite value: matplotlib's UserWarning
    ("No artists with labels found to put in legend", from render/plots.py learning_curves) and
    its source line land on stderr next to fusiondoctor's own lines."""
    path = tmp_path / "history.json"
    path.write_text('{"loss": [null, null]}')
    result = cli("check", "--history", path, "--plot", tmp_path / "curves.png", cwd=tmp_path)
    assert_cli_contract(result)


def test_regression_lone_surrogate_in_a_layer_name_via_cli(seeds, tmp_path):
    """A JSON "\\ud800" escape reaches the text report; the CLI's UTF-8 stdout / --output raise
    UnicodeEncodeError with a traceback (cli._write)."""
    text = seeds["k3-tiny.json"].read_text().replace('"output_layer"', '"out\\ud800"')
    path = tmp_path / "surrogate.json"
    path.write_text(text)
    assert_cli_contract(cli("check", path, cwd=tmp_path))
    result = cli("check", path, "--output", tmp_path / "report.txt", cwd=tmp_path)
    assert_cli_contract(result)


# ================================================================================================
# 7. Probe data: damaged .npz files, odd arrays, dicts and datasets, through the API and the CLI
# ================================================================================================
# The contract of the data path: unusable data is one InputError line (exit 2 and one stderr line);
# usable data gives a complete report (findings for what is wrong with it), never a crashed rule or
# a measurement that failed. In process (Keras is loaded once), with a time limit per example.


@pytest.fixture(scope="session")
def data_seed(keras3, tmp_path_factory) -> Path:
    """The data seed model, saved as .keras next to its healthy data.npz."""
    keras3.utils.set_random_seed(0)
    folder = tmp_path_factory.mktemp("fuzz-data")
    fc.data_model(keras3).save(str(folder / "model.keras"))
    fc.write_npz(fc.data_arrays(), folder / "data.npz")
    return folder / "model.keras"


def check_data(model: Any, data: Any) -> str:
    """``check`` with ``data``: "input_error" (one line) or "report" (complete, renderable); fails otherwise."""
    with time_limit(90):
        try:
            report = fusiondoctor.check(model, data=data, settings=Settings())
        except InputError as exc:
            assert "\n" not in str(exc) and "\r" not in str(exc), repr(str(exc))
            note(f"input error: {exc}")
            return "input_error"
    crashed = [(e.code, e.exc_type, e.message) for e in report.errors]
    failed = [(s.code, s.failed) for s in report.skipped if s.failed]
    note(f"findings: {report.codes()}")
    assert not crashed, f"rules crashed: {crashed}"
    assert not failed, f"measurements failed: {failed}"
    from fusiondoctor.render import render

    json.loads(render(report, "json"))
    render(report, "text").encode("utf-8")
    return "report"


@fuzz(examples=30)
@given(data=st.data())
def test_damaged_npz_data(data_seed, scratch, data):
    folder = example_dir(scratch)
    path = fc.write_npz(data.draw(fc.probe_arrays(), label="arrays"), folder / "data.npz")
    if fc.rarely(data.draw, 3):  # and now and then the archive's bytes too
        path.write_bytes(data.draw(fc.mutated_bytes(fc.Seed(path.read_bytes(), "data.npz"), max_ops=3)))
    before = _snapshot(folder)
    check_data(data_seed, path)
    assert _snapshot(folder) == before, "the data file changed"
    shutil.rmtree(folder, ignore_errors=True)


@fuzz(examples=20)
@given(data=st.data())
def test_odd_arrays_dicts_and_datasets_through_the_api(data_seed, keras3, data):
    import numpy as np

    arrays = data.draw(fc.probe_arrays(), label="arrays")
    x = {k: v for k, v in arrays.items() if not k.startswith("y")}
    y = arrays.get("y")
    form = data.draw(st.sampled_from(["tuple", "list", "x-y dict", "dataset"]), label="form")
    if form == "tuple":
        given_data: Any = (x, y)
    elif form == "list":
        given_data = ([x.get("image"), x.get("text")], y)
    elif form == "x-y dict":
        given_data = {"x": x, "y": y}
    else:
        if keras3.backend.backend() != "tensorflow":
            return
        import tensorflow as tf

        try:
            dataset = tf.data.Dataset.from_tensor_slices((x, y) if y is not None else (x,)).batch(8)
        except Exception:  # noqa: BLE001 - tf.data itself refuses these arrays, before fusiondoctor sees them
            return
        given_data = dataset
    before = {k: np.array(v, copy=True) for k, v in arrays.items() if isinstance(v, np.ndarray) and v.dtype != object}
    check_data(data_seed, given_data)
    for name, value in before.items():
        assert np.array_equal(arrays[name], value, equal_nan=value.dtype.kind == "f"), f"'{name}' was changed"


@fuzz(examples=5, shrink=False)
@given(data=st.data())
def test_cli_on_damaged_data(data_seed, scratch, data):
    """``check --data`` and ``fix --data`` as real processes (a few: each loads Keras)."""
    root = example_dir(scratch)
    folder, cwd = root / "in", root / "cwd"
    folder.mkdir()
    cwd.mkdir()
    path = fc.write_npz(data.draw(fc.probe_arrays(), label="arrays"), folder / "data.npz")
    command = data.draw(st.sampled_from(["check", "check", "fix"]), label="command")
    before = _snapshot(folder)
    extra = ["--epochs", "1", "--seeds", "1", "--budget", "20", "--quiet"] if command == "fix" else []
    result = cli(command, data_seed, "--data", path, *extra, cwd=cwd)
    note(f"exit {result.code}; stderr: {result.stderr[-2000:]}")
    assert_cli_contract(result)
    assert _snapshot(folder) == before, "the data changed"
    assert os.listdir(cwd) == [], "files written to the working directory"
    shutil.rmtree(root, ignore_errors=True)


def test_regression_hdf5_attribute_read_that_loops_is_refused_within_seconds(seeds, monkeypatch):
    """A byte-mutated 44 KB Keras 3 .h5 (found by a 500-example run) makes HDF5 loop forever
    reading its root attributes; the guard fired only after a fixed 30 s, past the sandbox's 20 s
    hang limit. The guard is now bounded by the file's size: a few seconds for a small file. The
    loop is stood in for by a reader that never returns (in the forked child, as HDF5's would)."""
    import time

    from fusiondoctor.model import h5attrs

    assert h5attrs.attribute_timeout(44 * 1024) <= 5
    assert h5attrs.attribute_timeout(10**12) == h5attrs.MAX_TIMEOUT_SECONDS < SANDBOX_TIMEOUT

    def loops(path):
        while True:
            pass

    monkeypatch.setattr(h5attrs, "_read", loops)
    started = time.monotonic()
    with pytest.raises(InputError, match="took more than"):
        h5attrs.read_root_attributes(_seed(seeds, "k3-tiny.h5"), "k3-tiny.h5")
    assert time.monotonic() - started < h5attrs.attribute_timeout(44 * 1024) + 2


def test_sandbox_kills_a_hung_example_with_its_children(tmp_path):
    """A hung example's worker is killed with its process group: its forked children (an HDF5
    reader looping in C) must not outlive it, as 17 workers once spun on for 50 minutes."""
    import time

    box = fc.Sandbox(tmp_path / "cwd", timeout=3.0)
    pid_file = tmp_path / "child.pid"
    try:
        outcome = box.run("hang-with-child", pid_file)
    finally:
        box.close()
    assert outcome.kind == "hang", outcome
    child = int(pid_file.read_text())
    for _ in range(50):
        try:
            with open(f"/proc/{child}/status") as status:
                state = next(line for line in status if line.startswith("State:"))
        except FileNotFoundError:
            break
        if "Z" in state.split()[1]:
            break  # killed, waiting to be reaped by init
        time.sleep(0.1)
    else:
        raise AssertionError(f"the hung example's child {child} still runs")
