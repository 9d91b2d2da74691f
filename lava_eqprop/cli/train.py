"""``lava-eqprop train MODEL.toml``: train a model spec with the NumPy engine (optionally run
by PyTorch, ``--device``) or in Lava."""

from __future__ import annotations

import argparse
from pathlib import Path

from lava_eqprop.cli.arguments import (
    non_negative_number,
    positive_int,
    positive_number,
    weight_bits,
)
from lava_eqprop.errors import SpecError
from lava_eqprop.spec.model_spec import load_spec


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a model spec (checkpoint per epoch, summary, plots)",
                       description="Train the network of MODEL.toml. Writes checkpoint.h5 after "
                                   "every epoch, network.h5, summary.json, errors.png and "
                                   "updates.png to --out.")
    p.add_argument("model", type=Path, help="model spec (TOML), e.g. models/digits.toml")
    p.add_argument("--epochs", type=positive_int, help="train until this many epochs are done "
                                               "(default: the spec's [learning] epochs)")
    p.add_argument("--out", type=Path, help="output directory (default: runs/<model name>)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.h5")
    p.add_argument("--data", help="path of the data set (file or directory); overrides the spec")
    p.add_argument("--train-samples", type=positive_int,
                   help="use only the first N training samples")
    p.add_argument("--test-samples", type=positive_int, help="use only the first N test samples")
    p.add_argument("--stats-every", type=positive_int, default=10,
                   help="measure per-layer |dW| on every K-th batch (default 10)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_backend_options(p)
    p.set_defaults(handler=run)


def add_backend_options(p: argparse.ArgumentParser) -> None:
    """--backend and the Lava options, shared by train and run."""
    p.add_argument("--backend", choices=("engine", "lava"), default="engine",
                   help="engine: the NumPy engine (default); lava: a compiled Lava process graph")
    p.add_argument("--device", choices=("cpu", "cuda"),
                   help="run the engine's phases with PyTorch on this device (the optional "
                        "extra lava-eqprop[torch]; default: NumPy)")
    lava = p.add_argument_group("lava backend")
    add_target_option(lava)
    lava.add_argument("--contrast", choices=("exact", "free_term_first"), default="exact",
                      help="--target loihi2's rule: exact (the first phase's term kept in the "
                           "synaptic tag, the weights moved once per sample; default) or "
                           "free_term_first (that term applied at the end of its phase)")
    lava.add_argument("--precision", choices=("float", "fixed"), default="float",
                      help="Lava process models: floating_pt or fixed_pt (default float)")
    lava.add_argument("--lava-batch", type=positive_int,
                      help="samples per Lava message (1 = one sample at a time, as a chip; "
                           "default: the spec's batch_size)")
    lava.add_argument("--event-threshold", type=non_negative_number, default=0.0,
                      help="a neuron sends when its output moved by more than this (default 0: "
                           "every neuron, every step)")
    lava.add_argument("--watchdog", type=positive_number, default=60.0,
                      help="seconds without a result before a Lava run counts as stuck")
    lava.add_argument("--chip", default="loihi2",
                      help="chip config (name in chip_configs/ or a path) for --precision fixed")
    lava.add_argument("--weight-bits", type=weight_bits, help="override the chip's weight width")


def add_target_option(p) -> None:
    """--target: which Lava graph is compiled (both run in Lava's CPU simulation)."""
    p.add_argument("--target", choices=("cpu", "loihi2"), default="cpu",
                   help="cpu: the EP graph of lava-eqprop's own processes (default); loihi2: "
                        "learning neurons and Lava's stock LearningDense/LearningSparse "
                        "synapses with the EP rule in their learning engine (one sample at a "
                        "time)")


def check_backend_options(args: argparse.Namespace) -> None:
    """--device belongs to the engine backend."""
    if args.backend == "lava" and args.device:
        raise SpecError("--device runs the engine with PyTorch: it does not apply to "
                        "--backend lava")


def lava_options(args: argparse.Namespace) -> dict | None:
    """The API's ``lava=`` from the command line's Lava options (None for the engine)."""
    if args.backend != "lava":
        if args.contrast != "exact":
            raise SpecError(f"--contrast {args.contrast} is a rule of the loihi2 graph: it "
                            "needs --backend lava --target loihi2")
        return None
    return {"batch": args.lava_batch, "precision": args.precision,
            "event_threshold": args.event_threshold, "watchdog_seconds": args.watchdog,
            "chip": args.chip, "weight_bits": args.weight_bits, "target": args.target,
            "contrast": args.contrast}


def run(args: argparse.Namespace) -> int:
    from lava_eqprop.api import train
    from lava_eqprop.api.inputs import as_dataset

    check_backend_options(args)
    spec = load_spec(args.model)
    dataset = as_dataset(args.data, spec)
    dataset = dataset.subset(args.train_samples or spec.data.train_samples or None,
                             args.test_samples or spec.data.test_samples or None)
    out = args.out or Path("runs") / spec.name
    print(f"training {spec.name} ({args.backend}) on {dataset.name} ({len(dataset.x_train)} train, "
          f"{len(dataset.x_test)} test; from {dataset.source}) -> {out}")
    history = train(spec, epochs=args.epochs, data=dataset, out=out, resume=args.resume,
                    backend=args.backend, device=args.device, lava=lava_options(args),
                    stats_every=args.stats_every, progress=not args.quiet, log=print).history
    if history:
        last = history[-1]
        print(f"done: epoch {last['epoch']}, train error {100 * last['train_error']:.2f}%, "
              f"test error {100 * last['test_error']:.2f}%; results in {out}")
    return 0
