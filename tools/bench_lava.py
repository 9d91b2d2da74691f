#!/usr/bin/env python3
"""Lava backend benchmark on digits (models/digits.toml, 64-64-10): training speed against the
NumPy engine, and what the sigma-delta event threshold saves in messages and costs in accuracy.

1. Speed, side by side in one run: samples/s of one training epoch in Lava, per-sample mode
   (batch 1, what a chip does) and batched simulation (the spec's batch of 16 samples per
   message), float and fixed point, against the engine on the same spec. Lava's figure is the
   whole graph run of the epoch (compile, start-up and the run); --speed-samples sets its length.
2. Events: the net trained in Lava for --epochs epochs with event threshold θ = 0 (every neuron
   sends every step) and θ > 0 (a neuron sends when its output moved by more than θ since its
   last message), from the same initial weights, order and β signs: messages and synaptic
   operations per sample and phase (training, and inference on the test set), and the test
   error, whose difference to θ = 0 is the accuracy cost of the threshold.

    python tools/bench_lava.py            # about 2 minutes here
    python tools/bench_lava.py --quick    # seconds (the tests)
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from lava_eqprop.data import load_dataset
from lava_eqprop.experiments.figures import emit, log, machine
from lava_eqprop.experiments.specs import MODELS
from lava_eqprop.lava_backend.trainer import LavaTrainer
from lava_eqprop.spec import load_spec
from lava_eqprop.training.trainer import Trainer

MODEL = MODELS / "digits.toml"


def one_epoch(spec, data, out: Path, **lava_options) -> dict:
    """The record of one training epoch: the engine's, or Lava's with these options."""
    if not lava_options:
        return Trainer(spec, data, out, progress=False, log=log).train(1)[-1]
    trainer = LavaTrainer(spec, data, out, progress=False, log=log, lava_options=lava_options)
    return trainer.train(1)[-1]


def speed(spec, data, work: Path, samples: dict[int, int]) -> dict[str, float]:
    """samples/s of one epoch: the engine on the whole set, Lava per batch size and precision."""
    figures = {"engine": one_epoch(spec, data, work / "engine")["samples_per_second"]}
    for precision in ("float", "fixed"):
        for batch, n in samples.items():
            subset = data.subset(n, 1)
            record = one_epoch(spec, subset, work / f"{precision}_b{batch}", precision=precision,
                               batch=batch)
            figures[f"lava_{precision}_batch{batch}"] = record["samples_per_second"]
            log(f"lava {precision:5s} batch {batch:2d}: "
                f"{record['samples_per_second']:8.1f} samples/s "
                f"({n} samples)")
    log(f"engine: {figures['engine']:.0f} samples/s")
    return figures


def events(spec, data, work: Path, thresholds: list[float], epochs: int, precision: str) -> dict:
    """Train for ``epochs`` epochs at each threshold; events, synops and test error of the last."""
    results = {}
    for theta in thresholds:
        trainer = LavaTrainer(spec, data, work / f"theta_{theta}", progress=False, log=log,
                              lava_options={"precision": precision, "event_threshold": theta})
        last = trainer.train(epochs)[-1]
        results[theta] = {key: last[key] for key in (
            "test_error", "train_error", "events_per_sample", "synops_per_sample",
            "eval_events_per_sample", "eval_synops_per_sample")}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 1 epoch (the tests)")
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.0, 0.01, 0.03, 0.1])
    parser.add_argument("--epochs", type=int, default=3, help="training epochs per threshold")
    parser.add_argument("--precision", choices=("float", "fixed"), default="float",
                        help="precision of the threshold study")
    parser.add_argument("--speed-samples", type=int, nargs=2, default=[96, 720],
                        metavar=("BATCH1", "BATCHED"),
                        help="samples in the per-sample and the batched speed runs")
    args = parser.parse_args()
    spec = load_spec(MODEL)
    data = load_dataset("digits")
    if args.quick:
        args.thresholds, args.epochs, args.speed_samples = [0.0, 0.05], 1, [8, 64]
        data = data.subset(160, 100)
    batch = spec.learning.batch_size
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rates = speed(spec, data, work / "speed",
                      {1: args.speed_samples[0], batch: args.speed_samples[1]})
        study = events(spec, data, work / "events", args.thresholds, args.epochs, args.precision)

    dense = study[args.thresholds[0]]
    print(f"{'threshold':>10s} {'test err':>9s} {'msgs/sample (free, nudged)':>28s} "
          f"{'synops/sample':>14s} {'msgs vs θ=0':>12s}")
    for theta, r in study.items():
        msgs = r["events_per_sample"]["free"] + r["events_per_sample"]["nudged"]
        base = dense["events_per_sample"]["free"] + dense["events_per_sample"]["nudged"]
        print(f"{theta:10.3g} {100 * r['test_error']:8.2f}% "
              f"{r['events_per_sample']['free']:13.0f}, "
              f"{r['events_per_sample']['nudged']:12.0f} "
              f"{sum(r['synops_per_sample'].values()):14.0f} "
              f"{msgs / base:12.3f}")
    emit({
        "benchmark": "bench_lava", "quick": args.quick, "machine": machine(), "model": str(MODEL),
        "samples_per_s": rates,
        "engine_over_lava": {k: rates["engine"] / v for k, v in rates.items() if k != "engine"},
        "batched_over_per_sample": {p: rates[f"lava_{p}_batch{batch}"] / rates[f"lava_{p}_batch1"]
                                    for p in ("float", "fixed")},
        "threshold_precision": args.precision, "epochs": args.epochs, "thresholds": args.thresholds,
        "events_per_sample": {t: r["events_per_sample"] for t, r in study.items()},
        "synops_per_sample": {t: r["synops_per_sample"] for t, r in study.items()},
        "eval_events_per_sample": {t: r["eval_events_per_sample"] for t, r in study.items()},
        "eval_synops_per_sample": {t: r["eval_synops_per_sample"] for t, r in study.items()},
        "test_error": {t: r["test_error"] for t, r in study.items()},
        "accuracy_cost_pp": {t: 100 * (r["test_error"] - dense["test_error"])
                             for t, r in study.items()},
    })


if __name__ == "__main__":
    main()
