#!/usr/bin/env python3
"""Reproduce Gammell et al. (2021) on MNIST: small-world layer-skipping rewiring against the
layered net, both 784-500-500-500-10 and both trained with the same single global rate.

Targets, over a run of at least 10 epochs:
* the small-world net's training error is below the layered net's at every epoch;
* the small-world net's shallow layers' mean |ΔW| are within 10x of its deepest layer's,
  where the layered net's are not (Gammell et al.'s vanishing-gradient figure).

The two specs are models/gammell_layered_global.toml and models/gammell_small_world.toml
(the authors' settings: ε = ½, 500 free / 8 nudged iterations, persistent particles, |β| = 1
with a random sign, rate 0.02, p = 0.1). One change, for time: the free phase is shortened to
--free-steps iterations per visit (default 100); persistent particles carry every sample's
state from epoch to epoch, so a sample has had 100·k iterations by epoch k. The specs actually
trained are written next to the results (OUT/layered/spec.toml, OUT/small_world/spec.toml).

    python tools/reproduce_gammell.py               # 10 epochs of each net (about 1.5 hours)
    python tools/reproduce_gammell.py --resume      # continue after an interruption
    python tools/reproduce_gammell.py --resume --epochs 20   # or go on for more epochs
    python tools/reproduce_gammell.py --quick       # 1000 samples, 2 epochs (the tests)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lava_eqprop.data import load_dataset
from lava_eqprop.experiments.figures import emit, log, machine
from lava_eqprop.experiments.specs import MODELS, ROOT, derive_spec, spec_subset
from lava_eqprop.experiments.statistics import RATIO_LIMIT, deepest_over_layer
from lava_eqprop.plots import plot_errors, plot_updates
from lava_eqprop.spec import load_spec
from lava_eqprop.training.trainer import Trainer

NETS = {"layered": MODELS / "gammell_layered_global.toml",
        "small_world": MODELS / "gammell_small_world.toml"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1000 samples, 2 epochs, short phases")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--free-steps", type=int, default=100,
                        help="free-phase iterations per visit of a sample (authors: 500)")
    parser.add_argument("--eval-steps", type=int, default=300,
                        help="free-phase iterations from zero for the test error")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "reproduce_gammell")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run")
    args = parser.parse_args()
    overrides = {"dynamics.free_steps": args.free_steps, "dynamics.eval_steps": args.eval_steps}
    if args.quick:
        args.epochs = 2
        overrides = {"dynamics.free_steps": 20, "dynamics.eval_steps": 30,
                     "data.train_samples": 1000, "data.test_samples": 200}
    mnist = load_dataset("mnist")
    histories, seconds, labels = {}, {}, []
    for name, source in NETS.items():
        spec = load_spec(derive_spec(source, args.out / name / "spec.toml", overrides))
        data = spec_subset(mnist, spec)
        log(f"{name}: {spec.name}, {len(data.x_train)} samples, {args.epochs} epochs -> "
            f"{args.out / name}")
        start = time.perf_counter()
        trainer = Trainer(spec, data, args.out / name, resume=args.resume, progress=False, log=log)
        histories[name] = trainer.train(args.epochs)
        labels = trainer.layer_names
        seconds[name] = time.perf_counter() - start
    plot_errors(histories, args.out / "errors.png",
                title="Gammell et al. 2021 on MNIST, global rate 0.02")
    plot_updates(histories, args.out / "updates.png", title="mean |ΔW| per layer pair",
                 labels=labels)

    layered, small = histories["layered"], histories["small_world"]
    lower_every_epoch = all(sw["train_error"] < lay["train_error"]
                            for sw, lay in zip(small, layered))
    ratios = {name: deepest_over_layer(h, "layer_mean_abs_dw") for name, h in histories.items()}
    rms_ratios = {name: deepest_over_layer(h, "layer_rms_dw") for name, h in histories.items()}
    max_ratio = {name: max(r) for name, r in ratios.items()}
    max_rms_ratio = {name: max(r) for name, r in rms_ratios.items()}
    last_rms_ratios = {name: deepest_over_layer(h[-1:], "layer_rms_dw")
                       for name, h in histories.items()}
    for name, h in histories.items():
        print(f"{name:12s} train error " + " ".join(f"{100 * r['train_error']:5.2f}" for r in h)
              + f" | test error {100 * h[-1]['test_error']:.2f}% (persistent "
              f"{100 * h[-1]['test_error_persistent']:.2f}%) | deepest/layer mean |dW| "
              + " ".join(f"{v:.1f}" for v in ratios[name])
              + " | RMS " + " ".join(f"{v:.1f}" for v in rms_ratios[name])
              + " (last epoch " + " ".join(f"{v:.1f}" for v in last_rms_ratios[name]) + ")")
    emit({
        "benchmark": "reproduce_gammell", "quick": args.quick, "machine": machine(),
        "overrides": overrides, "epochs": len(layered),
        "train_error": {k: [r["train_error"] for r in h] for k, h in histories.items()},
        "test_error_from_zero": {k: [r["test_error"] for r in h] for k, h in histories.items()},
        "test_error_persistent": {k: [r["test_error_persistent"] for r in h]
                                  for k, h in histories.items()},
        "layer_names": labels,
        "layer_mean_abs_dw": {k: [r["layer_mean_abs_dw"] for r in h] for k, h in histories.items()},
        "layer_rms_dw": {k: [r["layer_rms_dw"] for r in h] for k, h in histories.items()},
        "deepest_over_layer_mean_abs_dw": ratios, "max_ratio": max_ratio,
        "deepest_over_layer_rms_dw": rms_ratios, "max_rms_ratio": max_rms_ratio,
        "deepest_over_layer_rms_dw_last_epoch": last_rms_ratios,
        "seconds": seconds, "out": str(args.out),
        "targets": {
            "small world lower train error at every epoch": lower_every_epoch,
            "small world shallow mean |dW| within 10x of deepest":
                max_ratio["small_world"] <= RATIO_LIMIT,
            "layered shallow mean |dW| not within 10x": max_ratio["layered"] > RATIO_LIMIT,
            "small world shallow RMS dW within 10x of deepest":
                max_rms_ratio["small_world"] <= RATIO_LIMIT,
            "layered shallow RMS dW not within 10x": max_rms_ratio["layered"] > RATIO_LIMIT,
            "at least 10 epochs": len(layered) >= 10,
        },
    })


if __name__ == "__main__":
    main()
