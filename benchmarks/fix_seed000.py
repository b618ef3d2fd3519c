"""The seed-000 story from the broken model to a confirmed fix: `fusiondoctor fix` whole-process.

    .venv/bin/python benchmarks/fix_seed000.py [--samples N] [--repeat R] [--jax]

Builds the seed-000 bad model (frozen VGG16 at 224x224 + LSTM over (1, 512), Dense(1, softmax),
an ~85 MB .h5) into benchmarks/_out/ once, and synthetic meme data: N images and text vectors
whose labels show in both modalities. Then times R runs of

    fusiondoctor fix seed-000-bad.h5 --data seed-000-data.npz      (default settings)

as whole processes, prints the median and each run's verdict for FD101, and exits 1 unless FD101's
fix is confirmed every time. `--jax` runs it with KERAS_BACKEND=jax (the GPU machine's stack).
AUTOTRAINER spent 496 s on the same Stack Overflow bug, tried 8 wrong fixes and gave up.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "_out"
MODEL = OUT / "seed-000-bad.h5"


def ensure_model() -> None:
    if not MODEL.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(ROOT / "checks" / "run_case.py"), "seed-000", "bad", "--save", str(MODEL)],
                       check=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))


def make_data(samples: int, path: Path, seed: int = 0) -> None:
    """The demo's synthetic memes (label in the image's top half and in the text), as an .npz."""
    from fusiondoctor.demo import meme_data

    (images, text), y = meme_data(samples, seed)
    names = _input_names()
    np.savez(path, **{names[0]: images, names[1]: text, "y": y})


def _input_names() -> list:
    code = (f"import fusiondoctor, json; s = fusiondoctor.load_model_spec({str(MODEL)!r}); "
            "print(json.dumps([s.nodes[k].layer.name for k in s.inputs]))")
    return json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jax", action="store_true")
    args = parser.parse_args()
    ensure_model()
    data = OUT / f"seed-000-data-{args.samples}.npz"
    if not data.exists():
        make_data(args.samples, data)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    if args.jax:
        env["KERAS_BACKEND"] = "jax"
    script = Path(sys.executable).with_name("fusiondoctor")
    command = [str(script) if script.exists() else sys.executable, *([] if script.exists() else ["-m", "fusiondoctor"]),
               "fix", str(MODEL), "--data", str(data), "--format", "json", "--quiet"]
    times, verdicts = [], []
    for _ in range(args.repeat):
        start = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - start)
        try:
            trials = json.loads(proc.stdout)["trials"]
        except (ValueError, KeyError):
            print(proc.stderr[-2000:], file=sys.stderr)
            return 1
        fd101 = next((t for t in trials if t["code"] == "FD101"), None)
        verdicts.append(fd101["verdict"] if fd101 else "absent")
        print(f"run {len(times)}: {times[-1]:.1f} s  FD101 {verdicts[-1]}  "
              f"baseline {fd101['baseline']['mean']} -> candidate {fd101['candidate']['mean']}" if fd101 else "")
    print(
        f"fusiondoctor fix, seed-000 (VGG16 224x224 + LSTM), {args.samples} samples, "
        f"{'jax' if args.jax else os.environ.get('KERAS_BACKEND', 'tensorflow')}: "
        f"median {statistics.median(times):.1f} s (min {min(times):.1f}, max {max(times):.1f}) over {len(times)} runs"
    )
    return 0 if all(v == "confirmed" for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
