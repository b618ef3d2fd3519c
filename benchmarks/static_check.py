"""How long a static check of the seed-000 model takes, next to loading the same file with Keras.

    .venv/bin/python benchmarks/static_check.py [--repeat N] [--file PATH] [--keep]

Builds the seed-000 bad model (frozen VGG16 + LSTM at full size, an ~85 MB ``.h5``) into
``benchmarks/_out/`` with ``checks/run_case.py`` if it is not there yet, then times N runs of each, as
whole processes, alternating so that both see the same machine state:

(a) ``fusiondoctor check FILE --format json``: the venv's console script, as a user runs it;
(b) ``python -c "import keras; keras.models.load_model(FILE)"``: what a check that loaded the model
    with Keras would cost at the least.

Prints the median, min and max of each, their ratio, and whether the fusiondoctor process
imported TensorFlow or Keras (it must not; read from ``PYTHONPROFILEIMPORTTIME``). Exits 1 if it did,
or if the check did not report FD101.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "_out"
DEFAULT_FILE = OUT / "seed-000-bad.h5"
HEAVY = {"tensorflow", "keras", "tf_keras", "jax", "torch", "matplotlib"}


def _env(**extra: str) -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.update(extra)
    return env


def ensure_model(path: Path) -> None:
    if path.exists():
        return
    print(f"building the seed-000 model into {path} (once) ...", file=sys.stderr)
    subprocess.run([sys.executable, str(ROOT / "checks" / "run_case.py"), "seed-000", "bad", "--save", str(path)],
                   check=True, env=_env())


def fusiondoctor_command() -> list:
    script = Path(sys.executable).with_name("fusiondoctor")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fusiondoctor"]


def timed(command: list, env: dict) -> tuple:
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=env)
    return time.perf_counter() - start, proc


def heavy_imports(stderr: str) -> set:
    names = set()
    for line in stderr.splitlines():
        match = re.match(r"import time:\s+\d+\s+\|\s+\d+\s+\|\s+(\S+)", line)
        if match:
            names.add(match.group(1).split(".")[0])
    return names & HEAVY


def describe(label: str, samples: list) -> str:
    return (f"{label:<44} median {statistics.median(samples):7.3f} s   min {min(samples):7.3f} s   "
            f"max {max(samples):7.3f} s   (n={len(samples)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", "-n", type=int, default=7, help="runs of each command (default 7)")
    parser.add_argument(
        "--file", type=Path, default=DEFAULT_FILE, help=f"model file (default {DEFAULT_FILE.relative_to(ROOT)})"
    )
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    ensure_model(args.file)
    size_mb = args.file.stat().st_size / 1e6
    check_cmd = [*fusiondoctor_command(), "check", str(args.file), "--format", "json"]
    load_cmd = [sys.executable, "-c", f"import keras; keras.models.load_model({str(args.file)!r})"]

    # Warm-up: one untimed run of each, so that the first timed run does not pay for a cold page cache.
    _, first = timed(check_cmd, _env(PYTHONPROFILEIMPORTTIME="1"))
    heavy = heavy_imports(first.stderr)
    codes = sorted({f["code"] for f in json.loads(first.stdout)["findings"]}) if first.stdout.strip() else []
    _, warm = timed(load_cmd, _env())
    if warm.returncode != 0:
        print(warm.stderr[-2000:], file=sys.stderr)
        return 2

    check_times, load_times = [], []
    for _ in range(args.repeat):
        seconds, proc = timed(check_cmd, _env())
        if proc.returncode != 1:  # findings -> exit code 1
            print(f"fusiondoctor exited {proc.returncode}: {proc.stderr.strip()[:500]}", file=sys.stderr)
            return 2
        check_times.append(seconds)
        seconds, proc = timed(load_cmd, _env())
        if proc.returncode != 0:
            print(proc.stderr[-2000:], file=sys.stderr)
            return 2
        load_times.append(seconds)

    print(f"model file: {args.file} ({size_mb:.1f} MB), findings: {', '.join(codes) or 'none'}")
    print(describe("(a) fusiondoctor check FILE --format json", check_times))
    print(describe("(b) python -c 'keras.models.load_model(FILE)'", load_times))
    ratio = statistics.median(load_times) / statistics.median(check_times)
    print(f"ratio (b)/(a) of medians: {ratio:.1f}x")
    print(f"fusiondoctor process imported TensorFlow/Keras: {'YES: ' + ', '.join(sorted(heavy)) if heavy else 'no'}")
    return 1 if heavy or "FD101" not in codes else 0


if __name__ == "__main__":
    sys.exit(main())
