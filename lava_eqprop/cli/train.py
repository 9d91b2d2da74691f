"""``lava-eqprop train MODEL.toml``: train a model spec with the NumPy engine."""

from __future__ import annotations

import argparse
from pathlib import Path

from lava_eqprop.data.datasets import load_dataset
from lava_eqprop.spec.model_spec import load_spec


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a model spec (checkpoint per epoch, summary, plots)",
                       description="Train the network of MODEL.toml. Writes checkpoint.h5 after "
                                   "every epoch, network.h5, summary.json, errors.png and "
                                   "updates.png to --out.")
    p.add_argument("model", type=Path, help="model spec (TOML), e.g. models/digits.toml")
    p.add_argument("--epochs", type=int, help="train until this many epochs are done "
                                               "(default: the spec's [learning] epochs)")
    p.add_argument("--out", type=Path, help="output directory (default: runs/<model name>)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.h5")
    p.add_argument("--data", help="path of the data set (file or directory); overrides the spec")
    p.add_argument("--train-samples", type=int, help="use only the first N training samples")
    p.add_argument("--test-samples", type=int, help="use only the first N test samples")
    p.add_argument("--stats-every", type=int, default=10,
                   help="measure per-layer |dW| on every K-th batch (default 10)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lava_eqprop.training.trainer import Trainer

    spec = load_spec(args.model)
    dataset = load_dataset(spec.data["dataset"], args.data or spec.data["path"] or None)
    dataset = dataset.subset(args.train_samples or spec.data["train_samples"] or None,
                             args.test_samples or spec.data["test_samples"] or None)
    out = args.out or Path("runs") / spec.name
    print(f"training {spec.name} on {dataset.name} ({len(dataset.x_train)} train, "
          f"{len(dataset.x_test)} test; from {dataset.source}) -> {out}")
    trainer = Trainer(spec, dataset, out, resume=args.resume, stats_every=args.stats_every,
                      progress=not args.quiet)
    history = trainer.train(args.epochs)
    if history:
        last = history[-1]
        print(f"done: epoch {last['epoch']}, train error {100 * last['train_error']:.2f}%, "
              f"test error {100 * last['test_error']:.2f}%; results in {out}")
    return 0
