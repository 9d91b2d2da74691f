"""``lava-eqprop <verb> [options]``: the command-line entry point.

Each verb lives in its own module with ``add_parser(subparsers)`` and ``run(args) -> int``.
Errors this package raises on purpose (bad spec, missing data, bad file) are printed as one
line naming what is wrong, with exit status 2; anything else is a bug and keeps its traceback.

Signals: SIGTERM and SIGHUP (what ``timeout``, batch schedulers and ``kill`` send) end a run the
way Ctrl-C does: the exception unwinds through every ``with`` block, so a running Lava graph is
torn down and a checkpoint being written is discarded, leaving the last complete one. The exit
status is 128 + the signal's number, as a shell reports a process killed by it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from lava_eqprop import __version__
from lava_eqprop.cli import (
    chip_map,
    compile_graph,
    crosscheck,
    export,
    infer,
    info,
    stability,
    sweep,
    train,
)
from lava_eqprop.cli.arguments import OneLineParser, one_line
from lava_eqprop.errors import LavaEqpropError, Terminated

VERBS = (train, infer, crosscheck, compile_graph, chip_map, stability, info, export, sweep)
HANDLED_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="lava-eqprop",
        description="Train and run Equilibrium Propagation networks (NumPy engine; Lava and "
                    "Brian2 backends).")
    parser.add_argument("--version", action="version", version=f"lava-eqprop {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for verb in VERBS:
        verb.add_parser(sub)
    return parser


def _raise_terminated(signum: int, frame) -> None:
    raise Terminated(signum)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    previous = {sig: signal.signal(sig, _raise_terminated) for sig in HANDLED_SIGNALS}
    try:
        status = args.handler(args)
        sys.stdout.flush()      # here, where a closed pipe is caught, not at interpreter exit
        return status
    except LavaEqpropError as exc:
        print(f"lava-eqprop {args.verb}: error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except MemoryError as exc:
        print(f"lava-eqprop {args.verb}: error: out of memory ({exc or 'MemoryError'}): the "
              "network or data set is too large for this machine", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader of our output went away (``| head``): stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except KeyboardInterrupt as exc:
        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        print(f"lava-eqprop {args.verb}: {what} (the last completed epoch's checkpoint "
              "is intact; --resume continues from it)", file=sys.stderr)
        return 128 + (exc.signum if isinstance(exc, Terminated) else signal.SIGINT)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main())
