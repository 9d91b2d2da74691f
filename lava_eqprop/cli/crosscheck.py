"""``lava-eqprop crosscheck MODEL.toml``: one network, the same samples, every backend."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lava_eqprop.cli.arguments import positive_int, positive_number, unit_interval, weight_bits
from lava_eqprop.cli.model_input import add_model_input_arguments
from lava_eqprop.spec.model_spec import load_spec

BACKEND_NAMES = ("engine", "lava-float", "lava-fixed", "brian2")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("crosscheck", help="run one network through every backend and compare",
                       description="Run the free and nudged phases of MODEL.toml's network (or "
                                   "of --weights) on test samples through the NumPy engine, Lava "
                                   "float, Lava fixed point and Brian2; print per backend pair the "
                                   "max and mean |difference| of the free and nudged equilibria "
                                   "and of dW against its tolerance, the steps to settle, and the "
                                   "physics checks. Exits 1 when anything is out of tolerance. "
                                   "--target loihi2 runs the Lava backends on the loihi2 graph, "
                                   "compared with the engine sample by sample.")
    add_model_input_arguments(p, "check", samples=100)
    p.add_argument("--backends", nargs="+", choices=BACKEND_NAMES, default=list(BACKEND_NAMES),
                   help="backends to run (the engine always runs: it is the reference)")
    p.add_argument("--free-steps", type=positive_int, help="default: the spec's free_steps")
    p.add_argument("--nudged-steps", type=positive_int, help="default: the spec's nudged_steps")
    p.add_argument("--beta", type=positive_number, help="default: the spec's |beta|")
    p.add_argument("--epsilon", type=unit_interval,
                   help="step size in (0, 1] (default: the spec's); the same energy, so the "
                        "same fixed points, on another path")
    p.add_argument("--tol", type=positive_number, default=1e-3,
                   help="a phase has settled when no unit moves more than this per step")
    p.add_argument("--brian2-dt", type=unit_interval, default=1.0,
                   help="Brian2's dt as a fraction of epsilon*tau (default 1: the engine's scheme, "
                        "compared to 1e-9; 0.1: continuous time)")
    p.add_argument("--brian2-target", choices=("numpy", "cython"), default="numpy",
                   help="Brian2 code generation target (cython: compiled once, cached)")
    p.add_argument("--target", choices=("cpu", "loihi2"), default="cpu",
                   help="what lava-float and lava-fixed compile: cpu (lava-eqprop's EP processes, "
                        "all samples in one batch; default) or loihi2 (Loihi 2's learning neurons "
                        "and stock learning synapses, one sample at a time, learning after each "
                        "with the spec's estimator: compared with the engine per sample from the "
                        "graph's weights before it); brian2 ignores it")
    p.add_argument("--chip", default="loihi2", help="chip config for lava-fixed")
    p.add_argument("--weight-bits", type=weight_bits, help="override the chip's weight width")
    p.add_argument("--out", type=Path, help="write the report as JSON to this file")
    p.add_argument("--json", action="store_true", help="print the JSON report as the last line")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lava_eqprop.api import crosscheck
    from lava_eqprop.crosscheck.table import format_report
    from lava_eqprop.io.atomic import write_text_atomic
    from lava_eqprop.io.hdf5 import load_network

    spec = load_spec(args.model)
    if args.epsilon is not None:
        spec = spec.with_overrides({"dynamics": {"epsilon": args.epsilon}}, "with --epsilon")
    network = load_network(args.weights) if args.weights else spec.build_network()
    report = crosscheck(network, spec=spec, data=args.data, samples=args.samples,
                        backends=args.backends, free_steps=args.free_steps,
                        nudged_steps=args.nudged_steps, beta=args.beta, tol=args.tol,
                        brian2_dt=args.brian2_dt, brian2_target=args.brian2_target,
                        target=args.target, chip=args.chip, weight_bits=args.weight_bits,
                        progress=lambda message: print(message, file=sys.stderr, flush=True))
    report |= {"model": str(args.model), "weights": str(args.weights) if args.weights else None}
    print(format_report(report))
    text = json.dumps(report)
    if args.out:
        write_text_atomic(args.out, text + "\n")
    if args.json:
        print(text)
    return 0 if report["ok"] else 1
