"""How long a data-aware check of the seed-000 model takes: the whole command, and where the time goes.

    .venv/bin/python benchmarks/probe_time.py [--repeat N] [--samples 512] [--small 64] [--keep]

Builds, into ``benchmarks/_out/probe_time/`` (git-ignored; reused by later runs, ``--rebuild`` to
redo them):

* the seed-000 bad model (``checks/seed-000-meme-vgg16-lstm/bad.py``: frozen VGG16 at 224x224 +
  LSTM on (1, 512) sentence vectors, ``Dense(1, softmax)``; 21.2M parameters) as a ``.keras`` file;
* synthetic probe data for it: 512 samples of the right shapes (images in [0, 1], sentence vectors
  N(0, 1)), balanced 0/1 labels, as an ``.npz`` with one array per input named after the input
  layer, plus ``y`` -- the layout ``--data`` reads.

Then it times, as whole processes (start to exit: interpreter, imports, loading the model, reading
the data, the probes, every rule and the JSON report):

(a) ``fusiondoctor check MODEL --data DATA --format json`` with the default ``--max-samples`` (512);
(b) the same with ``--max-samples 64``;
(c) ``python -c "import keras"``: the import floor every data-aware check pays.

and, in one more process per sample size, a breakdown of the same work: Keras import, the static
spec, loading the model for probing, reading the data, and each probe in the order the rules ask
for them (predictions, branch scales at the merge, input statistics, BatchNormalization statistics,
ablation of each input three ways, the scikit-learn linear probes), then the rules themselves.
Each probe reuses what the earlier ones computed, so each line is its own extra cost.

Prints the numbers and a summary table; exits 1 if a command failed or FD101 was not reported.
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

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "_out" / "probe_time"
MODEL = OUT / "seed-000-bad.keras"
DATA = OUT / "seed-000-data-512.npz"


def _env(**extra: str) -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.update(extra)
    return env


def build(rebuild: bool, samples: int) -> None:
    """The model file and the .npz, built in a child process (so this one stays light)."""
    if MODEL.exists() and DATA.exists() and not rebuild:
        return
    OUT.mkdir(parents=True, exist_ok=True)
    code = f"""
import sys, numpy as np, keras
sys.path.insert(0, {str(ROOT)!r})
from tests.casebook import get_case
import fusiondoctor
from fusiondoctor.probes.data import input_names
keras.utils.set_random_seed(0)
model = get_case("seed-000").builder("bad")(keras)
model.save({str(MODEL)!r})
spec = fusiondoctor.load_model_spec({str(MODEL)!r})
names = input_names(spec)
rng = np.random.default_rng(0)
arrays = {{}}
for name, tensor in zip(names, model.inputs):
    shape = ({samples},) + tuple(tensor.shape[1:])
    arrays[name] = (rng.random(shape) if len(shape) == 4 else rng.normal(size=shape)).astype("float32")
arrays["y"] = rng.permutation(np.arange({samples}) % 2).astype("float32")
np.savez({str(DATA)!r}, **arrays)
print("built", {str(MODEL)!r}, {{k: v.shape for k, v in arrays.items()}}, file=sys.stderr)
"""
    print(f"building the seed-000 model and {samples} samples into {OUT} (once) ...", file=sys.stderr)
    subprocess.run([sys.executable, "-c", code], check=True, env=_env())


def fusiondoctor_command() -> list:
    script = Path(sys.executable).with_name("fusiondoctor")
    return [str(script)] if script.exists() else [sys.executable, "-m", "fusiondoctor"]


def timed(command: list) -> tuple:
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=_env(), cwd=str(OUT))
    return time.perf_counter() - start, proc


BREAKDOWN = r"""
import json, sys, time
marks = []
start = last = time.perf_counter()
def mark(name):
    global last
    now = time.perf_counter()
    marks.append((name, now - last))
    last = now
import keras
mark("import keras")
import fusiondoctor
from fusiondoctor import Settings
from fusiondoctor.engine import Subject, diagnose
from fusiondoctor.probes.data import make_probe_data
from fusiondoctor.probes.loading import load_for_probing
from fusiondoctor.probes.probes import Probes
mark("import fusiondoctor")
model_path, data_path, max_samples = sys.argv[1], sys.argv[2], int(sys.argv[3])
spec = fusiondoctor.load_model_spec(model_path)
mark("static spec (config read, no weights)")
live = load_for_probing(model_path)
mark("load the model for probing (Keras safe mode)")
data = make_probe_data(data_path, spec, max_samples)
mark(f"read the .npz and subsample to {data.n}")
probes = Probes(live, spec, data)
probes.predictions
mark("predictions (one forward pass)")
probes.merge_scales()
mark("branch scales at the merge (FD501)")
probes.input_stats()
mark("input statistics (FD503)")
probes.batchnorm()
mark("BatchNormalization statistics (FD502)")
result = probes.ablation()
mark(f"ablation: {len(probes.names)} inputs x zero/mean/shuffle (FD505)")
probes.branch_probes()
mark("linear probes, scikit-learn (FD506)")
report = diagnose(Subject(model_path, model=spec, probes=probes), Settings())
mark("every rule + report (probes already computed)")
marks.append(("total", time.perf_counter() - start))
print(json.dumps({"marks": marks, "codes": report.codes(), "n": data.n,
                  "methods": sorted({r.method for r in result.rows}) if result else []}))
"""


def breakdown(samples: int) -> dict:
    proc = subprocess.run([sys.executable, "-c", BREAKDOWN, str(MODEL), str(DATA), str(samples)], capture_output=True,
                          text=True, env=_env(), cwd=str(ROOT))
    if proc.returncode != 0:
        raise RuntimeError(f"breakdown failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", "-n", type=int, default=1, help="whole-process runs of each command (default 1)")
    parser.add_argument("--samples", type=int, default=512, help="samples in the .npz (default 512)")
    parser.add_argument("--small", type=int, default=64, help="the --max-samples of run (b) (default 64)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the model and data files")
    parser.add_argument("--no-breakdown", action="store_true", help="whole-process timings only")
    args = parser.parse_args()
    build(args.rebuild, args.samples)
    size_mb = MODEL.stat().st_size / 1e6, DATA.stat().st_size / 1e6
    print(f"model {MODEL.name}: {size_mb[0]:.0f} MB; data {DATA.name}: {size_mb[1]:.0f} MB; "
          f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")

    base = fusiondoctor_command() + ["check", str(MODEL), "--data", str(DATA), "--format", "json"]
    commands = {
        f"(a) check --data (default: {args.samples} samples)": base,
        f"(b) check --data --max-samples {args.small}": base + ["--max-samples", str(args.small)],
        "(c) python -c 'import keras'": [sys.executable, "-c", "import keras"],
    }
    times = {name: [] for name in commands}
    failed = False
    for _ in range(args.repeat):
        for name, command in commands.items():
            seconds, proc = timed(command)
            times[name].append(seconds)
            if name.startswith("(c)"):
                failed |= proc.returncode != 0
                continue
            codes = sorted({f["code"] for f in json.loads(proc.stdout)["findings"]}) if proc.stdout.strip() else []
            print(f"{name}: {seconds:.1f} s, exit {proc.returncode}, codes {codes}")
            if proc.returncode not in (0, 1) or "FD101" not in codes:
                failed = True
                print(proc.stderr[-2000:], file=sys.stderr)

    print("\nwhole process (seconds)        median     min     max")
    for name, values in times.items():
        print(f"{name:<48} {statistics.median(values):7.1f} {min(values):7.1f} {max(values):7.1f}")

    if not args.no_breakdown:
        for samples in (args.samples, args.small):
            result = breakdown(samples)
            print(f"\nbreakdown, {result['n']} samples (one process; ablation method: {', '.join(result['methods'])}; "
                  f"codes {result['codes']})")
            for name, seconds in result["marks"]:
                print(f"  {name:<58} {seconds:7.2f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
