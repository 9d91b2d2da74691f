#!/usr/bin/env python3
"""How far the rewiring probability p closes Gammell et al.'s vanishing-gradient gap on MNIST.

Gammell et al. (2021) rewire a fraction p of a layered net's connections into layer-skipping
ones (their Fig. 4 sweeps p on a 5-hidden-layer net). This script trains the 3-hidden-layer
net of tools/reproduce_gammell.py, 784-500-500-500-10 with one global rate 0.02, for each p
in --p (p = 0: the layered net, models/gammell_layered_global.toml; otherwise
models/gammell_small_world.toml with that p, same seed), and reports per epoch the deepest
layer pair's RMS correction over each shallower pair's (the authors' measure; 1 means no
vanishing gradient), the training error, and each projection's number of connections (at large
p the rewiring drains the late layer pairs: see the README). Same shortened free phase as
reproduce_gammell.py.

    python tools/gammell_p_sweep.py                          # p = 0 0.1 0.2 0.3 0.5 1, one epoch
    python tools/gammell_p_sweep.py --p 0.1 1 --epochs 3 --resume
    python tools/gammell_p_sweep.py --quick                  # 600 samples, 2 values (the tests)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lava_eqprop.data import load_dataset
from lava_eqprop.experiments.figures import emit, log, machine
from lava_eqprop.experiments.specs import MODELS, ROOT, derive_spec, spec_subset
from lava_eqprop.experiments.statistics import RATIO_LIMIT, deepest_over_layer
from lava_eqprop.plots import plot_rewiring_sweep
from lava_eqprop.spec import load_spec
from lava_eqprop.training.trainer import Trainer


def spec_for(p: float, out: Path, overrides: dict) -> Path:
    """The spec trained for rewiring probability ``p``, written into ``out``."""
    if p == 0.0:
        return derive_spec(MODELS / "gammell_layered_global.toml", out / "spec.toml", overrides)
    return derive_spec(MODELS / "gammell_small_world.toml", out / "spec.toml",
                       {**overrides, "network.small_world.p": p})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--p", type=float, nargs="+", default=[0.0, 0.1, 0.2, 0.3, 0.5, 1.0],
                        help="rewiring probabilities (0: the layered net)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--free-steps", type=int, default=100,
                        help="free-phase iterations per visit of a sample (authors: 500)")
    parser.add_argument("--test-samples", type=int, default=2000,
                        help="test samples for the test error (0: all 10,000)")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "gammell_p_sweep")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted sweep")
    parser.add_argument("--quick", action="store_true", help="600 samples, p = 0 and 0.5")
    args = parser.parse_args()
    if any(not 0.0 <= p <= 1.0 for p in args.p):
        parser.error(f"--p: every value must be in [0, 1], got {args.p}")
    overrides = {"dynamics.free_steps": args.free_steps, "dynamics.eval_steps": 3 * args.free_steps,
                 "data.test_samples": args.test_samples}
    if args.quick:
        args.p, args.epochs = [0.0, 0.5], 1
        overrides = {"dynamics.free_steps": 20, "dynamics.eval_steps": 30,
                     "data.train_samples": 600, "data.test_samples": 100}
    mnist = load_dataset("mnist")
    results, labels = {}, []
    for p in sorted(set(args.p)):
        out = args.out / f"p{p:g}"
        spec = load_spec(spec_for(p, out, overrides))
        log(f"p = {p:g}: {spec.name}, {args.epochs} epochs -> {out}")
        start = time.perf_counter()
        trainer = Trainer(spec, spec_subset(mnist, spec), out, resume=args.resume,
                          progress=False, log=log)
        history = trainer.train(args.epochs)[:args.epochs]  # a longer resumed run: its first epochs
        labels = trainer.layer_names
        results[p] = {
            "train_error": [r["train_error"] for r in history],
            "test_error": [r["test_error"] for r in history],
            "layer_rms_dw": [r["layer_rms_dw"] for r in history],
            "ratio_per_epoch": [deepest_over_layer([r], "layer_rms_dw") for r in history],
            "ratio_last_epoch": deepest_over_layer(history[-1:], "layer_rms_dw"),
            "connections": {proj.name: trainer.network.connections(proj)
                            for proj in trainer.network.projections},
            "seconds": time.perf_counter() - start,
        }
        print(f"p = {p:<4g} train error "
              + " ".join(f"{100 * e:5.2f}" for e in results[p]["train_error"])
              + " | deepest/layer RMS correction, last epoch "
              + " ".join(f"{v:.1f}" for v in results[p]["ratio_last_epoch"]), flush=True)
    plot_rewiring_sweep({p: r["ratio_last_epoch"] for p, r in results.items()}, labels,
                        args.out / "ratios.png", limit=RATIO_LIMIT)
    within = [p for p, r in results.items() if max(r["ratio_last_epoch"]) <= RATIO_LIMIT]
    emit({"benchmark": "gammell_p_sweep", "quick": args.quick, "machine": machine(),
          "overrides": overrides, "epochs": args.epochs, "layer_names": labels, "results": results,
          "smallest_p_within_10x": min(within) if within else None, "out": args.out})


if __name__ == "__main__":
    main()
