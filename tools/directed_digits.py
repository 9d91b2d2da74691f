#!/usr/bin/env python3
"""Beyond Farinha et al. (2020): directed nets on scikit-learn's 8x8 digits, against symmetric
layered nets of the same number of weights.

Four nets, each trained from its spec with the engine (checkpoints, summary.json and plots in
--out/NAME, resumable):

* ``complete_directed``: models/farinha_digits_complete.toml, 64-100-10, every allowed
  connection (19,030), faithful DEEP dynamics and rule, the authors' pruning;
* ``sparse_directed``: the same with 4,736 connections drawn at random from the complete
  graph's (``[network.directed] connections``);
* ``layered_equal``: models/digits.toml (symmetric EP, ±β) with 257 hidden units, 19,018
  weights (the complete directed net's count);
* ``layered_64``: models/digits.toml as it is, 64 hidden units, 4,736 weights (the sparse
  net's count).

``--dataset mnist`` runs the same four nets with 784 inputs: 98,230 connections for the
complete net, a layered 784-124-10 (98,456 weights), 50,816 for the sparse net and 784-64-10.

Per net: the test error per epoch, the best and the epoch it was reached, the live connections
at the end (after pruning), the test error when the smallest-magnitude fraction of its weights
is removed after training (accuracy against sparsity, no retraining), and the stability report
of the trained net (``lava-eqprop stability``'s analysis on test samples), written to
NAME/stability.txt. Writes directed_digits.png; the last line of stdout is the JSON of it all.

    python tools/directed_digits.py                 # 15 epochs each (about 25 min)
    python tools/directed_digits.py --resume        # continue an interrupted study
    python tools/directed_digits.py --dataset mnist --nets complete_directed layered_equal \
        --epochs 5                                  # MNIST (about 4 min per DEEP epoch)
    python tools/directed_digits.py --quick         # 2 nets, 1 epoch, 64 samples (the tests)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from lava_eqprop.cli.stability import format_report
from lava_eqprop.data import load_dataset
from lava_eqprop.engine.loss import get_loss
from lava_eqprop.engine.relaxation import Relaxer
from lava_eqprop.engine.stability import analyse
from lava_eqprop.experiments.figures import emit, log, machine
from lava_eqprop.experiments.magnitude_pruning import REMOVED, sparsity_curve
from lava_eqprop.experiments.specs import MODELS, ROOT, derive_spec
from lava_eqprop.network.directed import complete_adjacency
from lava_eqprop.plots import plot_directed_study
from lava_eqprop.spec import load_spec
from lava_eqprop.training.trainer import Trainer

COMPLETE, LAYERED = MODELS / "farinha_digits_complete.toml", MODELS / "digits.toml"
NET_NAMES = ("complete_directed", "sparse_directed", "layered_equal", "layered_64")


def nets_for(dataset: str, n_in: int) -> dict[str, tuple[Path, dict]]:
    """The four nets for ``n_in`` inputs: name -> (source spec, overrides). ``layered_equal``
    has the complete directed net's number of weights, the sparse net ``layered_64``'s."""
    complete = int(complete_adjacency((n_in, 100, 10)).sum())
    hidden = round(complete / (n_in + 10))
    data = {"data.dataset": dataset}
    return {
        "complete_directed": (COMPLETE, data | {"network.layers": [n_in, 100, 10]}),
        "sparse_directed": (COMPLETE, data | {"network.layers": [n_in, 100, 10],
                                              "network.topology": "directed",
                                              "network.directed.connections": 64 * (n_in + 10),
                                              "model.name": "farinha-sparse"}),
        "layered_equal": (LAYERED, data | {"network.layers": [n_in, hidden, 10],
                                           "model.name": f"layered-{n_in}-{hidden}-10"}),
        "layered_64": (LAYERED, data | {"network.layers": [n_in, 64, 10]}),
    }


def study_net(name: str, args: argparse.Namespace, data) -> dict:
    source, overrides = nets_for(args.dataset, data.x_train[0].size)[name]
    out = args.out / name
    overrides = overrides | {"learning.epochs": args.epochs}
    if args.quick:
        overrides |= {"dynamics.free_steps": 50, "dynamics.nudged_steps": 50,
                      "dynamics.eval_steps": 50} if source == COMPLETE else {}
    spec = load_spec(derive_spec(source, out / "spec.toml", overrides))
    weights = spec.build_network().num_connections
    log(f"{name}: {weights} connections, {args.epochs} epochs")
    trainer = Trainer(spec, data, out, progress=False, log=log,
                      resume=args.resume and (out / "checkpoint.h5").exists())
    history = trainer.train()
    network = trainer.network
    relaxer = Relaxer(network, spec.dynamics_settings(), get_loss(spec.learning.loss))
    x = data.x_test.reshape(len(data.x_test), -1).astype(float)
    curve = sparsity_curve(network, relaxer, x, data.y_test, spec.eval_steps)
    report = analyse(network, relaxer, x[:args.stability_samples], starts=3,
                     steps=args.stability_steps)
    (out / "stability.txt").write_text(format_report(report, spec.dynamics_settings()) + "\n")
    errors = [r["test_error"] for r in history]
    best = int(np.argmin(errors))
    return {"weights": weights, "test_error": errors,
            "train_error": [r["train_error"] for r in history],
            "best_test_error": errors[best], "best_epoch": best + 1,
            "live_connections": history[-1]["connections"],
            "connections_per_epoch": [r["connections"] for r in history],
            "samples_per_second": float(np.mean([r["samples_per_second"] for r in history])),
            "sparsity": curve, "stability": report.verdict, "stability_reason": report.reason}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 nets, 1 epoch, 64 samples")
    parser.add_argument("--nets", nargs="+", choices=NET_NAMES, default=list(NET_NAMES))
    parser.add_argument("--dataset", choices=["digits", "mnist"], default="digits")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--stability-samples", type=int, default=10)
    parser.add_argument("--stability-steps", type=int, default=5000)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "directed_digits")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted study")
    args = parser.parse_args()
    data = load_dataset(args.dataset)
    if args.quick:
        args.nets, args.epochs = ["sparse_directed", "layered_64"], 1
        args.stability_samples, args.stability_steps = 2, 200
        data = data.subset(64, 32)
    results = {name: study_net(name, args, data) for name in args.nets}
    plot_directed_study(results, args.out / "directed_digits.png", args.dataset)
    log(f"{'net':>18} {'weights':>7} {'live':>6} {'best test':>9} {'epoch':>5} {'final':>7}  "
        f"stability")
    for name, r in results.items():
        log(f"{name:>18} {r['weights']:>7d} {r['live_connections']:>6d} "
            f"{100 * r['best_test_error']:>8.2f}% {r['best_epoch']:>5d} "
            f"{100 * r['test_error'][-1]:>6.2f}%  {r['stability']}")
    log("test error with the smallest weights removed (no retraining):")
    log(f"{'removed':>18} " + " ".join(f"{f:>6.0%}" for f in REMOVED))
    for name, r in results.items():
        log(f"{name:>18} " + " ".join(f"{100 * row['test_error']:>5.1f}%" for row in r["sparsity"]))
    emit({"benchmark": "directed_digits", "dataset": args.dataset, "quick": args.quick,
          "machine": machine(),
          "epochs": args.epochs, "results": results, "png": args.out / "directed_digits.png"})


if __name__ == "__main__":
    main()
