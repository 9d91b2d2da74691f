#!/usr/bin/env python3
"""Depth study (Elayedam & Srinivasan's claim, at a scale this CPU runs): deep convolutional
Hopfield nets trained with EP stall without residual connections and train with them.

On scikit-learn's 8x8 digits, narrow nets (8 channels) of 1 to 4 blocks, each block two 3x3
pad-1 convs, with a learned 1x1 skip conv per block (models/depth_digits_resnet.toml: 4 blocks
are 13 weight tensors) or without (models/depth_digits_plain.toml), the same budget, seed,
initial chain weights and sample order for both. Per epoch: the training loss (mean cost of
the free-phase outputs), the training and test errors. The nets are the points of the sweep
file models/sweeps/depth.toml, run by ``lava-eqprop sweep`` (each its own run directory and
resume; --jobs trains several at once). Writes depth_study.png (curves) and prints the table
of final figures; the last line is the JSON of every curve.

    python tools/depth_study.py                       # blocks 1, 2, 4; 10 epochs (about 1.5 h)
    python tools/depth_study.py --blocks 4 --epochs 20 --jobs 2
    python tools/depth_study.py --quick               # 1 block, 1 epoch, 96 samples (tests)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import lava_eqprop as le
from lava_eqprop.experiments.figures import emit, log, machine
from lava_eqprop.experiments.specs import MODELS, ROOT
from lava_eqprop.plots import plot_depth_study

SWEEP = MODELS / "sweeps" / "depth.toml"
VARIANTS = ("skips", "plain")
QUICK = {"learning.epochs": 1, "data.train_samples": 96, "data.test_samples": 60}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 block, 1 epoch, 96 samples")
    parser.add_argument("--blocks", type=int, nargs="+", default=[1, 2, 4], choices=(1, 2, 4))
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=1, help="nets trained at once")
    parser.add_argument("--ray", metavar="ADDRESS", help="run the nets on this Ray cluster")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "depth_study")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted study")
    args = parser.parse_args()
    blocks, overrides = (([1], QUICK) if args.quick
                         else (args.blocks, {"learning.epochs": args.epochs}))
    only = [f"{n}_blocks_{variant}" for n in blocks for variant in VARIANTS]
    summary = le.sweep(SWEEP, out=args.out, jobs=args.jobs, ray=args.ray, resume=args.resume,
                       overrides=overrides, only=only, progress=log)
    curves, rows = {}, []
    for record in summary["points"]:
        if record["status"] != "done":
            raise SystemExit(f"point {record['name']} failed: {record['error']}")
        history = record["history"]
        curves[record["name"]] = {key: [r[key] for r in history]
                                  for key in ("train_loss", "train_error", "test_error")}
        n, _, variant = record["name"].split("_")
        rows.append((n, variant, history[-1]))
    plot_depth_study(curves, args.out / "depth_study.png")
    log(f"{'blocks':>6} {'variant':>7} {'train loss':>10} {'train err':>9} {'test err':>8}")
    for n, variant, last in rows:
        log(f"{n:>6} {variant:>7} {last['train_loss']:>10.4f} {100 * last['train_error']:>8.2f}%"
            f" {100 * last['test_error']:>7.2f}%")
    emit({"machine": machine(), "epochs": overrides["learning.epochs"], "blocks": blocks,
          "curves": curves, "sweep_wall_seconds": summary["wall_seconds"],
          "png": args.out / "depth_study.png"})


if __name__ == "__main__":
    main()
