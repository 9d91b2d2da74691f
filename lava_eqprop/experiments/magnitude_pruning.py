"""Accuracy against sparsity without retraining: the test error of a trained net when the
smallest-magnitude fraction f of its weights is removed (tools/directed_digits.py, beyond
Farinha et al. 2020, whose pruning acts during training).

One threshold over all projections: with m the magnitudes |W_ij| of every existing
connection, the cut is their f-quantile q_f, and every weight with |W_ij| ≤ q_f is set to 0.
"""

from __future__ import annotations

import numpy as np

from lava_eqprop.engine.relaxation import Relaxer
from lava_eqprop.network.network import Network
from lava_eqprop.training.evaluate import error_rate
from lava_eqprop.training.pruning import existing, live_connections

REMOVED = (0.0, 0.25, 0.5, 0.75, 0.9, 0.95)
"""The fractions f of :func:`sparsity_curve`."""


def magnitude_pruned(network: Network, fraction: float) -> dict[str, np.ndarray]:
    """Zero the smallest-|W| ``fraction`` of the net's existing connections (weights at or
    below the quantile q_f, see the module docstring), in place; returns the weights as they
    were (projection name -> array), to restore them."""
    saved = {p.name: p.weight.copy() for p in network.projections}
    magnitudes = np.concatenate([np.abs(p.weight[existing(p)]) for p in network.projections])
    if fraction > 0:
        cut = np.quantile(magnitudes, fraction)
        for p in network.projections:
            p.weight[np.abs(p.weight) <= cut] = 0.0
    return saved


def sparsity_curve(network: Network, relaxer: Relaxer, x: np.ndarray, y: np.ndarray,
                   steps: int, fractions: tuple[float, ...] = REMOVED) -> list[dict[str, float]]:
    """For each fraction f: the live connections and the test error (a free phase of
    ``steps`` from zero) after removing the smallest f of the weights; the weights are
    restored after each."""
    rows = []
    for fraction in fractions:
        saved = magnitude_pruned(network, fraction)
        rows.append({"removed": fraction, "live": live_connections(network),
                     "test_error": error_rate(relaxer, x, y, steps)})
        for p in network.projections:
            p.weight[...] = saved[p.name]
    return rows
