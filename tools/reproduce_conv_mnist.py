#!/usr/bin/env python3
"""The small convolutional Hopfield net on MNIST with centered EP, against the dense 784-500-10.

Target: test error at or below 1.5% for models/conv_mnist.toml (1 ->
32 -> 64 channels, 5x5 kernels, 2x2 max pooling inside the energy, centered EP with +/- beta,
Laborieux et al. 2021's conv EP net), after the epochs a CPU run affords. The same figures
(test error per epoch, training samples per second) are measured for the dense 784-500-10 net
of Scellier & Bengio 2017 (models/scellier_784-500-10.toml, its own settings and 25 epochs).
Both runs are written to --out (checkpoints, summary.json, plots) and resume with --resume; the
last line of stdout is the JSON of the figures.

    python tools/reproduce_conv_mnist.py --device cpu     # torch on CPU: about 4 min per epoch
    python tools/reproduce_conv_mnist.py --epochs 3       # the NumPy engine, 3 epochs
    python tools/reproduce_conv_mnist.py --quick          # 512 samples, 1 epoch (the tests)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lava_eqprop.data import load_dataset
from lava_eqprop.experiments.figures import emit, log, machine
from lava_eqprop.experiments.specs import MODELS, ROOT, derive_spec, spec_subset
from lava_eqprop.spec import load_spec
from lava_eqprop.training.trainer import Trainer

CONV = MODELS / "conv_mnist.toml"
DENSE = MODELS / "scellier_784-500-10.toml"
TARGET_TEST_ERROR = 0.015


def train(source: Path, out: Path, overrides: dict, device: str | None, resume: bool) -> dict:
    """Train one net on MNIST; its per-epoch figures and wall time."""
    spec = load_spec(derive_spec(source, out / "spec.toml", overrides))
    data = spec_subset(load_dataset("mnist"), spec)
    log(f"{spec.name}: {len(data.x_train)} train / {len(data.x_test)} test samples, "
        f"{spec.learning.epochs} epochs on {device or 'the NumPy engine'} -> {out}")
    start = time.perf_counter()
    trainer = Trainer(spec, data, out, progress=False, log=log, device=device,
                      resume=resume and (out / "checkpoint.h5").exists())
    history = trainer.train()
    return {"device": device or "numpy", "epochs": history[-1]["epoch"],
            "train_error": [r["train_error"] for r in history],
            "test_error": [r["test_error"] for r in history],
            "final_test_error": history[-1]["test_error"],
            "best_test_error": min(r["test_error"] for r in history),
            "samples_per_second": [r["samples_per_second"] for r in history],
            "wall_seconds": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="512 training samples, 1 epoch")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs of the conv net (default: the model's 6)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default=None,
                        help="train the conv net with the torch backend (default: NumPy engine)")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "reproduce_conv_mnist")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run")
    args = parser.parse_args()
    conv, dense = {}, {}
    if args.epochs is not None:
        conv["learning.epochs"] = args.epochs
    if args.quick:
        small = {"data.train_samples": 512, "data.test_samples": 256, "learning.epochs": 1}
        conv |= small | {"dynamics.free_steps": 10, "dynamics.nudged_steps": 4,
                         "dynamics.eval_steps": 10}
        dense |= small
    figures = {"conv": train(CONV, args.out / "conv", conv, args.device, args.resume),
               "dense": train(DENSE, args.out / "dense", dense, None, args.resume)}
    for name, run in figures.items():
        log(f"{name}: {run['epochs']} epochs, test error {100 * run['final_test_error']:.2f}% "
            f"(best {100 * run['best_test_error']:.2f}%), "
            f"{run['samples_per_second'][-1]:.0f} samples/s on {run['device']}")
    met = None if args.quick else figures["conv"]["final_test_error"] <= TARGET_TEST_ERROR
    emit({"benchmark": "reproduce_conv_mnist", "quick": args.quick, "machine": machine(),
          **figures, "out": args.out, "targets": {"conv test error <= 1.5%": met}})


if __name__ == "__main__":
    main()
