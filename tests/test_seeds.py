"""The seed stories at full size: the posted models, rebuilt from ``checks/seed-*``, diagnosed live,
from ``.keras`` and ``.h5`` files (Keras 3), and from Keras 2 ``.h5`` files (tf_keras).

One test per (case, variant) builds the model once and checks everything about it: the exact codes
in every form, nothing reported as "not inspected" (the seed models are all stock Keras), and the
story's own expectations (where each finding points, the evidence, what the command line prints).
Everything about one model sits in one test because building it is the expensive part and
pytest-xdist's ``load`` scheduling would otherwise build it again on each worker; each failed check
is listed by name in the assertion message. Model files go to ``tmp_path`` and are deleted at the end
of the test (the C3D files are 300 MB each).
"""

from __future__ import annotations

import gc
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import fusiondoctor
from fusiondoctor.model.backbones import find_backbones
from fusiondoctor.model.spec import ModelSpec
from fusiondoctor.types import Finding, Report, Severity
from tests.casebook import Case, cases

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

pytestmark = pytest.mark.slow

HEAVY = {"tensorflow", "keras", "tf_keras", "matplotlib", "jax", "torch"}
KERAS2_FORM = "keras2 .h5"

SEED000 = "seed-000-meme-vgg16-lstm"
SEED002 = "seed-002-movie-genres-multilabel"
SEED003 = "seed-003-speech-inception-lstm"
SEED004 = "seed-004-gif-c3d"

SEEDS: list[Case] = [c for c in cases() if c.story]
#: Slowest first (InceptionV3, C3D), so that the two xdist workers finish together.
_ORDER = {SEED003: 0, SEED004: 1, SEED000: 2, SEED002: 3}
PARAMS = [pytest.param(c, v, id=f"{c.name}-{v}")
          for c in sorted(SEEDS, key=lambda c: (_ORDER.get(c.name, 9), c.name)) for v in c.expectations]


def _tensorflow_backend() -> bool:
    return os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow"


# ---- building and checking one model in every form ----------------------------------------------


@dataclass
class Checked:
    """One way of reading one model: its report, its ModelSpec, and its file."""

    form: str
    report: Report
    spec: ModelSpec
    path: Path | None = None


@dataclass
class SeedRun:
    case: Case
    variant: str
    params: dict[str, int] = field(default_factory=dict)  # "keras3" / "keras2" -> count_params()
    forms: dict[str, Checked] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def expected(self, form: str) -> list[str]:
        expectation = self.case.expectations[self.variant]
        return expectation.codes_keras2 if form == KERAS2_FORM else expectation.codes


def _checked(form: str, subject, path: Path | None = None) -> Checked:
    spec = fusiondoctor.load_model_spec(subject)
    return Checked(form, fusiondoctor.check(spec), spec, path)


def _build_and_check(case: Case, variant: str, workdir: Path) -> SeedRun:
    import keras

    run = SeedRun(case, variant)
    build = case.builder(variant)
    stem = workdir / f"{case.name}-{variant}"

    start = time.perf_counter()
    model = build(keras)
    run.seconds["build keras3"] = time.perf_counter() - start
    run.params["keras3"] = model.count_params()
    run.forms["live"] = _checked("live", model)
    for suffix in (".keras", ".h5"):
        path = Path(f"{stem}{suffix}")
        start = time.perf_counter()
        model.save(str(path))
        run.seconds[f"save {suffix}"] = time.perf_counter() - start
        run.forms[suffix] = _checked(suffix, path, path)
    del model
    keras.backend.clear_session()
    gc.collect()

    if case.keras2 and _tensorflow_backend():
        import tf_keras

        start = time.perf_counter()
        model = build(tf_keras)
        run.seconds["build keras2"] = time.perf_counter() - start
        run.params["keras2"] = model.count_params()
        path = Path(f"{stem}-keras2.h5")
        model.save(str(path))
        run.forms[KERAS2_FORM] = _checked(KERAS2_FORM, path, path)
        del model
        tf_keras.backend.clear_session()
        gc.collect()
    return run


def _describe(report: Report) -> str:
    lines = [f"    {f.code} {f.severity.label} at {f.location.layer}: {f.message}" for f in report.findings]
    lines += [f"    rule crashed: {e.code} {e.exc_type}: {e.message}" for e in report.errors]
    return "\n".join(lines) or "    (no findings)"


def _findings(report: Report, code: str) -> list[Finding]:
    return [f for f in report.findings if f.code == code]


class Problems:
    """Failed checks, by name; the test asserts that there are none and prints them all."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def check(self, ok: bool, what: str) -> bool:
        if not ok:
            self.items.append(what)
        return ok

    def equal(self, got, want, what: str) -> bool:
        return self.check(got == want, f"{what}: got {got!r}, expected {want!r}")

    def only(self, found: list[Finding], what: str) -> Finding | None:
        """The single finding in ``found``; a problem (and None) when there are none or several."""
        if self.check(len(found) == 1, f"{what}: expected exactly one finding, got {len(found)}"):
            return found[0]
        return None


# ---- what every seed case must satisfy ----------------------------------------------------------


def check_codes(run: SeedRun, problems: Problems) -> None:
    """The exact set of codes, in every form; no rule crashed."""
    expected_forms = {"live", ".keras", ".h5"} | ({KERAS2_FORM} if run.case.keras2 and _tensorflow_backend() else set())
    problems.equal(sorted(run.forms), sorted(expected_forms), "forms checked")
    for form, checked in run.forms.items():
        got, want = checked.report.codes(), run.expected(form)
        problems.check(got == want, f"[{form}] codes {got}, expected {want}:\n{_describe(checked.report)}")
        problems.check(not checked.report.errors, f"[{form}] rules crashed:\n{_describe(checked.report)}")


def check_not_inspected(run: SeedRun, problems: Problems) -> None:
    """The seed models use only built-in Keras layers, losses and metrics: nothing is 'custom'."""
    allowed = run.case.expectations[run.variant].not_inspected
    for form, checked in run.forms.items():
        reasons = [u.reason for u in checked.report.not_inspected]
        unexpected = sorted({r for r in reasons if not any(s in r for s in allowed)})
        problems.check(not unexpected, f"[{form}] stock Keras reported as not inspected: {unexpected}")
        for substring in allowed:
            problems.check(any(substring in r for r in reasons), f"[{form}] no not-inspected entry has {substring!r}")


def check_parameter_counts(run: SeedRun, problems: Problems) -> None:
    if "keras2" in run.params:
        problems.equal(run.params["keras2"], run.params["keras3"], "tf_keras parameter count vs Keras 3")


# ---- the command line on the saved files ---------------------------------------------------------


def _console_script() -> list[str]:
    script = Path(sys.executable).with_name("fusiondoctor")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fusiondoctor"]


def _cli(*args, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*_console_script(), *map(str, args)], capture_output=True, text=True, timeout=120, env=env)


def _imported_top_level(stderr: str) -> set:
    """Top-level package names from ``-X importtime`` / PYTHONPROFILEIMPORTTIME lines."""
    names = set()
    for line in stderr.splitlines():
        match = re.match(r"import time:\s+\d+\s+\|\s+\d+\s+\|\s+(\S+)", line)
        if match:
            names.add(match.group(1).split(".")[0])
    return names


def _cli_names_fd101(path: Path, form: str, problems: Problems) -> None:
    text = _cli("check", path)
    problems.equal(text.returncode, 1, f"[{form}] text CLI exit code (stderr: {text.stderr.strip()[:300]})")
    lines = [line for line in text.stdout.splitlines() if " FD101 " in line]
    if problems.check(len(lines) == 1, f"[{form}] text CLI: expected one FD101 line in:\n{text.stdout}"):
        problems.check("[error]" in lines[0] and "layer 'output_layer'" in lines[0],
                       f"[{form}] text CLI: FD101 line does not name error at layer 'output_layer': {lines[0]!r}")
    problems.check("FD103" in text.stdout, f"[{form}] text CLI does not mention FD103")

    proc = _cli("check", path, "--format", "json")
    problems.equal(proc.returncode, 1, f"[{form}] JSON CLI exit code (stderr: {proc.stderr.strip()[:300]})")
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        problems.check(False, f"[{form}] JSON CLI printed no JSON: {proc.stdout[:300]!r}")
        return
    problems.equal(sorted({f["code"] for f in report["findings"]}), ["FD101", "FD103"], f"[{form}] JSON codes")
    fd101 = problems.only([f for f in report["findings"] if f["code"] == "FD101"], f"[{form}] JSON FD101")
    if fd101:
        problems.equal(fd101["severity"], "error", f"[{form}] JSON FD101 severity")
        problems.equal(fd101["location"].get("layer"), "output_layer", f"[{form}] JSON FD101 location.layer")
        problems.equal(fd101["location"].get("output"), "output_layer", f"[{form}] JSON FD101 location.output")
        patch = (fd101.get("fix") or {}).get("patch")
        problems.equal(patch, [{"target": "layer", "name": "output_layer", "key": "activation", "value": "sigmoid"}],
                       f"[{form}] JSON FD101 fix patch")
    problems.equal(report["summary"]["error"], 1, f"[{form}] JSON summary error count")


def _cli_imports_nothing_heavy(path: Path, problems: Problems) -> None:
    # The real console-script process, profiled: which packages did it import?
    proc = _cli("check", path, "--format", "json", env=dict(os.environ, PYTHONPROFILEIMPORTTIME="1"))
    problems.equal(proc.returncode, 1, "profiled CLI exit code")
    imported = _imported_top_level(proc.stderr)
    problems.check({"fusiondoctor", "h5py", "json"} <= imported, f"import profile not read: {sorted(imported)[:20]}")
    problems.equal(sorted(imported & HEAVY), [], "heavy packages imported by `fusiondoctor check` (import profile)")

    # cli.main in a fresh interpreter, then a look at sys.modules.
    code = (
        "import json, sys\n"
        "from fusiondoctor.cli import main\n"
        f"rc = main(['check', {str(path)!r}, '--format', 'json'])\n"
        "sys.stdout.flush()\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {sorted(HEAVY)!r})\n"
        "print('MODULES=' + json.dumps({'heavy': heavy, 'h5py': 'h5py' in sys.modules}), file=sys.stderr)\n"
        "sys.exit(rc)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    problems.equal(proc.returncode, 1, f"cli.main exit code (stderr: {proc.stderr.strip()[-300:]})")
    lines = [x for x in proc.stderr.splitlines() if x.startswith("MODULES=")]
    if problems.check(len(lines) == 1, f"cli.main subprocess printed no module list: {proc.stderr[-300:]}"):
        problems.equal(json.loads(lines[0][len("MODULES="):]), {"heavy": [], "h5py": True},
                       "modules loaded after cli.main(['check', FILE])")


# ---- the stories ---------------------------------------------------------------------------------


def seed000_bad(run: SeedRun, problems: Problems) -> None:
    """Meme sexism: FD101 (error) at output_layer, FD103 (info) at the concatenate; VGG16 frozen."""
    for form, checked in run.forms.items():
        report, spec = checked.report, checked.spec
        fd101 = problems.only(_findings(report, "FD101"), f"[{form}] FD101")
        if fd101:
            problems.equal(fd101.severity, Severity.ERROR, f"[{form}] FD101 severity")
            problems.equal(fd101.location.layer, "output_layer", f"[{form}] FD101 layer")
            problems.equal(fd101.location.output, "output_layer", f"[{form}] FD101 output")
            problems.equal(fd101.evidence.get("units"), 1, f"[{form}] FD101 units")
        fd103 = problems.only(_findings(report, "FD103"), f"[{form}] FD103")
        if fd103:
            problems.equal(fd103.severity, Severity.INFO, f"[{form}] FD103 severity")
            problems.equal(fd103.evidence.get("width_ratio"), 6.4, f"[{form}] FD103 width ratio (64 vs 10)")
        flatten = spec.nodes_of("Flatten")
        problems.equal([n.width for n in flatten], [7 * 7 * 512], f"[{form}] Flatten width after VGG16 block5_pool")
        lstm = spec.nodes_of("LSTM")
        problems.equal([(n.layer.name, n.width) for n in lstm], [("LTSM", 32)], f"[{form}] the text LSTM")
        problems.equal(len(spec.inputs), 2, f"[{form}] model inputs")
        found = find_backbones(spec)
        if problems.equal([b.arch for b in found], ["VGG16"], f"[{form}] backbones"):
            convs = [spec.nodes[k].layer for k in found[0].members if spec.nodes[k].layer.class_name == "Conv2D"]
            problems.equal((len(convs), any(c.trainable for c in convs)), (13, False), f"[{form}] VGG16 convs frozen")
    for form in (".h5", KERAS2_FORM):
        if form in run.forms:
            _cli_names_fd101(run.forms[form].path, form, problems)
    _cli_imports_nothing_heavy(run.forms[".h5"].path, problems)


def seed002_bad(run: SeedRun, problems: Problems) -> None:
    """Movie genres: the model is correct, so no finding may be an error; FD206 is the warning."""
    for form, checked in run.forms.items():
        report, spec = checked.report, checked.spec
        errors = [f"{f.code} at {f.location.layer}" for f in report.findings if f.severity >= Severity.ERROR]
        problems.equal(errors, [], f"[{form}] error-severity findings on a correct multi-label model")
        problems.equal(report.worst(), Severity.WARNING, f"[{form}] worst severity")
        fd206 = problems.only(_findings(report, "FD206"), f"[{form}] FD206")
        if fd206:
            problems.equal(fd206.evidence.get("units"), 18, f"[{form}] FD206 units")
            output_layer = spec.nodes[spec.outputs[0].key].layer.path
            problems.equal(fd206.location.layer, output_layer, f"[{form}] FD206 at the sigmoid output")
        flatten = spec.nodes_of("Flatten")
        problems.equal([n.width for n in flatten], [7 * 4 * 128], f"[{form}] Flatten width of 150x100 posters")
    for form in (".h5", KERAS2_FORM):
        if form in run.forms:
            path = run.forms[form].path
            problems.equal(_cli("check", path, "--fail-on", "error").returncode, 0, f"[{form}] CLI --fail-on error")
            problems.equal(_cli("check", path).returncode, 1, f"[{form}] CLI default --fail-on (FD206 warning)")


def seed003_bad(run: SeedRun, problems: Problems) -> None:
    """Speech: FD102 at predictions, FD104 and FD207 on the InceptionV3 backbone; all warnings."""
    for form, checked in run.forms.items():
        report, spec = checked.report, checked.spec
        found = find_backbones(spec)
        if problems.equal([b.arch for b in found], ["InceptionV3"], f"[{form}] backbones"):
            backbone = found[0]
            problems.check(backbone.classifier is not None and not backbone.nested,
                           f"[{form}] InceptionV3 should be flat, with its ImageNet classifier")
            if backbone.classifier is not None:
                problems.equal(spec.nodes[backbone.classifier].layer.name, "predictions", f"[{form}] classifier")
        fd102 = problems.only(_findings(report, "FD102"), f"[{form}] FD102")
        if fd102:
            problems.equal(fd102.location.layer, "predictions", f"[{form}] FD102 layer")
            problems.equal(fd102.evidence.get("softmax_units"), 1000, f"[{form}] FD102 softmax units")
            problems.equal(fd102.evidence.get("consumer"), "spectrogram_probs", f"[{form}] FD102 consumer")
        fd104 = problems.only(_findings(report, "FD104"), f"[{form}] FD104")
        if fd104:
            problems.equal(fd104.evidence.get("backbone"), "InceptionV3", f"[{form}] FD104 backbone")
            problems.check(
                fd104.location.layer in spec.layers, f"[{form}] FD104 location {fd104.location.layer!r} is no layer"
            )
            problems.equal((fd104.evidence.get("batchnorm_layers"), fd104.evidence.get("in_training_mode")), (94, 94),
                           f"[{form}] FD104 BatchNormalization layers (total, in training mode)")
        fd207 = problems.only(_findings(report, "FD207"), f"[{form}] FD207")
        if fd207:
            problems.equal(fd207.evidence.get("backbone"), "InceptionV3", f"[{form}] FD207 backbone")
            problems.equal(str(fd207.evidence.get("optimizer")).lower(), "rmsprop", f"[{form}] FD207 optimizer")
            problems.check(fd207.evidence.get("learning_rate") == pytest.approx(1e-3), f"[{form}] FD207 learning rate")
        problems.equal(sorted({f.severity.label for f in report.findings}), ["warning"], f"[{form}] severities")


def seed003_good(run: SeedRun, problems: Problems) -> None:
    """The fixed model is silent because it is fixed, not because the backbone went unseen."""
    for form, checked in run.forms.items():
        found = find_backbones(checked.spec)
        if problems.equal([b.arch for b in found], ["InceptionV3"], f"[{form}] backbones"):
            problems.check(found[0].classifier is None, f"[{form}] include_top=False has no classifier")


_C3D_FROZEN = ["conv1", "conv2", "conv3a", "conv3b", "conv4a", "conv4b", "conv5a", "conv5b",
               "pool1", "pool2", "pool3", "pool4", "pool5", "zeropad5"]


def seed004_bad(run: SeedRun, problems: Problems) -> None:
    """GIF sentiment: FD203 at nfc8, a warning for K = 2; C3D exactly as in the post's summary."""
    problems.equal(run.params.get("keras3"), 78_003_970, "C3D parameters (the post's model summary)")
    for form, checked in run.forms.items():
        fd203 = problems.only(_findings(checked.report, "FD203"), f"[{form}] FD203")
        if fd203:
            problems.equal(fd203.severity, Severity.WARNING, f"[{form}] FD203 severity (K = 2)")
            problems.equal(fd203.location.layer, "nfc8", f"[{form}] FD203 layer")
            problems.equal(fd203.evidence.get("units"), 2, f"[{form}] FD203 units")
        flatten = checked.spec.nodes_of("Flatten")
        problems.equal([n.width for n in flatten], [8192], f"[{form}] Flatten width after zeropad5/pool5")
        frozen = sorted(layer.name for layer in checked.spec.layers.values() if not layer.trainable)
        problems.equal(frozen, sorted(_C3D_FROZEN), f"[{form}] frozen layers (model.layers[:14])")


STORIES: dict[tuple, Callable[[SeedRun, Problems], None]] = {
    (SEED000, "bad"): seed000_bad,
    (SEED002, "bad"): seed002_bad,
    (SEED003, "bad"): seed003_bad,
    (SEED003, "good"): seed003_good,
    (SEED004, "bad"): seed004_bad,
}


# ---- the tests -----------------------------------------------------------------------------------


def test_seed_cases_exist():
    assert sorted(c.name for c in SEEDS) == [SEED000, SEED002, SEED003, SEED004]
    assert sorted(c.story for c in SEEDS) == ["seed-000", "seed-002", "seed-003", "seed-004"]
    for case in SEEDS:
        assert case.slow, f"{case.name}: full-size seed cases are slow"
        assert case.keras2, f"{case.name}: every seed model builds with tf_keras"
        assert set(case.expectations) == {"bad", "good"}, case.name
        assert case.expectations["good"].codes == [], f"{case.name}: the corrected model is silent"


@pytest.mark.parametrize("case, variant", PARAMS)
def test_seed_case(case, variant, tmp_path):
    problems = Problems()
    try:
        run = _build_and_check(case, variant, tmp_path)
        check_codes(run, problems)
        check_not_inspected(run, problems)
        check_parameter_counts(run, problems)
        story = STORIES.get((case.name, variant))
        if story is not None:
            story(run, problems)
    finally:
        for path in tmp_path.iterdir():  # up to 600 MB for C3D
            path.unlink()
    assert not problems.items, f"{case.name}/{variant}: {len(problems.items)} failed checks:\n" + "\n".join(
        f"- {p}" for p in problems.items)
