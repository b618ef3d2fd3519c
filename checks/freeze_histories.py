"""Freeze the history cases of the casebook: ``python checks/freeze_histories.py [CASE ...]``.

For every history case (``kind = "history"`` in case.toml) and variant, run ``train(keras)`` --
with ``tf_keras`` where case.toml says ``trainer = "tf_keras"`` -- and write next to it:

* ``<variant>.history.json``: the ``History.history`` dict, metric -> one value per epoch
  (NaN and infinity as JSON's ``NaN`` / ``Infinity``, which Python's json module reads back);
* ``<variant>.model.json``: ``model.to_json()``, the architecture and, from Keras 3, the compile
  config, which is what the static rules need.

Then it checks each frozen pair with fusiondoctor and prints the codes next to the expectation,
so a regenerated history that changes the diagnosis is seen at once. Run it under the TensorFlow
backend: the frozen histories are the TensorFlow ones, and the tests regenerate them on JAX too.
Exit status 1 when any case's codes differ from its case.toml.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from tests.casebook import VARIANTS, cases, tomllib  # noqa: E402


def trainer_module(case) -> str:
    """The module ``train`` gets: "keras" unless case.toml names another (``trainer = "tf_keras"``)."""
    with open(case.folder / "case.toml", "rb") as handle:
        return str(tomllib.load(handle).get("trainer", "keras"))


def freeze(case, variant: str) -> tuple:
    module = importlib.import_module(trainer_module(case))
    started = time.perf_counter()
    model, history = case.trainer(variant)(module)
    seconds = time.perf_counter() - started
    history = {key: [float(v) for v in values] for key, values in history.items()}
    (case.folder / f"{variant}.history.json").write_text(json.dumps(history, indent=1) + "\n")
    (case.folder / f"{variant}.model.json").write_text(json.dumps(json.loads(model.to_json()), indent=1) + "\n")
    module.backend.clear_session()
    return history, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="case folder names (or prefixes); all history cases by default")
    args = parser.parse_args()
    import fusiondoctor
    from fusiondoctor.config import settings_from_table

    chosen = [c for c in cases(kind="history")
              if not args.names or any(c.name == n or c.name.startswith(n) for n in args.names)]
    if not chosen:
        print("no history case matches", file=sys.stderr)
        return 2
    mismatches = 0
    for case in chosen:
        for variant in VARIANTS:
            if variant not in case.expectations:
                continue
            history, seconds = freeze(case, variant)
            with open(case.folder / "case.toml", "rb") as handle:
                table = tomllib.load(handle)[variant].get("settings")
            report = fusiondoctor.check(case.folder / f"{variant}.model.json",
                                        history=case.folder / f"{variant}.history.json",
                                        settings=settings_from_table(table) if table else fusiondoctor.Settings())
            found, expected = report.codes(), case.expectations[variant].codes
            mark = "ok" if found == expected else "MISMATCH"
            mismatches += found != expected
            print(f"{case.name}/{variant} ({seconds:.1f} s): {found} expected {expected} {mark}")
            for key, values in history.items():
                print(f"    {key:>16}: " + " ".join(f"{v:.4g}" for v in values))
            for finding in report.findings:
                print(f"    {finding.code} {finding.message}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
