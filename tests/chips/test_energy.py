"""The energy and latency model against a hand computation on a 2-2-1 net, one neuron per core.

Placement (toy chip: 4 cores per chip, 2 per tile, tiles 2 to a mesh row): input neurons on
cores 0, 1 (chip 0, tile 0, x = 0); h1 on cores 2, 3 (chip 0, tile 1, x = 1); the output on
core 4 (chip 1, tile 0, x = 0). Pathways: input → h1, h1 → output, output → h1 (no drive into
the clamped input). Costs are the toy config's (tests/chips/conftest.py).
"""

import numpy as np
import pytest

from lava_eqprop.chips.energy import Activity, estimate
from lava_eqprop.chips.mapping import map_network
from lava_eqprop.network.generators import layered

ACTIVITY = dict(steps={"load": 1, "free": 3, "nudged": 2, "restore": 0},
                events={"input": {"load": 2}, "h1": {"free": 6, "nudged": 4},
                        "output": {"free": 3, "nudged": 2}},
                synops={"load": 4, "free": 12, "nudged": 8})


@pytest.fixture
def placed(toy_chip):
    net = layered([2, 2, 1], rng=np.random.default_rng(0))
    mapping = map_network(net, toy_chip(neurons=1, cores_per_chip=4, cores_per_tile=2,
                                        mesh_columns=2))
    assert [c.population for c in mapping.cores] == ["input", "input", "h1", "h1", "output"]
    assert [c.chip for c in mapping.cores] == [0, 0, 0, 0, 1]
    return net, mapping


def test_training_sample_energy_and_latency_by_hand(placed):
    net, mapping = placed
    e = estimate(mapping, Activity(**ACTIVITY, learns=True))
    # synaptic ops: 24 x 2 pJ. neuron updates: 5 neurons x 6 steps, 17 active:
    # 17 x 5 + 13 x 1. routing per message: input 2 x 1 hop (1 pJ); h1 1 hop + 1 chip
    # crossing (7 pJ); output reaches 2 cores, each 1 hop + 1 crossing: on chip
    # 2 x 2 + 10 x 1 + 5 x 2, between chips 10 x 7 + 5 x 14.
    # learning: 8 stored plastic synapses (input-h1 4, h1-output both ways 2 + 2) x 10 pJ.
    assert e["energy_pj"] == pytest.approx({"synaptic_ops": 48.0, "neuron_updates": 98.0,
                                            "spike_routing": 24.0, "inter_chip": 140.0,
                                            "learning": 80.0, "total": 390.0})
    assert e["energy_share"]["inter_chip"] == pytest.approx(140 / 390)
    # busiest core per step: load, core 0 (1 active neuron, 4 ns); free and nudged, an h1
    # core: 4 synops/step x 3/8 of the synapses x 1 ns + 1 active neuron x 4 ns = 5.5 ns.
    # slowest route: 1 hop east-west (1.5 ns) on chip, a chip crossing (9 ns) between;
    # barrier across chips 1000 ns; learning: 3 plastic synapses on an h1 core x 3 ns.
    assert e["latency_ns"] == pytest.approx({"compute": 4 + 3 * 5.5 + 2 * 5.5,
                                             "routing": 6 * 1.5, "inter_chip": 6 * 9.0,
                                             "barrier": 6 * 1000.0, "learning": 9.0,
                                             "total": 6103.5})


def test_inference_does_not_learn(placed):
    net, mapping = placed
    e = estimate(mapping, Activity(**ACTIVITY, learns=False))
    assert e["energy_pj"]["learning"] == 0 and e["energy_pj"]["total"] == pytest.approx(310.0)
    assert e["latency_ns"]["learning"] == 0


def test_barrier_on_one_chip_grows_with_the_tiles_in_use(toy_chip):
    net = layered([2, 2, 1], rng=np.random.default_rng(0))
    mapping = map_network(net, toy_chip(neurons=1, cores_per_chip=8, cores_per_tile=2,
                                        mesh_columns=2))
    e = estimate(mapping, Activity(**ACTIVITY, learns=False))
    # 5 cores on tiles 0, 1, 2 of 4: 100 + (3 - 1) / (4 - 1) x (200 - 100) ns per step
    assert e["latency_ns"]["barrier"] == pytest.approx(6 * (100 + 2 / 3 * 100))


def test_chips_sit_on_a_square_grid():
    """9 chips, 3 to a row: chip 0 to chip 8 crosses 2 + 2 boundaries, chip 2 to 3 crosses
    2 + 1 (the next row starts on the left)."""
    from lava_eqprop.chips.energy import chip_hops

    assert chip_hops(np.array([0, 2, 4]), np.array([8, 3, 4]), 9).tolist() == [4, 3, 0]
    assert chip_hops(np.array([0]), np.array([1]), 2).tolist() == [1]
