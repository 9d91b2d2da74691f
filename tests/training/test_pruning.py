"""Pruning (Farinha et al. 2020) and the L1 term: removal probabilities against the softmax
computed here, permanence, and the live-connection count."""

import numpy as np
import pytest

from lava_eqprop.errors import NetworkError
from lava_eqprop.io.hdf5 import load_network, save_network
from lava_eqprop.network.directed import complete_adjacency, directed_network
from lava_eqprop.network.generators import layered
from lava_eqprop.training.optimizer import SGD
from lava_eqprop.training.pruning import Pruning, live_connections, prune

SIZES = (3, 4, 2)


def net(seed=0, std=0.01):
    return directed_network(SIZES, complete_adjacency(SIZES), rng=np.random.default_rng(seed),
                            weight_std=std)


def incoming_to_output(network):
    """The output neurons' incoming weights, (2, 3 + 4 + 1): inputs, hidden, other output."""
    return np.concatenate([network.projection(n).weight
                           for n in ("input-output", "hidden-output", "output-output")], axis=1)


def test_removal_frequency_is_the_softmax_over_incoming_weights():
    """Over 4000 prunings of the same net, each small weight into an output neuron is removed
    with the probability exp(−|w|/T)/Σ exp(−|w_k|/T) (its row's live weights), within 4 σ."""
    base = net(1, std=0.05)
    settings = Pruning(threshold=0.03, temperature=0.02)
    before = incoming_to_output(base)
    live = before != 0
    odds = np.where(live, np.exp(-np.abs(before) / settings.temperature), 0.0)
    expected = odds / odds.sum(axis=1, keepdims=True) * (np.abs(before) <= 0.03) * live
    rng = np.random.default_rng(2)
    trials, counts = 4000, np.zeros_like(before)
    for _ in range(trials):
        copy = net(1, std=0.05)
        prune(copy, settings, rng)
        counts += (incoming_to_output(copy) == 0) & live
    sigma = np.sqrt(expected * (1 - expected) / trials)
    assert np.all(np.abs(counts / trials - expected) <= 4 * sigma + 1e-12)
    assert expected.max() > 0.1 and (expected == 0).sum() > 0


def test_large_weights_are_never_removed():
    network = net(3, std=0.5)
    large = {p.name: np.abs(p.weight) > 0.01 for p in network.projections}
    for seed in range(20):
        prune(network, Pruning(0.01, 5.0), np.random.default_rng(seed))
    for proj in network.projections:
        assert np.all(proj.weight[large[proj.name]] != 0)


def test_permanent_pruning_clears_the_mask_and_survives_a_save(tmp_path):
    network = net(4, std=0.01)
    before = live_connections(network)
    removed = prune(network, Pruning(0.05, 5.0, permanent=True), np.random.default_rng(0))
    assert removed > 0 and live_connections(network) == before - removed
    assert network.num_connections == before - removed
    save_network(network, tmp_path / "n.h5")
    again = load_network(tmp_path / "n.h5")
    assert again.num_connections == network.num_connections


def test_temporary_pruning_keeps_the_connection():
    network = net(5, std=0.01)
    removed = prune(network, Pruning(0.05, 5.0), np.random.default_rng(0))
    assert removed > 0
    assert network.num_connections == live_connections(network) + removed


def test_symmetric_nets_are_refused():
    sym = layered([3, 4, 2], rng=np.random.default_rng(0))
    with pytest.raises(NetworkError, match="symmetric projections"):
        prune(sym, Pruning(), np.random.default_rng(0))


def test_l1_term_is_a_fixed_shrink_that_the_rate_does_not_scale():
    """Farinha et al.: W ← W + dt_W·ΔW − reg_W·sign(W), the sign taken before the step."""
    network = net(6, std=0.3)
    proj = network.projection("hidden-output")
    w0 = proj.weight.copy()
    sgd = SGD(network, {p.name: 0.5 for p in network.projections}, {}, l1=0.1)
    direction = np.full_like(w0, 0.2)
    applied = sgd.step({"hidden-output": direction}, {})
    np.testing.assert_allclose(proj.weight, w0 + 0.5 * 0.2 - 0.1 * np.sign(w0))
    np.testing.assert_allclose(applied["hidden-output"], proj.weight - w0)
