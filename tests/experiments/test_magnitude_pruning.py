"""Accuracy against sparsity (lava_eqprop.experiments.magnitude_pruning)."""

import numpy as np
import pytest

from lava_eqprop.engine.loss import get_loss
from lava_eqprop.engine.relaxation import Dynamics, Relaxer
from lava_eqprop.experiments.magnitude_pruning import magnitude_pruned, sparsity_curve
from lava_eqprop.network.generators import layered
from lava_eqprop.training.pruning import live_connections


def net_with_distinct_weights():
    """A 4-5-3 layered net whose 35 weights have the magnitudes 1 … 35 (random signs)."""
    net = layered([4, 5, 3], rng=np.random.default_rng(0))
    rng = np.random.default_rng(1)
    magnitudes = rng.permutation(np.arange(1.0, 36.0))
    signs = rng.choice([-1.0, 1.0], size=35)
    start = 0
    for proj in net.projections:
        n = proj.weight.size
        proj.weight[...] = (magnitudes[start:start + n] * signs[start:start + n]).reshape(
            proj.weight.shape)
        start += n
    return net


@pytest.mark.parametrize("fraction, removed", [(0.0, 0), (0.2, 7), (0.5, 18), (1.0, 35)])
def test_removes_exactly_the_smallest_fraction(fraction, removed):
    net = net_with_distinct_weights()
    before = {p.name: p.weight.copy() for p in net.projections}
    saved = magnitude_pruned(net, fraction)
    zeroed = np.concatenate([np.abs(before[p.name][p.weight == 0]) for p in net.projections])
    # the quantile of 1 … 35 at f is 1 + 34 f: every magnitude at or below it goes
    assert sorted(zeroed) == list(np.arange(1.0, removed + 1.0))
    assert live_connections(net) == 35 - removed
    for name, weight in saved.items():
        np.testing.assert_array_equal(weight, before[name])


def test_sparsity_curve_restores_the_weights():
    net = net_with_distinct_weights()
    before = {p.name: p.weight.copy() for p in net.projections}
    relaxer = Relaxer(net, Dynamics(epsilon=0.5), get_loss("squared_error"))
    x = np.random.default_rng(2).uniform(size=(6, 4))
    rows = sparsity_curve(net, relaxer, x, np.zeros(6, dtype=int), steps=5,
                          fractions=(0.0, 0.5, 0.9))
    assert [row["removed"] for row in rows] == [0.0, 0.5, 0.9]
    assert [row["live"] for row in rows] == [35, 17, 4]  # cuts at 18 and 31.6
    assert all(0.0 <= row["test_error"] <= 1.0 for row in rows)
    for p in net.projections:
        np.testing.assert_array_equal(p.weight, before[p.name])
