"""``lava-eqprop info MODEL.toml|NETWORK.h5``: describe a network's populations and projections."""

from __future__ import annotations

import argparse
from pathlib import Path

from lava_eqprop.io.hdf5 import load_network
from lava_eqprop.network.network import Network
from lava_eqprop.spec.model_spec import load_spec


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="describe a model spec's network or a stored network",
                       description="Print the populations and projections (with connection "
                                   "counts and densities) of the network a model spec generates, "
                                   "or of a network stored in HDF5.")
    p.add_argument("source", type=Path, help="MODEL.toml or NETWORK.h5")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.source.suffix == ".toml":
        network = load_spec(args.source).build_network()
    else:
        network = load_network(args.source)
    print(describe(network))
    return 0


def describe(network: Network) -> str:
    """A plain-text table of the network."""
    lines = [f"network {network.name!r} ({network.metadata.get('topology', 'custom')}), "
             f"{network.num_connections} connections"]
    lines.append(f"{'population':<12} {'role':<7} {'shape':<14} {'activation':<13}")
    for p in network.populations:
        lines.append(f"{p.name:<12} {p.role:<7} {str(p.shape):<14} {p.activation:<13}")
    lines.append(f"{'projection':<16} {'kind':<6} {'dir':<5} {'connections':>11} {'density':>8}")
    for proj in network.projections:
        lines.append(f"{proj.name:<16} {proj.kind:<6} {'sym' if proj.symmetric else 'dir':<5} "
                     f"{network.connections(proj):>11} "
                     f"{network.connections(proj) / network.possible_connections(proj):>8.4f}")
    return "\n".join(lines)
