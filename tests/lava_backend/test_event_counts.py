"""Messages and synaptic operations counted by the graph, against counts worked out by hand.

At θ = 0 every free neuron sends every step and the clamped input only once (LOAD), so per
sample and free step: messages = Σ free population sizes; synaptic ops = Σ over projections of
the existing synapses reached forward (if the pre end is a free population) plus backward (if
the projection drives its pre end: symmetric, not lateral, pre end free).
"""

import numpy as np
import pytest

from lava_eqprop.lava_backend.graph import drives_pre
from lava_eqprop.lava_backend.inference import lava_predict
from lava_eqprop.lava_backend.settings import LavaSettings
from lava_eqprop.network.generators import layered, small_world

pytestmark = pytest.mark.lava
STEPS = 7


def nets():
    return {"layered": layered([6, 5, 4, 3], rng=np.random.default_rng(0)),
            "small_world": small_world(layered([6, 5, 4, 3], rng=np.random.default_rng(1)), 0.4,
                                       rng=np.random.default_rng(2))}


def synops_per_step(network):
    total = 0
    for proj in network.projections:
        synapses = int(proj.mask.sum()) if proj.mask is not None else proj.weight.size
        total += synapses * (not network.population(proj.pre).clamped)
        total += synapses * drives_pre(proj, network)
    return total


@pytest.mark.parametrize("name", ["layered", "small_world"])
def test_dense_counts_match_the_hand_count(name):
    network = nets()[name]
    x = np.random.default_rng(3).uniform(0, 1, (5, 6))
    _, counters = lava_predict(network, LavaSettings(batch=2), x, STEPS, 3)
    free_size = sum(p.size for p in network.free)
    assert counters["events"]["free"] == pytest.approx(STEPS * free_size)
    assert counters["synops"]["free"] == pytest.approx(STEPS * synops_per_step(network))
    assert counters["events"]["nudged"] == 0 and counters["synops"]["nudged"] == 0


def test_threshold_above_the_activation_range_silences_the_free_phase():
    network = nets()["layered"]
    x = np.random.default_rng(4).uniform(0.2, 1, (4, 6))
    labels_sparse, sparse = lava_predict(network, LavaSettings(batch=4, event_threshold=2.0), x, STEPS, 3)
    _, small = lava_predict(network, LavaSettings(batch=4, event_threshold=0.01), x, STEPS, 3)
    assert sparse["events"]["free"] == 0 and sparse["synops"]["free"] == 0
    assert sparse["events"]["load"] == pytest.approx(6)   # the input's nonzero values, once
    assert 0 < small["events"]["free"] < STEPS * sum(p.size for p in network.free)
