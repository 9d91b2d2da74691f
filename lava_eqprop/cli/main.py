"""``lava-eqprop <verb> [options]``: the command-line entry point.

Each verb lives in its own module with ``add_parser(subparsers)`` and ``run(args) -> int``.
Errors this package raises on purpose (bad spec, missing data, bad file) are printed as one
line naming what is wrong, with exit status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys

from lava_eqprop import __version__
from lava_eqprop.cli import chip_map, compile_graph, crosscheck, info, infer, stability, train
from lava_eqprop.errors import LavaEqpropError

VERBS = (train, infer, crosscheck, compile_graph, chip_map, stability, info)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lava-eqprop",
        description="Train and run Equilibrium Propagation networks (NumPy engine; Lava and "
                    "Brian2 backends).")
    parser.add_argument("--version", action="version", version=f"lava-eqprop {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for verb in VERBS:
        verb.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (LavaEqpropError, FileExistsError) as exc:
        print(f"lava-eqprop {args.verb}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"lava-eqprop {args.verb}: interrupted (the last completed epoch's checkpoint "
              "is intact; --resume continues from it)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
