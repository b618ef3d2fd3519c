"""Build one casebook model and save it: ``python checks/run_case.py CASE VARIANT --save PATH``.

The file format follows the suffix (``.keras`` or ``.h5``); ``--keras2`` builds it with tf_keras
and writes a Keras 2 ``.h5``. Used by the README's demo command and by the benchmarks.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from tests.casebook import get_case  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("case", help="case folder name (or its prefix, e.g. seed-000)")
    parser.add_argument("variant", choices=["bad", "good"])
    parser.add_argument("--save", required=True, metavar="PATH")
    parser.add_argument("--keras2", action="store_true", help="build with tf_keras (Keras 2) and save .h5")
    args = parser.parse_args()
    if args.keras2:
        import tf_keras as module
    else:
        import keras as module
    model = get_case(args.case).builder(args.variant)(module)
    target = Path(args.save)
    target.parent.mkdir(parents=True, exist_ok=True)
    model.save(str(target))
    print(f"saved {args.case}/{args.variant} ({model.count_params():,} parameters) to {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
