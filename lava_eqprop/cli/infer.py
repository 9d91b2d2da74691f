"""``lava-eqprop run NETWORK.h5``: inference (the free phase alone) on a trained network."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lava_eqprop.cli.arguments import positive_int
from lava_eqprop.cli.train import add_backend_options, check_backend_options, lava_options
from lava_eqprop.io.hdf5 import load_network
from lava_eqprop.spec.model_spec import load_spec


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="inference on a trained network (free phase only)",
                       description="Run the free phase of a trained network (network.h5 or "
                                   "checkpoint.h5) on a data set's test split and report the "
                                   "error. Dynamics come from the spec stored in the file, or "
                                   "from --model.")
    p.add_argument("network", type=Path, help="network.h5 or checkpoint.h5 written by train")
    p.add_argument("--model", type=Path, help="model spec to take the dynamics and data set from")
    p.add_argument("--data", help="path of the data set (file or directory)")
    p.add_argument("--steps", type=positive_int,
                   help="free-phase steps (default: the spec's eval_steps)")
    p.add_argument("--samples", type=positive_int, help="use only the first N test samples")
    p.add_argument("--json", action="store_true", help="print the result as JSON on the last line")
    add_backend_options(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lava_eqprop.api import evaluate

    check_backend_options(args)
    network = load_network(args.network)
    spec = load_spec(args.model) if args.model else None
    result = evaluate(network, args.data, spec=spec, steps=args.steps, samples=args.samples,
                      backend=args.backend, device=args.device, lava=lava_options(args))
    summary = {"network": str(args.network), "dataset": result.dataset,
               "backend": args.backend, "samples": result.samples, "free_steps": result.steps,
               "test_error": result.error, "seconds": result.seconds,
               "samples_per_second": result.samples_per_second, **result.details}
    print(f"{args.network}: test error {100 * result.error:.2f}% on {result.samples} "
          f"{result.dataset} samples ({args.backend}, {result.steps} free steps, "
          f"{result.samples_per_second:.0f} samples/s)")
    if args.json:
        print(json.dumps(summary))
    return 0
