"""``lava-eqprop compile MODEL.toml``: compile a network into a Lava process graph and show it."""

from __future__ import annotations

import argparse
from pathlib import Path

from lava_eqprop.cli.arguments import non_negative_number, positive_int
from lava_eqprop.cli.train import add_target_option
from lava_eqprop.spec.model_spec import load_spec


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compile", help="compile a model into a Lava process graph and print it",
                       description="Build the Lava process graph of MODEL.toml's network (or of a "
                                   "trained --network), let Lava's compiler check it, print its "
                                   "processes, ports and connections, and save them as JSON.")
    p.add_argument("model", type=Path, help="model spec (TOML)")
    p.add_argument("--network", type=Path, help="network.h5 or checkpoint.h5 to compile instead "
                                                "of the spec's initial network")
    p.add_argument("--out", type=Path, help="JSON file to write (default: runs/<model>/graph.json)")
    p.add_argument("--precision", choices=("float", "fixed"), default="float")
    p.add_argument("--lava-batch", type=positive_int, default=1,
                   help="samples per message (default 1)")
    p.add_argument("--event-threshold", type=non_negative_number, default=0.0)
    add_target_option(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lava_eqprop.api import compile_lava
    from lava_eqprop.io.hdf5 import load_network

    spec = load_spec(args.model)
    network = load_network(args.network) if args.network else spec.build_network()
    compiled = compile_lava(network, spec=spec, target=args.target, precision=args.precision,
                            batch=args.lava_batch, event_threshold=args.event_threshold)
    print(compiled.text)
    out = args.out or Path("runs") / spec.name / "graph.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    compiled.save(out)
    print(f"saved {out}")
    return 0
