"""``lava-eqprop export NETWORK.h5 --format nir OUT``: a trained network in another format."""

from __future__ import annotations

import argparse
from pathlib import Path

FORMATS = ("nir",)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="write a network in another format (NIR)",
                       description="Write the network of NETWORK.h5 (network.h5 or "
                                   "checkpoint.h5) as a NIR graph (the Neuromorphic "
                                   "Intermediate Representation): populations as leaky "
                                   "integrators with their clip in the metadata, both "
                                   "directions of every symmetric projection, biases, and the "
                                   "model spec (docs/python-api.md#nir).")
    p.add_argument("network", type=Path, help="network.h5 or checkpoint.h5")
    p.add_argument("out", type=Path, help="the file to write")
    p.add_argument("--format", choices=FORMATS, default="nir", help="nir (default)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lava_eqprop.api import export_nir, load_network

    network = load_network(args.network)
    graph = export_nir(network, args.out)
    print(f"wrote {args.out}: NIR graph of {network.name!r}, {len(graph.nodes)} nodes, "
          f"{len(graph.edges)} edges")
    return 0
