#!/usr/bin/env python3
"""Bit-depth study (Gammell et al. 2021's "bit-depth issues"): train in Lava's fixed-point models
with 4 to 16-bit weights, layered against small-world, on scikit-learn's digits.

The sweep file models/sweeps/bitdepth.toml: for each net (models/digits.toml: the quick-start
64-64-10, 30 epochs; models/digits_deep_layered.toml: 64-32-32-32-10, per-layer rates, 10
epochs; models/digits_small_world.toml: the same with p = 0.1 layer-skipping rewiring, one
global rate) and each weight width, a Lava run in fixed point (widths from
chip_configs/loihi2.toml, weight width overridden) from the same initial weights, sample order
and β signs; and one run of the NumPy engine in float64 with the same settings and seed, the
reference. Each is a point of ``lava-eqprop sweep`` (its own run directory and resume;
--jobs trains several at once); this script compares them. The rates are powers
of two, so the fixed-point shifts apply the engine's rates exactly (except on the last, partial
batch of an epoch, whose rate/n_valid is rounded to a power of two).

Target: 8-bit weights reach a test accuracy within 1 percentage point of
the engine's, for every net. The figure compared is the test error averaged over the last
LAST_EPOCHS epochs: on 360 test samples it moves by several points from one epoch to the next
(in the engine too), more than the 1-point target; the last epoch's figures are reported too.

    python tools/bitdepth_study.py              # 6 widths x 3 nets (about 80 minutes here)
    python tools/bitdepth_study.py --jobs 2 --resume   # continue, two points at a time
    python tools/bitdepth_study.py --quick      # 3 widths, 1 epoch on 160 samples (the tests)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import lava_eqprop as le
from lava_eqprop.experiments.figures import emit, log, machine
from lava_eqprop.experiments.specs import MODELS, ROOT
from lava_eqprop.plots import plot_bitdepth

SWEEP = MODELS / "sweeps" / "bitdepth.toml"
NETS = {"digits": "digits", "layered": "digits_deep_layered",
        "small_world": "digits_small_world"}
"""The study's name of each net, and the stem of its spec (the points' base)."""
BITS = (4, 6, 8, 10, 12, 16)
ACCURACY_LIMIT_PP = 1.0
TARGET_BITS = 8
LAST_EPOCHS = 3
QUICK = {"learning.epochs": 1, "data.train_samples": 160, "data.test_samples": 100}


def point_name(variant: str, net: str) -> str:
    """The sweep's name of a point: ``engine`` or ``fixed-8bit``, on the net's base spec."""
    return f"{variant}_base-{NETS[net]}"


def figures(record: dict) -> dict:
    """A point's last epoch record, its test error averaged over the last LAST_EPOCHS epochs,
    and its wall time."""
    if record["status"] != "done":
        raise SystemExit(f"point {record['name']} failed: {record['error']}")
    last = [r["test_error"] for r in record["history"][-LAST_EPOCHS:]]
    return record["history"][-1] | {"test_error_last": sum(last) / len(last),
                                    "wall_seconds": record["seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 widths, 1 epoch, 160 samples")
    parser.add_argument("--bits", type=int, nargs="+", default=list(BITS), choices=BITS)
    parser.add_argument("--epochs", type=int, default=None, help="default: the specs'")
    parser.add_argument("--jobs", type=int, default=1, help="points trained at once")
    parser.add_argument("--ray", metavar="ADDRESS", help="run the points on this Ray cluster")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bitdepth_study")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted study")
    args = parser.parse_args()
    overrides = {"learning.epochs": args.epochs} if args.epochs else {}
    if args.quick:
        args.bits, overrides = [4, 8, 16], QUICK
    only = [point_name(v, net) for net in NETS
            for v in ["engine", *(f"fixed-{b}bit" for b in args.bits)]]
    summary = le.sweep(SWEEP, out=args.out, jobs=args.jobs, ray=args.ray, resume=args.resume,
                       overrides=overrides, only=only, progress=log)
    records = {r["name"]: r for r in summary["points"]}
    reference, fixed, runs = {}, {}, {}
    for net in NETS:
        runs[net] = {"engine": figures(records[point_name("engine", net)])} | {
            f"{b}bit": figures(records[point_name(f"fixed-{b}bit", net)]) for b in args.bits}
        reference[net] = runs[net]["engine"]["test_error_last"]
        fixed[net] = [runs[net][f"{b}bit"]["test_error_last"] for b in args.bits]
    plot_bitdepth(args.bits, fixed, reference, args.out / "bitdepth.png",
                  title="digits: fixed-point Lava training "
                         f"(test error, last {LAST_EPOCHS} epochs)")
    print(f"{'weight bits':>12s} " + " ".join(f"{b:>7d}" for b in args.bits) + "  float engine")
    for name in NETS:
        print(f"{name:>12s} " + " ".join(f"{100 * e:6.2f}%" for e in fixed[name])
              + f"  {100 * reference[name]:6.2f}%")
    gap = {name: 100 * (fixed[name][args.bits.index(TARGET_BITS)] - reference[name])
           for name in NETS if TARGET_BITS in args.bits}
    emit({
        "benchmark": "bitdepth_study", "quick": args.quick, "machine": machine(),
        "sweep": str(SWEEP), "overrides": overrides, "bits": args.bits,
        "averaged_epochs": LAST_EPOCHS, "test_error_fixed": fixed,
        "test_error_engine": reference,
        "final_test_error_fixed": {n: [runs[n][f"{b}bit"]["test_error"] for b in args.bits]
                                   for n in NETS},
        "final_test_error_engine": {n: runs[n]["engine"]["test_error"] for n in NETS},
        "saturations_per_sample": {n: [runs[n][f"{b}bit"]["saturations_per_sample"]
                                       for b in args.bits] for n in NETS},
        "lava_seconds": {n: [runs[n][f"{b}bit"]["wall_seconds"] for b in args.bits]
                         for n in NETS},
        "engine_seconds": {n: runs[n]["engine"]["wall_seconds"] for n in NETS},
        "sweep_wall_seconds": summary["wall_seconds"],
        "gap_8bit_pp": gap, "out": str(args.out), "plot": str(args.out / "bitdepth.png"),
        "targets": {f"{TARGET_BITS}-bit within {ACCURACY_LIMIT_PP} pp of the engine ({n})":
                    abs(g) <= ACCURACY_LIMIT_PP for n, g in gap.items()},
    })


if __name__ == "__main__":
    main()
