#!/usr/bin/env python3
"""Wall time of one sweep run serially (--jobs 1) against in parallel (--jobs N), side by side
in one run, from fresh output directories: the points, their test errors (which must agree:
each point trains the same way whatever runs it) and the speed-up.

    python tools/bench_sweep.py                                     # digits_quick, 1 vs 2 jobs
    python tools/bench_sweep.py --epochs 20                         # longer points
    python tools/bench_sweep.py --sweep models/sweeps/depth.toml --jobs 1 2 --only \\
        1_blocks_skips 1_blocks_plain
    python tools/bench_sweep.py --quick                              # shortened (the tests)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import lava_eqprop as le
from lava_eqprop.experiments.figures import emit, log, machine
from lava_eqprop.experiments.specs import MODELS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sweep", type=Path, default=MODELS / "sweeps" / "digits_quick.toml")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--only", nargs="+", metavar="POINT")
    parser.add_argument("--epochs", type=int, help="epochs of every point (default: the file's)")
    parser.add_argument("--quick", action="store_true", help="200 training samples")
    args = parser.parse_args()
    overrides = {"data.train_samples": 200, "data.test_samples": 60} if args.quick else {}
    seconds, errors = {}, {}
    with tempfile.TemporaryDirectory() as work:
        for jobs in args.jobs:
            start = time.perf_counter()
            summary = le.sweep(args.sweep, out=Path(work) / f"jobs{jobs}", jobs=jobs,
                               overrides=overrides, only=args.only, epochs=args.epochs,
                               progress=log)
            seconds[jobs] = time.perf_counter() - start
            errors[jobs] = [p["test_error"] for p in summary["points"]]
            log(f"--jobs {jobs}: {len(summary['points'])} points in {seconds[jobs]:.1f} s")
    serial = seconds[args.jobs[0]]
    for jobs in args.jobs:
        print(f"--jobs {jobs}: {seconds[jobs]:6.1f} s  ({serial / seconds[jobs]:.2f}x "
              f"--jobs {args.jobs[0]})")
    emit({"benchmark": "sweep_jobs", "machine": machine(), "sweep": str(args.sweep),
          "quick": args.quick, "epochs": args.epochs, "points": len(errors[args.jobs[0]]),
          "seconds": seconds,
          "speedup": {jobs: serial / seconds[jobs] for jobs in args.jobs},
          "same_results": all(e == errors[args.jobs[0]] for e in errors.values()),
          "test_errors": errors})


if __name__ == "__main__":
    main()
