#!/usr/bin/env python3
"""Depth study (Elayedam & Srinivasan's claim, at a scale this CPU runs): deep convolutional
Hopfield nets trained with EP stall without residual connections and train with them.

On scikit-learn's 8x8 digits, narrow nets (8 channels) of 1 to 4 blocks, each block two 3x3
pad-1 convs, with a learned 1x1 skip conv per block (models/depth_digits_resnet.toml: 4 blocks
are 13 weight tensors) or without (models/depth_digits_plain.toml), the same budget, seed,
initial chain weights and sample order for both. Per epoch: the training loss (mean cost of
the free-phase outputs), the training and test errors. Writes depth_study.png (curves) and
prints the table of final figures; the last line is the JSON of every curve.

    python tools/depth_study.py                       # blocks 1, 2, 4; 10 epochs (about 1.5 h)
    python tools/depth_study.py --blocks 4 --epochs 20
    python tools/depth_study.py --quick               # 1 block, 1 epoch, 96 samples (tests)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lava_eqprop.data import load_dataset
from lava_eqprop.experiments.figures import emit, log, machine
from lava_eqprop.experiments.specs import MODELS, ROOT, derive_spec
from lava_eqprop.plots import plot_depth_study
from lava_eqprop.spec import load_spec
from lava_eqprop.training.trainer import Trainer

VARIANTS = {"skips": MODELS / "depth_digits_resnet.toml",
            "plain": MODELS / "depth_digits_plain.toml"}


def block_overrides(blocks: int, with_skips: bool) -> dict:
    """The [network.conv] of a net of ``blocks`` blocks (two convs each)."""
    overrides = {"network.conv.channels": [8] * (2 * blocks),
                 "network.conv.paddings": [1] * (2 * blocks)}
    if with_skips:
        chain = ["input"] + [f"c{2 * k}" for k in range(1, blocks + 1)]
        overrides["network.conv.skips"] = [[a, b, "conv"] for a, b in zip(chain, chain[1:])]
    return overrides


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 block, 1 epoch, 96 samples")
    parser.add_argument("--blocks", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "depth_study")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted study")
    args = parser.parse_args()
    blocks, epochs = ([1], 1) if args.quick else (args.blocks, args.epochs)
    data = load_dataset("digits")
    if args.quick:
        data = data.subset(96, 60)
    curves, rows = {}, []
    for n in blocks:
        for variant, source in VARIANTS.items():
            name = f"{n}_blocks_{variant}"
            out = args.out / name
            spec = derive_spec(source, out / "spec.toml",
                               block_overrides(n, variant == "skips")
                               | {"learning.epochs": epochs})
            log(f"{name}: {2 * n} convs{' + ' + str(n) + ' skips' if variant == 'skips' else ''}"
                f", {epochs} epochs")
            trainer = Trainer(load_spec(spec), data, out, progress=False, log=log,
                              resume=args.resume and (out / "checkpoint.h5").exists())
            history = trainer.train()
            curves[name] = {key: [r[key] for r in history]
                            for key in ("train_loss", "train_error", "test_error")}
            rows.append((n, variant, history[-1]))
    plot_depth_study(curves, args.out / "depth_study.png")
    log(f"{'blocks':>6} {'variant':>7} {'train loss':>10} {'train err':>9} {'test err':>8}")
    for n, variant, last in rows:
        log(f"{n:>6} {variant:>7} {last['train_loss']:>10.4f} {100 * last['train_error']:>8.2f}%"
            f" {100 * last['test_error']:>7.2f}%")
    emit({"machine": machine(), "epochs": epochs, "blocks": blocks, "curves": curves,
          "png": args.out / "depth_study.png"})


if __name__ == "__main__":
    main()
