"""Verdict counts (lava_eqprop.experiments.stability_counts)."""

import numpy as np

from lava_eqprop.engine.relaxation import Dynamics
from lava_eqprop.experiments.stability_counts import stability_verdicts
from lava_eqprop.network.directed import complete_adjacency, directed_network

SIZES = (2, 3, 1)


def test_counts_every_net_once():
    nets = [directed_network(SIZES, complete_adjacency(SIZES), rng=np.random.default_rng(s))
            for s in range(4)]
    # leak 1 and weights of N(0, 0.05²): the linear part contracts, a global certificate
    counts = stability_verdicts(nets, Dynamics(epsilon=0.05, leak=1.0),
                                np.array([[0.0, 1.0], [1.0, 0.0]]), steps=200)
    assert counts == {"certified stable": 4}
