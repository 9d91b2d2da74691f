#!/usr/bin/env python3
"""Farinha et al. (2020), "Equilibrium Propagation for Complete Directed Neural Networks":
the logic tasks with 5 hidden neurons, success rate over 20 seeds, six variants, and the
stability verdict of every trained net.

Variants (README, "Directed nets"): faithful DEEP (outgoing-weight decay, trajectory rule);
DEEP with pruning (|W| <= 0.01, softmax temperature 5, every epoch); DEEP with pruning and the
L1 term (reg_W = 1.5e-4 per update); the leaky variant with leak 1 and with leak 0.1 (trajectory
rule); the asymmetric-EP baseline (leak 1, endpoint rule ΔW = s_i^0 (s_j^β − s_j^0)/β with rate
dt_W·β/T2 = 1, the same step size).
The authors' settings: complete directed net, weights N(0, 0.05²), Euler dt = 0.05,
T1 = T2 = 1000, β = 10, dt_W = 100, full batch, 200 epochs. A seed succeeds when, after
training, a free phase from zero puts every output on the right side of 0.5.

The 20 seeds of a task and variant train at once, as one net of 20 disconnected copies
(:mod:`lava_eqprop.experiments.replicas`: a block-diagonal mask): every rule here is local to
a neuron and its connections, so the copies do not interact, and the engine steps them
together. After training, each copy is analysed on its own
(:mod:`lava_eqprop.experiments.stability_counts`, the analysis of ``lava-eqprop stability``:
equilibria from zeros, ones and a random state for every input of the task) and the verdicts
are counted.

Each epoch is one full-batch EP step of the engine and SGD, written out here: the
engine's :class:`~lava_eqprop.training.trainer.Trainer` trains classifiers (one-hot targets,
argmax errors, a spec-built net per run directory), while a logic task has one output
whose target is 0 or 1, and its seeds share one replica net.

    python tools/reproduce_farinha.py            # 5 tasks x 6 variants x 20 seeds
    python tools/reproduce_farinha.py --quick    # XOR and NOT, 3 seeds, short phases (the tests)
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from lava_eqprop.engine.estimators import EPSettings, ep_update
from lava_eqprop.engine.loss import get_loss
from lava_eqprop.engine.relaxation import Dynamics, Relaxer
from lava_eqprop.experiments.figures import emit, log, machine
from lava_eqprop.experiments.replicas import copy_back, replicas
from lava_eqprop.experiments.stability_counts import stability_verdicts
from lava_eqprop.network.directed import complete_adjacency, directed_network
from lava_eqprop.training.optimizer import SGD
from lava_eqprop.training.pruning import Pruning, live_connections, prune

TASKS = {
    "XOR": (np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), np.array([[0], [1], [1], [0]])),
    "AND": (np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), np.array([[0], [0], [0], [1]])),
    "OR": (np.array([[0, 0], [0, 1], [1, 0], [1, 1]]), np.array([[0], [1], [1], [1]])),
    "NOT": (np.array([[0], [1]]), np.array([[1], [0]])),
    "identity": (np.array([[0], [1]]), np.array([[0], [1]])),
}
DEEP = Dynamics(epsilon=0.05, leak=0.0, outgoing_decay=True)
LEAKY = Dynamics(epsilon=0.05, leak=1.0)
LEAKY_SMALL = Dynamics(epsilon=0.05, leak=0.1)
PRUNING = Pruning(threshold=0.01, temperature=5.0)
VARIANTS = {  # dynamics, estimator, learning rate, pruning, L1
    "deep": (DEEP, "deep", 100.0, None, 0.0),
    "deep_pruned": (DEEP, "deep", 100.0, PRUNING, 0.0),
    "deep_pruned_l1": (DEEP, "deep", 100.0, PRUNING, 1.5e-4),
    "leaky": (LEAKY, "deep", 100.0, None, 0.0),
    "leaky_0.1": (LEAKY_SMALL, "deep", 100.0, None, 0.0),
    "asymmetric_ep": (LEAKY, "asymmetric", 1.0, None, 0.0),
}
HIDDEN, BETA = 5, 10.0


def run_variant(task: str, variant: str, seeds: int, epochs: int, steps: int) -> dict:
    x, y = TASKS[task]
    dynamics, estimator, rate, pruning, l1 = VARIANTS[variant]
    sizes = (x.shape[1], HIDDEN, y.shape[1])
    nets = [directed_network(sizes, complete_adjacency(sizes), rng=np.random.default_rng(seed),
                             name=task) for seed in range(seeds)]
    net = replicas(nets)
    relaxer = Relaxer(net, dynamics, get_loss("half_squared_error"))
    settings = EPSettings(beta=BETA, free_steps=steps, nudged_steps=steps, estimator=estimator)
    optimizer = SGD(net, {p.name: rate for p in net.projections},
                    {p.name: rate for p in net.free}, l1=l1)
    rng = np.random.default_rng(0)
    inputs = {"input": np.tile(x, seeds).astype(float)}
    targets = np.tile(y, seeds).astype(float)
    start = time.perf_counter()
    for _ in range(epochs):
        clamped = relaxer.clamp(inputs)     # bias + input drive, with this epoch's weights
        result = ep_update(relaxer, clamped, targets, settings, rng)
        optimizer.step(result.weight_updates, result.bias_updates)
        if pruning is not None:
            prune(net, pruning, rng)
    clamped = relaxer.clamp(inputs)
    state = relaxer.zero_state(clamped)
    relaxer.run(state, clamped, steps)
    wrong = ((state["output"] > 0.5) != (targets > 0.5)).reshape(len(x), seeds, -1)
    errors = wrong.any(axis=2).sum(axis=0)
    seconds = time.perf_counter() - start
    copy_back(net, nets)
    connections = np.array([live_connections(n) for n in nets])
    return {"success": int((errors == 0).sum()), "seeds": seeds,
            "errors_per_seed": errors.tolist(),
            "connections_start": int(nets[0].num_connections),
            "connections_mean": float(connections.mean()),
            "connections_min": int(connections.min()),
            "stability": stability_verdicts(nets, dynamics, x.astype(float), 5 * steps),
            "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="XOR and NOT, 3 seeds, short")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--steps", type=int, default=1000, help="T1 = T2")
    parser.add_argument("--tasks", nargs="+", choices=list(TASKS), default=list(TASKS))
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    args = parser.parse_args()
    if args.quick:
        args.tasks, args.seeds, args.epochs, args.steps = ["XOR", "NOT"], 3, 5, 100
    results: dict = {}
    for task in args.tasks:
        results[task] = {}
        for variant in args.variants:
            r = run_variant(task, variant, args.seeds, args.epochs, args.steps)
            results[task][variant] = r
            log(f"{task:9s} {variant:15s} success {r['success']:2d}/{r['seeds']}  "
                f"connections {r['connections_start']} -> {r['connections_mean']:.1f} (mean)  "
                f"{r['seconds']:.0f} s  stability {r['stability']}")
    print(f"\n{'task':9s} " + " ".join(f"{v:>15s}" for v in args.variants))
    for task, row in results.items():
        print(f"{task:9s} " + " ".join(f"{r['success']:>9d}/{r['seeds']:<2d}   "
                                       for r in row.values()))
    emit({"benchmark": "reproduce_farinha", "quick": args.quick, "machine": machine(),
          "settings": {"hidden": HIDDEN, "beta": BETA, "epochs": args.epochs,
                       "steps": args.steps, "dt": DEEP.epsilon, "seeds": args.seeds},
          "results": results})


if __name__ == "__main__":
    main()
