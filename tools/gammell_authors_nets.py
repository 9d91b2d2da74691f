#!/usr/bin/env python3
"""Gammell et al.'s own initial nets of the 5-layer p sweep, trained here.

The authors' sweep (jgammell/equilibrium_propagation, trials/run_trials_sweep.py and
framework/eqp.py) builds each 784-100-100-100-100-100-10 net from numpy's RandomState(0), the
same seed at every p. This script redraws that sequence, as their code orders it:

1. every connection of the layered net, neuron pairs (row > column) in row-major order of the
   global N×N matrix, is rewired when a U(0, 1) draw falls below p: a pair is drawn uniformly
   from a pool of unconnected pairs, the old connection is removed and put at the pool's end,
   and the drawn pair leaves the pool. The pool starts as every pair of neurons in layers at
   least two apart, listed by the lower layer (input first), then by row, then by column;
2. one N×N matrix of U(±0.168) draws, the skips' weights;
3. per neighbour layer pair, one more N×N matrix of Glorot draws U(±√(6/(n_in + n_out))),
   kept in that pair's blocks;
4. the weights are masked by the connections and made symmetric from the lower triangle.
   Biases start at zero.

The authors' logs print each net's "RMS W element" (√(‖W‖_F / N²)) before training
(results/mnist_5layer_sweep/trial_p*/log.txt). Every run redraws the nets of all the logged
values of p (:data:`LOGGED_RMS_W`, a second each) and reports theirs beside the logged one.
The nets of --p are then trained with the p sweep's spec (tools/gammell_depth.py --sections
p_sweep), so that the draw of the skips is the authors' and everything else is this
library's.

    python tools/gammell_authors_nets.py --p 0 0.000924 0.00329      # ~9 min per p, one core
    python tools/gammell_authors_nets.py --p 0.000924 --resume       # after an interruption
    python tools/gammell_authors_nets.py --p 0.000924 --seeds 2 3    # other training seeds
    python tools/gammell_authors_nets.py --quick     # 200 MNIST images, 1 epoch (the tests)

Per p: the redrawn net's RMS W element and the logged one, its skips (all of them, those from
a hidden layer to the output and those from the input to the output), and the training and
test error per epoch (test: persistent particles) beside the authors' log. Plot:
OUT/authors_nets.png. The last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

import lava_eqprop as le
from lava_eqprop.experiments.figures import emit, log, machine
from lava_eqprop.experiments.gammell_nets import FAMILIES, SMALL_WORLD, SOLVER
from lava_eqprop.experiments.specs import ROOT
from lava_eqprop.network.generators import global_offsets, layered, projections_from_matrices
from lava_eqprop.network.init import glorot_bound
from lava_eqprop.network.network import Network
from lava_eqprop.plots import plot_panels
from lava_eqprop.training.skip_removal import skip_census

REFERENCE = ROOT / "tools" / "reference" / "gammell_2021_logs.json"
SIZES = [784, 100, 100, 100, 100, 100, 10]
SKIP_WEIGHT_BOUND = 0.168
AUTHORS_SEED = 0
EPOCHS = 10
LOGGED_RMS_W = {0.0: 0.004536, 0.000924: 0.004545, 0.001269: 0.004550, 0.001743: 0.004551,
                0.002395: 0.004543, 0.00329: 0.004539, 0.00452: 0.004545, 0.008532: 0.004548}
"""The "RMS W element" the authors' sweep logs print for the initial net at each p."""
QUICK_KEYS = {"data.train_samples": 200, "data.test_samples": 100}


def skip_pool(sizes: list[int]) -> list[tuple[int, int]]:
    """The (row, column) pairs a rewired connection may take at the start: column in layer
    k, row in any layer from k + 2 on, by k, then row, then column."""
    off = global_offsets(sizes)
    return [(row, col) for k in range(len(sizes) - 2)
            for row in range(int(off[k + 2]), int(off[-1]))
            for col in range(int(off[k]), int(off[k + 1]))]


def authors_initial_net(p: float, seed: int = AUTHORS_SEED,
                        sizes: list[int] = SIZES) -> tuple[np.ndarray, np.ndarray, int]:
    """The authors' initial weights W and connections M (symmetric N×N) at ``p``, and the
    number of connections rewired; the draws in their order (module docstring)."""
    rng = np.random.RandomState(seed)
    off = global_offsets(sizes)
    n = int(off[-1])
    neighbours = np.zeros((n, n), dtype=bool)
    for k in range(len(sizes) - 1):
        neighbours[off[k + 1]:off[k + 2], off[k]:off[k + 1]] = True
    lower = neighbours.copy()                      # rows above columns: the lower triangle
    pool = skip_pool(sizes)
    rewired = 0
    for row, col in zip(*np.nonzero(neighbours)):
        if rng.uniform(0, 1) < p:
            pick = rng.randint(len(pool))
            new_row, new_col = pool[pick]
            lower[row, col] = False
            lower[new_row, new_col] = True
            pool.append((int(row), int(col)))
            del pool[pick]
            rewired += 1
    weights = rng.uniform(-SKIP_WEIGHT_BOUND, SKIP_WEIGHT_BOUND, size=(n, n))
    for k in range(len(sizes) - 1):
        block = np.zeros((n, n), dtype=bool)
        block[off[k + 1]:off[k + 2], off[k]:off[k + 1]] = True
        block |= block.T
        bound = glorot_bound(sizes[k], sizes[k + 1])
        weights = np.where(block, rng.uniform(-bound, bound, size=(n, n)), weights)
    weights = np.where(lower, weights, 0.0)
    connected = lower | lower.T
    return weights + weights.T, connected, rewired


def rms_w_element(weights: np.ndarray) -> float:
    """The authors' logged "RMS W element": √(‖W‖_F / N²)."""
    return float(np.sqrt(np.linalg.norm(weights) / weights.size))


def as_network(weights: np.ndarray, connected: np.ndarray, p: float,
               sizes: list[int] = SIZES) -> Network:
    """The global matrices as a lava-eqprop net: the layered net's populations (zero biases,
    as the authors'), one masked symmetric projection per layer pair that holds a
    connection."""
    populations = layered(sizes, rng=np.random.default_rng(0)).populations
    return Network(f"gammell-authors-p{p:g}", populations,
                   projections_from_matrices(populations, connected, weights),
                   metadata={"topology": "small_world", "sizes": list(sizes), "p": p,
                             "source": "the authors' RandomState(0) draw"})


def sweep_spec(p: float, seed: int, quick: bool) -> Any:
    """The p sweep's spec of the width-100 5-layer small world at ``p``, with the training
    seed (sample order, β signs) ``seed``."""
    family = FAMILIES["w100"]
    return le.load_spec(SMALL_WORLD).with_keys(
        SOLVER | family.keys(5) | {"network.small_world.new_weight_bound": family.new_weight_bound,
                                   "network.small_world.p": p, "learning.seed": seed}
        | (QUICK_KEYS if quick else {}), "the p sweep's point")


def run_name(p: float, seed: int) -> str:
    """p<p>, with -seed<S> for a training seed other than 1."""
    return f"p{p:g}" + ("" if seed == 1 else f"-seed{seed}")


def train_authors_net(p: float, seed: int, args: argparse.Namespace) -> dict[str, Any]:
    """Redraw the authors' net at ``p``, train it with the training seed ``seed``."""
    weights, connected, rewired = authors_initial_net(p)
    rms = rms_w_element(weights)
    logged = LOGGED_RMS_W.get(p)
    net = as_network(weights, connected, p)
    census = skip_census(net)
    log(f"p = {p:g}: {rewired} rewired, {census}, RMS W element {rms:.6f}"
        + ("" if logged is None else f" (logged {logged:.6f})"))
    epochs = 1 if args.quick else args.epochs
    run = le.train(net, spec=sweep_spec(p, seed, args.quick), epochs=epochs,
                   out=args.out / run_name(p, seed), resume=args.resume)
    history = run.history
    return {"p": p, "seed": seed, "rewired": rewired, "skips": census, "rms_w_element": rms,
            "logged_rms_w_element": logged,
            "train_error": [r["train_error"] for r in history],
            "test_error_persistent": [r["test_error_persistent"] for r in history]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--p", nargs="+", type=float, default=[0.000924],
                        help="rewiring probabilities (the authors' values: 0, 0.000924, ...)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1],
                        help="training seeds (sample order and β signs) per net; a seed "
                             "other than 1 adds -seed<S> to the run's name")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "gammell_authors_nets")
    parser.add_argument("--resume", action="store_true", help="continue interrupted runs")
    parser.add_argument("--quick", action="store_true",
                        help="200 training and 100 test images, 1 epoch (the tests)")
    args = parser.parse_args()
    reference = json.loads(REFERENCE.read_text())["p_sweep_5layer"]["by_p"]
    redrawn = {f"p{p:g}": {"rms_w_element": rms_w_element(authors_initial_net(p)[0]),
                           "logged": logged} for p, logged in LOGGED_RMS_W.items()}
    for name, check in redrawn.items():
        log(f"{name:10s} RMS W element redrawn {check['rms_w_element']:.6f}, "
            f"logged {check['logged']:.6f}")
    nets = {run_name(p, seed): train_authors_net(p, seed, args)
            for p in args.p for seed in args.seeds}
    panels: dict[str, dict[str, list[float]]] = {}
    for net in nets.values():
        panel = panels.setdefault(f"p = {net['p']:g}", {})
        panel[f"their net here, seed {net['seed']}"] = [100 * e
                                                        for e in net["test_error_persistent"]]
        theirs = reference.get(f"{net['p']:.6f}")
        if theirs is not None:
            panel["authors' log"] = [100 * e for e in theirs["test_error"][:args.epochs]]
            net["authors_test_error"] = theirs["test_error"]
    plot_panels(panels, args.out / "authors_nets.png", xlabel="epoch",
                ylabel="test error (%), persistent particles",
                title="The authors' initial nets trained with lava-eqprop")
    emit({"benchmark": "gammell_authors_nets", "quick": args.quick, "authors_seed": AUTHORS_SEED,
          "redrawn_against_logs": redrawn, "nets": nets, "machine": machine()})


if __name__ == "__main__":
    main()
