"""``lava-eqprop sweep SWEEP.toml``: train a grid or list of variants of a spec, in parallel."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lava_eqprop.cli.arguments import positive_int


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help="train every point of a sweep file, in parallel",
                       description="Train each point of SWEEP.toml (a base spec with a grid or "
                                   "list of overrides, and seeds) as a run directory "
                                   "OUT/points/<point> with its own checkpoint, on local "
                                   "processes or Ray tasks; write OUT/results.json, "
                                   "OUT/results.png and print the table "
                                   "(docs/sweeps.md).")
    p.add_argument("sweep", type=Path, help="the sweep file (TOML), e.g. "
                                            "models/sweeps/digits_quick.toml")
    p.add_argument("--jobs", type=positive_int, default=1,
                   help="points trained at once by local processes (default 1)")
    p.add_argument("--ray", metavar="ADDRESS",
                   help="run the points as Ray tasks on the cluster at ADDRESS ('auto': the "
                        "one started on this machine); needs the ray extra")
    p.add_argument("--out", type=Path, help="output directory (default: runs/sweeps/<name>)")
    p.add_argument("--only", nargs="+", metavar="POINT", help="train only these points")
    p.add_argument("--epochs", type=positive_int, help="epochs of every point (default: the "
                                                       "file's, else each spec's)")
    p.add_argument("--resume", action="store_true",
                   help="continue: each point from its checkpoint, finished points skipped")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lava_eqprop.api import sweep
    from lava_eqprop.sweeps.results import format_results

    summary = sweep(args.sweep, out=args.out, jobs=args.jobs, ray=args.ray, resume=args.resume,
                    only=args.only, epochs=args.epochs,
                    progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(format_results(summary))
    print(f"results in {summary['out']}/results.json and results.png")
    return 1 if summary["failed"] else 0
