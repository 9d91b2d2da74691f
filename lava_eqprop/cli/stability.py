"""``lava-eqprop stability MODEL.toml``: is this net's free dynamics stable, and how do we know."""

from __future__ import annotations

import argparse
import json

import numpy as np

from lava_eqprop.cli.arguments import positive_int, positive_number
from lava_eqprop.cli.model_input import add_model_input_arguments, network_and_test_data
from lava_eqprop.spec.model_spec import load_spec


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stability", help="equilibria, Jacobians and stability certificates",
                       description="Analyse the free dynamics of MODEL.toml's network (or of "
                                   "--weights) with the spec's dynamics: the spectrum, Gershgorin "
                                   "tests and matrix measures of its linear part, then equilibria "
                                   "from several initial states on test samples and the spectrum "
                                   "on each one's active set; says whether the net is certified "
                                   "stable, empirically stable, multistable or not stable.")
    add_model_input_arguments(p, "analyse", samples=10)
    p.add_argument("--starts", type=positive_int, default=3,
                   help="initial states per sample: zeros, ones, then random (default 3)")
    p.add_argument("--steps", type=positive_int, default=5000,
                   help="relaxation steps (default 5000)")
    p.add_argument("--tol", type=positive_number, default=1e-9,
                   help="settled: no unit moves more than this in a step (default 1e-9)")
    p.add_argument("--json", action="store_true", help="print the report as JSON on the last line")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lava_eqprop.engine.loss import get_loss
    from lava_eqprop.engine.relaxation import Relaxer
    from lava_eqprop.engine.stability import analyse

    spec = load_spec(args.model)
    network, data = network_and_test_data(spec, args.weights, args.data, args.samples)
    x = data.x_test.reshape(len(data.x_test), -1).astype(float)
    relaxer = Relaxer(network, spec.dynamics_settings(), get_loss(spec.learning.loss))
    report = analyse(network, relaxer, x, starts=args.starts, steps=args.steps, tol=args.tol)
    print(format_report(report, spec.dynamics_settings()))
    if args.json:
        print(json.dumps(report.summary()))
    return 0


def format_report(report, dynamics) -> str:
    """The report as text: the linear part, the equilibria, the verdict."""
    linear = report.linear
    eig = linear.eigenvalues
    lines = [f"{report.network}: free dynamics with leak {dynamics.leak:g}"
             f"{' + outgoing-weight decay (DEEP)' if dynamics.outgoing_decay else ''}, "
             f"epsilon {dynamics.epsilon:g}",
             f"linear part J ({eig.size} free units): max Re(eigenvalue) {linear.max_real:.4g}, "
             f"min |eigenvalue| {np.min(np.abs(eig)):.3g}",
             f"  Gershgorin by rows {_passed(linear.gershgorin_rows)}, by columns "
             f"{_passed(linear.gershgorin_columns)}; mu_1 {linear.mu_1:.4g}, mu_inf "
             f"{linear.mu_inf:.4g}, mu_2 {linear.mu_2:.4g}"]
    samples = sorted({e.sample for e in report.equilibria})
    settled = sum(e.settled for e in report.equilibria)
    worst = max((e.local.max_real for e in report.equilibria), default=-np.inf)
    active = [e.active.size for e in report.equilibria]
    starts = len(report.equilibria) // max(len(samples), 1)
    lines += [f"equilibria: {len(samples)} samples x {starts} starts, {settled}/"
              f"{len(report.equilibria)} settled; distinct per sample "
              f"{min(report.distinct)}..{max(report.distinct)}; active units "
              f"{min(active)}..{max(active)}; worst local max Re(eigenvalue) {worst:.4g}",
              f"verdict: {report.verdict}: {report.reason}"]
    return "\n".join(lines)


def _passed(ok: bool) -> str:
    return "passes" if ok else "fails"
