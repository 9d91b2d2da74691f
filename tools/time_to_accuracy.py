#!/usr/bin/env python3
"""Time to accuracy: the same training with the papers' fixed steps and with an equilibrium
solver, side by side in one run.

Each study trains two runs of one spec with the same seed and data, the two points of a sweep
(``lava-eqprop sweep``; by default both at once, each a process with one BLAS thread, so that
both see the same machine):
- ``baseline``: the spec's fixed Euler steps;
- ``solver``: the spec with the study's ``[dynamics] solver``, ``nudged_solver`` and ``tol``
  and the step caps given here.

The studies:
- ``gammell``: Gammell et al.'s small-world 784-500-500-500-10 on MNIST. The baseline is
  ``tools/reproduce_gammell.py``'s: 100 free steps per visit with persistent particles and
  300 test steps. The solver run solves the free and test phases with accelerated block
  sweeps to R <= 1e-3 and keeps the nudged phase's 8 Euler steps (``nudged_solver =
  "euler"``): with the split nudge at ε = 0.5 the β = −1 step does not contract, so those
  steps are the phase. Target: the same training error per epoch within 0.5 points, in at
  most a third of the wall time.
- ``conv``: the MNIST conv net of ``models/conv_mnist.toml``, with the torch backend on the
  CPU when PyTorch is installed (as ``tools/reproduce_conv_mnist.py --device cpu``), else the
  NumPy engine. Its odd/even Euler steps at ε = 1 are already exact block sweeps, and a
  sweep's change bounds the residual, so the solver run keeps them and stops each phase on
  R <= 1e-3, capped at the baseline's steps (20 free, 8 per nudged phase, 40 test): the
  residual only ends a phase early. Target: a test error of at most 1.5% in less wall time
  than the baseline's run.

It reports, per epoch and per run, the training and test errors, the seconds and the relaxation
counters of summary.json. The figures are the largest per-epoch difference in training error,
the wall time of each run, and the epoch and time at which each run first reached the target
test error.

    python tools/time_to_accuracy.py --studies gammell            # 10 epochs of each (hours)
    python tools/time_to_accuracy.py --studies gammell --resume   # after an interruption
    python tools/time_to_accuracy.py --studies conv               # the conv net's 6 epochs
    python tools/time_to_accuracy.py --quick    # the digits small-world net, 2 epochs (tests)

The last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lava_eqprop.experiments.figures import emit, log, machine
from lava_eqprop.experiments.specs import MODELS, ROOT
from lava_eqprop.experiments.sweep_points import (
    epoch_seconds,
    finished_points,
    training_seconds,
)
from lava_eqprop.plots import plot_errors
from lava_eqprop.torch_backend import cpu_device_if_installed


@dataclass(frozen=True)
class Study:
    """One side-by-side comparison: the spec, what the baseline sets, the solver run's solver
    and tolerance and what else it changes, the target test error, the torch device, the
    epochs (0: the spec's) and the solver run's free, nudged and test step caps."""

    spec: str
    baseline: dict[str, Any]
    solver: str
    tol: float
    solver_changes: dict[str, Any] = field(default_factory=dict)
    target: float | None = None
    device: str | None = None
    epochs: int = 0
    caps: tuple[int, int, int] = (500, 100, 500)


STUDIES = {
    "gammell": Study("gammell_small_world.toml",
                     {"dynamics.free_steps": 100, "dynamics.eval_steps": 300},
                     "accelerated", 1e-3,
                     # the split nudge's β = −1 step does not contract (factor 1): its 8 Euler
                     # steps are the phase, so the solver run keeps them
                     {"dynamics.nudged_solver": "euler", "dynamics.nudged_steps": 8},
                     epochs=10),
    # odd/even at ε = 1 is the exact block sweep already, and its change bounds R: the
    # solver run stops the spec's own sweeps early
    "conv": Study("conv_mnist.toml", {}, "euler", 1e-3, target=0.015,
                  device=cpu_device_if_installed(), caps=(20, 8, 40)),
}
QUICK = Study("digits_small_world.toml", {}, "accelerated", 1e-4, target=0.1, epochs=2)


def solver_overrides(study: Study, args: argparse.Namespace) -> dict[str, Any]:
    """What the solver run changes: the solver, its tolerance, its step caps and the study's
    other changes (--solver, --tol and the caps given replace the study's own)."""
    free, nudged, test = (given or own for given, own in
                          zip((args.free_cap, args.nudged_cap, args.eval_cap), study.caps))
    return {"dynamics.solver": args.solver or study.solver, "dynamics.tol": args.tol or study.tol,
            "dynamics.free_steps": free, "dynamics.nudged_steps": nudged,
            "dynamics.eval_steps": test, **study.solver_changes}


def run_study(name: str, study: Study, args: argparse.Namespace) -> dict[str, Any]:
    """Train the two runs of one study, as the two points of a sweep (with --jobs 2 at the
    same time, one core each: both see the same machine); their histories, seconds and the
    comparison."""
    baseline, target = study.baseline, study.target
    if args.quick:
        baseline = baseline | {"data.train_samples": 600, "data.test_samples": 200}
    device = {"device": study.device} if study.device else {}
    table = {"sweep": {"name": f"time-to-accuracy-{name}", "base": str(MODELS / study.spec),
                       "epochs": args.epochs or study.epochs, "set": baseline, **device},
             "points": [{"name": "baseline"},
                        {"name": "solver", **solver_overrides(study, args)}]}
    records, _ = finished_points(table, args.out / name, jobs=args.jobs, resume=args.resume)
    histories = {k: r["history"] for k, r in records.items()}
    seconds = {k: training_seconds(h) for k, h in histories.items()}
    plot_errors(histories, args.out / name / "errors.png", title=f"{name}: baseline and solver")
    base, fast = histories["baseline"], histories["solver"]
    return {
        "spec": study.spec, "baseline_overrides": baseline,
        "solver_overrides": solver_overrides(study, args),
        "device": study.device or "numpy", "jobs": args.jobs,
        "train_error": {k: [r["train_error"] for r in h] for k, h in histories.items()},
        "test_error": {k: [r["test_error"] for r in h] for k, h in histories.items()},
        "epoch_seconds": {k: [epoch_seconds(r) for r in h] for k, h in histories.items()},
        "relaxation": {k: [r["relaxation"] for r in h] for k, h in histories.items()},
        "seconds": seconds,
        "time_share": seconds["solver"] / seconds["baseline"],
        "max_train_error_gap": max(abs(a["train_error"] - b["train_error"])
                                   for a, b in zip(base, fast)),
        "target_test_error": target,
        "reached": {k: first_reached(h, target) for k, h in histories.items()} if target else None,
    }


def first_reached(history: list[dict[str, Any]], target: float) -> dict[str, Any] | None:
    """The first epoch whose test error is at most ``target``, and the seconds until then."""
    elapsed = 0.0
    for record in history:
        elapsed += epoch_seconds(record)
        if record["test_error"] <= target:
            return {"epoch": record["epoch"], "seconds": elapsed}
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="digits small world, 2 epochs")
    parser.add_argument("--studies", nargs="+", choices=list(STUDIES), default=list(STUDIES))
    parser.add_argument("--epochs", type=int, help="epochs of each run (default: the study's, "
                                                   "10 for gammell, the spec's for conv)")
    parser.add_argument("--solver", help="the solver run's solver (default: the study's)")
    parser.add_argument("--tol", type=float, help="the solver run's residual (default: the "
                                                  "study's)")
    parser.add_argument("--free-cap", type=int, help="its free-phase cap (default: the "
                        "study's: gammell 500, conv 20)")
    parser.add_argument("--nudged-cap", type=int, help="its nudged-phase cap (gammell 100, "
                        "conv 8)")
    parser.add_argument("--eval-cap", type=int, help="its test-phase cap (gammell 500, conv 40)")
    parser.add_argument("--jobs", type=int, default=2, choices=(1, 2),
                        help="2 (default): the two runs at once, one core each; 1: one after "
                             "the other")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "time_to_accuracy")
    parser.add_argument("--resume", action="store_true", help="continue interrupted runs")
    args = parser.parse_args()
    studies = {name: STUDIES[name] for name in args.studies}
    if args.quick:
        studies = {"digits": QUICK}
    results = {name: run_study(name, study, args) for name, study in studies.items()}
    for name, r in results.items():
        log(f"{name}: solver run in {100 * r['time_share']:.0f}% of the baseline's time, "
            f"largest training-error gap {100 * r['max_train_error_gap']:.2f} points")
    emit({"benchmark": "time_to_accuracy", "quick": args.quick,
          "results": results, "machine": machine()})


if __name__ == "__main__":
    main()
