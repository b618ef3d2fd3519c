"""Load the casebook in ``checks/``: one folder per rule or seed story, with bad.py / good.py.

Each ``bad.py`` / ``good.py`` defines ``build(keras)``, which builds and compiles a model with the
module it is given (``keras`` for Keras 3, ``tf_keras`` for Keras 2), so one source yields files of
both generations. ``case.toml`` holds the expectations:

    rule = "FD101"                 # or story = "seed-000" for seed folders
    keras2 = true                  # tf_keras can build it (Keras 2 .h5 files are tested too)
    where = "layer_name"           # optional: where the finding points (benchmarks/casebook_eval.py)
    [bad]
    expect = ["FD101"]             # the exact set of finding codes, in every dialect
    expect_keras2 = ["FD101"]      # optional: where tf_keras semantics differ
    not_inspected = ["custom"]     # optional: substrings that must appear in the not-inspected list
    [good]
    expect = []

History cases (``kind = "history"``, for FD3xx rules) define ``train(keras)`` instead, which runs a
real tiny training with fixed seeds and returns ``(model, history_dict)``; the run is frozen next
to it as ``bad.history.json`` / ``good.history.json`` and ``tests/test_history_casebook.py``
regenerates it. Data cases (``kind = "data"``, for FD5xx rules) define ``make(keras)``, which
returns ``(model, (x, y))``: a model trained briefly on synthetic data with a known ground truth,
and the probe data (``tests/test_data_casebook.py`` documents their extra keys). A ``[bad.trial]``
table says what a fix trial concludes (``tests/test_trial_casebook.py``).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CHECKS = Path(__file__).resolve().parent.parent / "checks"
if str(CHECKS) not in sys.path:
    sys.path.append(str(CHECKS))  # shared helpers of the cases (checks/trial_data.py)
VARIANTS = ("bad", "good")


@dataclass(frozen=True)
class Expectation:
    codes: list[str]
    codes_keras2: list[str]
    not_inspected: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Case:
    folder: Path
    rule: str | None
    story: str | None
    keras2: bool
    slow: bool
    expectations: dict[str, Expectation]
    kind: str = "model"

    @property
    def name(self) -> str:
        return self.folder.name

    def module(self, variant: str):
        path = self.folder / f"{variant}.py"
        module_name = f"_casebook_{self.name.replace('-', '_')}_{variant}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def builder(self, variant: str) -> Callable:
        return self.module(variant).build

    def trainer(self, variant: str) -> Callable:
        return self.module(variant).train

    def frozen_history(self, variant: str) -> Path:
        return self.folder / f"{variant}.history.json"


def _expectation(table: dict) -> Expectation:
    codes = sorted(table.get("expect", []))
    return Expectation(codes, sorted(table.get("expect_keras2", codes)), list(table.get("not_inspected", [])))


def load_case(folder: Path) -> Case:
    with open(folder / "case.toml", "rb") as handle:
        data = tomllib.load(handle)
    expectations = {v: _expectation(data[v]) for v in VARIANTS if v in data}
    return Case(folder, data.get("rule"), data.get("story"), bool(data.get("keras2", True)),
                bool(data.get("slow", False)), expectations, str(data.get("kind", "model")))


def cases(slow: bool | None = None, kind: str = "model") -> list[Case]:
    """Case folders of one kind ("model" or "history"), sorted by name; ``slow`` filters on the
    case's ``slow`` flag."""
    found = [load_case(p) for p in sorted(CHECKS.iterdir()) if (p / "case.toml").is_file()]
    return [c for c in found if c.kind == kind and (slow is None or c.slow == slow)]


def get_case(name: str) -> Case:
    for case in cases(kind="model") + cases(kind="history"):
        if case.name == name or case.name.startswith(name + "-"):
            return case
    raise KeyError(f"no case folder named {name!r} in {CHECKS}")
