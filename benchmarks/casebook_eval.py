"""How well the static rules name faults where they are, and how quiet they stay on healthy models.

    .venv/bin/python benchmarks/casebook_eval.py [--no-apps] [--seeds] [--only NAME ...] [--json PATH]

Not a test: it prints figures. Every model is built with Keras 3 and saved as a ``.keras`` and a
Keras 3 ``.h5`` file, and with tf_keras as a Keras 2 ``.h5`` file (where it can be), and each file
is checked with the default settings. Three sets:

* **casebook** (``checks/``, model cases): a bad case counts as *located* in a file form when a
  finding of the case's own rule points at the place named by ``where`` in its case.toml (a layer
  name or a setting such as ``loss`` or ``optimizer.learning_rate``); cases without ``where`` count
  as located when the rule fires at all. Good cases: every error and warning is listed.
* **everyday** (``benchmarks/everyday/``, written before the thresholds were set and never tuned
  on): a bad program counts as located when *any* finding points at one of its ``WHERE`` places.
  Healthy variants: every error and warning is listed.
* **applications**: every ``keras.applications`` architecture with a correct head (the sweep of
  ``tests/test_applications.py``: nested and flat transfer models, and the bare model with its
  ImageNet top), checked live: every error and warning is listed.

``--seeds`` adds the full-size seed stories to the casebook set (slow).
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import fusiondoctor  # noqa: E402
from fusiondoctor.types import Finding, Report, Severity  # noqa: E402
from tests.casebook import cases, tomllib  # noqa: E402

EVERYDAY = ROOT / "benchmarks" / "everyday"
FORMS = ("keras", "h5", "keras2 h5")


@dataclass
class Result:
    """One model (a case variant or an everyday program) checked in each file form."""

    name: str
    variant: str
    where: Sequence[str] = ()
    rule: str | None = None
    located: dict[str, bool] = field(default_factory=dict)  # form -> located (bad models)
    loud: dict[str, list[str]] = field(default_factory=dict)  # form -> "CODE severity at place" (errors, warnings)
    codes: dict[str, list[str]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


def place(finding: Finding) -> str:
    loc = finding.location
    parts = [p for p in (loc.layer, loc.setting and f"setting {loc.setting}", loc.metric) if p]
    return " / ".join(parts) or "model"


def points_at(finding: Finding, where: Sequence[str]) -> bool:
    loc = finding.location
    names = {loc.setting, loc.output, loc.layer, (loc.layer or "").rsplit("/", 1)[-1]}
    return any(w in names for w in where)


def check(path: Path) -> Report:
    return fusiondoctor.check(path, settings=fusiondoctor.Settings())


def loud(report: Report) -> list[str]:
    return [f"{f.code} {f.severity.label} at {place(f)}" for f in report.findings if f.severity >= Severity.WARNING]


def evaluate(result: Result, build: Callable, keras2: bool, bad: bool, tmp: Path,
             judged: Callable[[str], bool] = lambda form: True) -> None:
    import keras
    import tf_keras

    for form in FORMS:
        if form == "keras2 h5" and not keras2:
            continue
        module = tf_keras if form == "keras2 h5" else keras
        try:
            module.utils.set_random_seed(0)
            model = build(module)
            path = tmp / f"{result.name}-{result.variant}.{'keras' if form == 'keras' else 'h5'}"
            model.save(str(path))
            report = check(path)
        except Exception as exc:  # a build or save that fails is reported, not fatal
            result.failed[form] = f"{type(exc).__name__}: {str(exc)[:120]}"
            continue
        finally:
            module.backend.clear_session()
        result.codes[form] = report.codes()
        result.loud[form] = loud(report)
        if bad and judged(form):
            mine = [f for f in report.findings if result.rule is None or f.code == result.rule]
            result.located[form] = any(points_at(f, result.where) for f in mine) if result.where else bool(mine)


def _shows(rule: str | None, expected, form: str) -> bool:
    """Whether the case expects its own rule in this file form (FD104 does not in Keras 2 files)."""
    return rule in (expected.codes_keras2 if form == "keras2 h5" else expected.codes)


def casebook(tmp: Path, seeds: bool, only: Sequence[str]) -> list[Result]:
    results = []
    for case in cases(kind="model"):
        wanted = not only or any(case.name.startswith(o) for o in only)
        if ((case.slow or case.story) and not seeds) or not wanted:
            continue
        with open(case.folder / "case.toml", "rb") as handle:
            table = tomllib.load(handle)
        where = table.get("where", ())
        where = [where] if isinstance(where, str) else list(where)
        for variant in ("bad", "good"):
            result = Result(case.name, variant, where, case.rule)
            shows = functools.partial(_shows, case.rule, case.expectations[variant])
            evaluate(result, case.builder(variant), case.keras2, variant == "bad" and case.rule is not None, tmp, shows)
            results.append(result)
            print(f"  casebook {case.name}/{variant}: {result.codes.get('keras')}", file=sys.stderr)
    return results


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(f"_everyday_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def everyday(tmp: Path, only: Sequence[str]) -> list[Result]:
    results = []
    for path in sorted(EVERYDAY.glob("*.py")):
        if only and not any(path.stem.startswith(o) for o in only):
            continue
        module = _module(path)
        for variant in ("bad", "good"):
            build = getattr(module, variant, None)
            if build is None:
                continue
            result = Result(path.stem, variant, tuple(module.WHERE))
            evaluate(result, build, True, variant == "bad", tmp)
            results.append(result)
            print(f"  everyday {path.stem}/{variant}: {result.codes.get('keras')}", file=sys.stderr)
    return results


def applications() -> list[Result]:
    import keras

    from tests import test_applications as sweep

    results = []
    for arch in sweep.KERAS3_ARCHS:
        result = Result(arch, "healthy")
        try:
            nested, flat = sweep._transfer_models(keras, arch)
            size = sweep._size(arch)
            with sweep._lazy(keras):
                builder = sweep.architectures(keras.applications)[arch]
                top = builder(weights=None, include_top=True, input_shape=(size, size, 3))
            sweep._compile(keras, top, "adam")
            for label, model in (("nested", nested), ("flat", flat), ("include_top", top)):
                report = fusiondoctor.check(model, settings=fusiondoctor.Settings())
                result.codes[label] = report.codes()
                result.loud[label] = loud(report)
        except Exception as exc:
            result.failed["live"] = f"{type(exc).__name__}: {str(exc)[:120]}"
        sweep._free(keras)
        results.append(result)
        print(f"  applications {arch}: {result.loud}", file=sys.stderr)
    return results


# ---- the summary ----------------------------------------------------------------------------------------


def _severity_counts(results: list[Result]) -> Counter:
    counts: Counter = Counter()
    for r in results:
        for lines in r.loud.values():
            for line in lines:
                code, severity = line.split()[:2]
                counts[severity] += 1
                counts[f"{severity} {code}"] += 1
    return counts


def summarize(title: str, results: list[Result]) -> list[str]:
    lines = [f"## {title}"]
    bad = [r for r in results if r.variant == "bad" and (r.rule or r.where)]
    if bad:
        for form in FORMS:
            judged = [r for r in bad if form in r.located]
            hits = sum(r.located[form] for r in judged)
            if judged:
                lines.append(f"bad, located ({form}): {hits}/{len(judged)} = {hits / len(judged):.0%}")
        missed = sorted({f"{r.name} [{form}] found {r.codes.get(form)}"
                         for r in bad for form, ok in r.located.items() if not ok})
        lines += [f"  missed: {m}" for m in missed]
    healthy = [r for r in results if r.variant in ("good", "healthy")]
    if healthy:
        counts = _severity_counts(healthy)
        forms = sum(len(r.loud) for r in healthy)
        lines.append(f"healthy: {len(healthy)} models, {forms} checks: "
                     f"{counts['error']} errors, {counts['warning']} warnings")
        for r in healthy:
            for form, found in r.loud.items():
                if found:
                    lines.append(f"  {r.name} [{form}]: {'; '.join(found)}")
    failed = [f"{r.name}/{r.variant} [{form}]: {why}" for r in results for form, why in r.failed.items()]
    lines += [f"  build failed: {f}" for f in failed]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-apps", action="store_true", help="skip the keras.applications sweep")
    parser.add_argument("--no-casebook", action="store_true")
    parser.add_argument("--no-everyday", action="store_true")
    parser.add_argument("--seeds", action="store_true", help="add the full-size seed stories (slow)")
    parser.add_argument("--only", nargs="*", default=(), help="case or program name prefixes")
    parser.add_argument("--json", type=Path, help="write every result as JSON")
    args = parser.parse_args()
    started = time.perf_counter()
    sets: dict[str, list[Result]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_casebook:
            sets["casebook"] = casebook(Path(tmp), args.seeds, args.only)
        if not args.no_everyday:
            sets["everyday"] = everyday(Path(tmp), args.only)
    if not args.no_apps and not args.only:
        sets["applications"] = applications()
    lines = []
    for title, results in sets.items():
        lines += summarize(title, results) + [""]
    lines.append(f"({time.perf_counter() - started:.0f} s)")
    print("\n".join(lines))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({k: [r.__dict__ for r in v] for k, v in sets.items()}, indent=1, default=list))
    return 0


if __name__ == "__main__":
    sys.exit(main())
