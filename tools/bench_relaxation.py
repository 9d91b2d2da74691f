#!/usr/bin/env python3
"""Steps and wall time to equilibrium, per solver, side by side in one run.

For each net, a batch of test samples runs a free phase from zero and then a nudged phase (the
spec's β, positive) from the free equilibrium. Each phase runs until every sample's residual
R = ‖T(s) − s‖∞/ε is at most ``--tol``, or until the cap. The solvers are those of
``lava_eqprop/engine/solvers.py`` (docs/solvers.md): ``euler`` (the spec's own schedule and
ε, the papers' iteration), ``block`` and ``accelerated`` where the net allows them, and the
``adaptive`` ODE integrator where it does not (the directed nets).

The nets:
- Gammell et al.'s 784-500-500-500-10 layered and small-world nets, untrained and after one
  epoch of training with the spec's own settings on ``--train-samples`` MNIST samples;
- the digits DEEP net of Farinha et al.'s dynamics;
- the MNIST conv net.

A sample that reaches the cap unsettled counts with the cap's steps, so a mean with unsettled
samples is a lower bound, marked as such. Computed in float64.

    python tools/bench_relaxation.py            # all nets, 64 samples (about 30 minutes)
    python tools/bench_relaxation.py --quick    # digits nets, 6 samples (the tests use this)

The last line of stdout is one JSON object. ``steps_to_tolerance`` maps net → solver → phase
→ mean steps. ``best_over_euler`` gives, per net, the best solver's share of Euler's steps and
of its wall time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from lava_eqprop.data import load_dataset
from lava_eqprop.engine import Relaxer, SolverSettings, get_loss, solve_phase
from lava_eqprop.errors import SpecError
from lava_eqprop.experiments.figures import emit, log, machine
from lava_eqprop.experiments.specs import MODELS
from lava_eqprop.network.network import Network
from lava_eqprop.spec import ModelSpec, load_spec
from lava_eqprop.training.trainer import Trainer

NETS = {
    "gammell-layered": ("gammell_layered_global.toml", False),
    "gammell-layered-trained": ("gammell_layered_global.toml", True),
    "gammell-small-world": ("gammell_small_world.toml", False),
    "gammell-small-world-trained": ("gammell_small_world.toml", True),
    "digits-deep": ("farinha_digits_complete.toml", False),
    "conv-mnist": ("conv_mnist.toml", False),
}
QUICK_NETS = {
    "digits-small-world": ("digits_small_world.toml", False),
    "digits-small-world-trained": ("digits_small_world.toml", True),
    "digits-deep": ("farinha_digits_complete.toml", False),
}
ODE_TOL = 1e-7
"""The adaptive integrator's local error tolerance: below the residual to reach, which a local
error of ode_tol per step would otherwise bound from below."""


def trained_network(spec: ModelSpec, samples: int) -> Network:
    """The spec's net after one epoch with its own settings on the first ``samples`` samples."""
    spec = spec.with_overrides({"data": {"train_samples": samples, "test_samples": 100},
                                "learning": {"epochs": 1}})
    data = load_dataset(spec.data.dataset).subset(samples, 100)
    with tempfile.TemporaryDirectory() as out:
        trainer = Trainer(spec, data, Path(out) / "run", progress=False, log=log)
        trainer.train()
        return trainer.network


def solvers_for(spec: ModelSpec) -> tuple[str, ...]:
    """Euler, and the block solvers where the spec's net and decay allow them; where they do
    not (the directed nets), the adaptive integrator."""
    try:
        spec.with_overrides({"dynamics": {"solver": "block"}})
    except SpecError:          # the spec's own validation says why; Euler is still measured
        return ("euler", "adaptive")
    return ("euler", "block", "accelerated")


def measure(spec: ModelSpec, network: Network, x: np.ndarray, y: np.ndarray, solver: str,
            cap: int, tol: float) -> dict[str, Any]:
    """One solver's free and nudged phases on the batch: steps, residuals, seconds."""
    relaxer = Relaxer(network, spec.dynamics_settings(), get_loss(spec.learning.loss),
                      np.float64)
    clamped = relaxer.clamp({network.inputs[0].name: x})
    state = relaxer.zero_state(clamped)
    settings = SolverSettings(solver, tol, ODE_TOL)
    result: dict[str, Any] = {}
    for phase, beta in (("free", 0.0), ("nudged", spec.learning.beta)):
        start = time.perf_counter()
        report = solve_phase(relaxer, state, clamped, cap, settings, beta, y)
        result[phase] = {"mean_steps": float(report.steps.mean()),
                         "max_steps": int(report.steps.max()),
                         "unsettled": report.unsettled,
                         "lower_bound": report.unsettled > 0,
                         "max_residual": float(report.residual.max()),
                         "seconds": time.perf_counter() - start}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="digits nets, 6 samples")
    parser.add_argument("--nets", nargs="*", help=f"a subset of {list(NETS)}")
    parser.add_argument("--samples", type=int, default=64, help="test samples per net")
    parser.add_argument("--tol", type=float, default=1e-6, help="the residual to reach")
    parser.add_argument("--cap", type=int, default=5000, help="steps per phase at most")
    parser.add_argument("--train-samples", type=int, default=2000,
                        help="samples of the one training epoch of the trained nets")
    args = parser.parse_args()
    nets = QUICK_NETS if args.quick else NETS
    if args.nets:
        unknown = sorted(set(args.nets) - set(nets))
        if unknown:
            parser.error(f"unknown nets {unknown}; known: {list(nets)}")
        nets = {name: nets[name] for name in args.nets}
    samples = 6 if args.quick else args.samples
    train_samples = 300 if args.quick else args.train_samples
    steps: dict[str, Any] = {}
    details: dict[str, Any] = {}
    best: dict[str, Any] = {}
    for name, (file, trained) in nets.items():
        spec = load_spec(MODELS / file)
        dataset = load_dataset(spec.data.dataset)
        if trained:
            log(f"{name}: one epoch on {train_samples} samples")
            network = trained_network(spec, train_samples)
        else:
            network = spec.build_network()
        x = dataset.x_test[:samples].reshape(samples, -1).astype(np.float64)
        y = np.eye(dataset.num_classes)[dataset.y_test[:samples]]
        details[name] = {}
        for solver in solvers_for(spec):
            log(f"{name}: {solver}")
            details[name][solver] = measure(spec, network, x, y, solver, args.cap, args.tol)
        steps[name] = {solver: {phase: r[phase]["mean_steps"] for phase in ("free", "nudged")}
                       for solver, r in details[name].items()}
        best[name] = best_over_euler(details[name])
        log(f"{name}: {steps[name]}")
    emit({"tol": args.tol, "cap": args.cap, "samples": samples,
          "train_samples": train_samples, "steps_to_tolerance": steps,
          "best_over_euler": best, "details": details, "machine": machine()})


def best_over_euler(results: dict[str, Any]) -> dict[str, Any]:
    """The solver with the fewest steps (both phases) and its share of Euler's steps and
    seconds."""

    def total(r: dict[str, Any], key: str) -> float:
        return r["free"][key] + r["nudged"][key]

    name = min(results, key=lambda s: total(results[s], "mean_steps"))
    euler, chosen = results["euler"], results[name]
    return {"solver": name,
            "steps_share": total(chosen, "mean_steps") / total(euler, "mean_steps"),
            "seconds_share": total(chosen, "seconds") / total(euler, "seconds"),
            "euler_lower_bound": euler["free"]["lower_bound"] or euler["nudged"]["lower_bound"]}


if __name__ == "__main__":
    main()
