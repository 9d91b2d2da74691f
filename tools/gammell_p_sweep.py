#!/usr/bin/env python3
"""How far the rewiring probability p closes Gammell et al.'s vanishing-gradient gap on MNIST.

Gammell et al. (2021) rewire a fraction p of a layered net's connections into layer-skipping
ones (their Fig. 4 sweeps p on a 5-hidden-layer net). The sweep file
models/sweeps/gammell_p.toml trains the 3-hidden-layer net of tools/reproduce_gammell.py,
784-500-500-500-10 with one global rate 0.02, for each p (p = 0: the layered net), through
``lava-eqprop sweep`` (each p a run directory with its own resume; --jobs runs several at
once). This script then reports per epoch the deepest layer pair's RMS correction over each
shallower pair's (the authors' measure; 1 means no vanishing gradient), the training error,
and each projection's number of connections (at large p the rewiring drains the late layer
pairs: see the README).

    python tools/gammell_p_sweep.py                 # p = 0 0.1 0.2 0.3 0.5 0.7 0.9 1, one epoch
    python tools/gammell_p_sweep.py --only p1 --epochs 10 --jobs 2 --resume
    python tools/gammell_p_sweep.py --quick                  # 600 samples, 2 values (the tests)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import lava_eqprop as le
from lava_eqprop.experiments.figures import emit, log, machine
from lava_eqprop.experiments.specs import MODELS, ROOT
from lava_eqprop.experiments.statistics import RATIO_LIMIT, deepest_over_layer
from lava_eqprop.plots import plot_rewiring_sweep
from lava_eqprop.sweeps.plan import load_sweep

SWEEP = MODELS / "sweeps" / "gammell_p.toml"
QUICK = {"dynamics.free_steps": 20, "dynamics.eval_steps": 30, "data.train_samples": 600,
         "data.test_samples": 100}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sweep", type=Path, default=SWEEP, help="the sweep file")
    parser.add_argument("--only", nargs="+", metavar="POINT", help="these points (p0, p0.1, ...)")
    parser.add_argument("--epochs", type=int, help="epochs per point (default: the file's, 1)")
    parser.add_argument("--jobs", type=int, default=1, help="points trained at once")
    parser.add_argument("--ray", metavar="ADDRESS", help="run the points on this Ray cluster")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "gammell_p_sweep")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted sweep")
    parser.add_argument("--quick", action="store_true", help="600 samples, p = 0 and 0.5")
    args = parser.parse_args()
    overrides = {"learning.epochs": args.epochs} if args.epochs else {}
    only = args.only
    if args.quick:
        overrides, only = QUICK, ["p0", "p0.5"]
    summary = le.sweep(args.sweep, out=args.out, jobs=args.jobs, ray=args.ray,
                       resume=args.resume, overrides=overrides, only=only, progress=log)
    points = {p.name: p for p in load_sweep(args.sweep, overrides, only).points}
    results, labels = {}, []
    for record in summary["points"]:
        if record["status"] != "done":
            raise SystemExit(f"point {record['name']} failed: {record['error']}")
        spec = points[record["name"]].spec
        p = spec.small_world.p if spec.small_world is not None else 0.0
        run_dir = args.out / "points" / record["name"]
        labels = json.loads((run_dir / "summary.json").read_text())["layers"]
        network = le.load_network(run_dir / "network.h5")
        history = record["history"]
        results[p] = {
            "train_error": [r["train_error"] for r in history],
            "test_error": [r["test_error"] for r in history],
            "layer_rms_dw": [r["layer_rms_dw"] for r in history],
            "ratio_per_epoch": [deepest_over_layer([r], "layer_rms_dw") for r in history],
            "ratio_last_epoch": deepest_over_layer(history[-1:], "layer_rms_dw"),
            "connections": {proj.name: network.connections(proj)
                            for proj in network.projections},
            "seconds": record["seconds"],
        }
        print(f"p = {p:<4g} train error "
              + " ".join(f"{100 * e:5.2f}" for e in results[p]["train_error"])
              + " | deepest/layer RMS correction, last epoch "
              + " ".join(f"{v:.1f}" for v in results[p]["ratio_last_epoch"]), flush=True)
    results = dict(sorted(results.items()))
    plot_rewiring_sweep({p: r["ratio_last_epoch"] for p, r in results.items()}, labels,
                        args.out / "ratios.png", limit=RATIO_LIMIT)
    within = [p for p, r in results.items() if max(r["ratio_last_epoch"]) <= RATIO_LIMIT]
    emit({"benchmark": "gammell_p_sweep", "quick": args.quick, "machine": machine(),
          "sweep": str(args.sweep), "overrides": overrides, "layer_names": labels,
          "results": results, "wall_seconds": summary["wall_seconds"],
          "smallest_p_within_10x": min(within) if within else None, "out": args.out})


if __name__ == "__main__":
    main()
