"""Seeds trained as one block-diagonal net (lava_eqprop.experiments.replicas)."""

import numpy as np
import pytest

from lava_eqprop.engine.estimators import EPSettings, ep_update
from lava_eqprop.engine.loss import get_loss
from lava_eqprop.engine.relaxation import Dynamics, Relaxer
from lava_eqprop.experiments.replicas import block_diagonal, copy_back, replicas
from lava_eqprop.network.directed import complete_adjacency, directed_network
from lava_eqprop.training.optimizer import SGD

SIZES = (2, 5, 1)
DEEP = Dynamics(epsilon=0.05, leak=0.0, outgoing_decay=True)
XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=float)


def fresh(seed):
    return directed_network(SIZES, complete_adjacency(SIZES), rng=np.random.default_rng(seed),
                            weight_std=0.5, bias_std=0.5)


def free_state(net, copies, steps=200):
    relaxer = Relaxer(net, DEEP, get_loss("half_squared_error"))
    clamped = relaxer.clamp({"input": np.tile(XOR_X, copies)})
    state = relaxer.zero_state(clamped)
    relaxer.run(state, clamped, steps)
    return {pop.name: np.asarray(state[pop.name]) for pop in net.free}


def test_block_diagonal():
    a, b = np.full((2, 3), 1.0), np.full((2, 3), 2.0)
    out = block_diagonal([a, b])
    assert out.shape == (4, 6)
    np.testing.assert_array_equal(out[:2, :3], a)
    np.testing.assert_array_equal(out[2:, 3:], b)
    assert not out[:2, 3:].any() and not out[2:, :3].any()


def test_each_copy_relaxes_as_its_own_net():
    seeds = (0, 1, 2)
    alone = [free_state(fresh(s), 1) for s in seeds]
    together = free_state(replicas([fresh(s) for s in seeds]), len(seeds))
    for c, theirs in enumerate(alone):
        assert max(np.abs(v).max() for v in theirs.values()) > 0.01  # not a trivial state
        for name, values in together.items():
            mine = np.split(values, len(seeds), axis=1)[c]
            np.testing.assert_array_equal(mine, theirs[name])


def test_replica_connects_no_two_copies():
    net = replicas([fresh(0), fresh(1)])
    for proj in net.projections:
        rows, cols = (s // 2 for s in proj.weight.shape)
        assert not proj.mask[:rows, cols:].any() and not proj.mask[rows:, :cols].any()
        assert not proj.weight[:rows, cols:].any() and not proj.weight[rows:, :cols].any()
    assert net.num_connections == 2 * fresh(0).num_connections


def train(net, copies, epochs=3):
    relaxer = Relaxer(net, DEEP, get_loss("half_squared_error"))
    sgd = SGD(net, {p.name: 100.0 for p in net.projections}, {p.name: 100.0 for p in net.free})
    settings = EPSettings(beta=10.0, free_steps=60, nudged_steps=60, estimator="deep")
    for _ in range(epochs):
        clamped = relaxer.clamp({"input": np.tile(XOR_X, copies)})
        result = ep_update(relaxer, clamped, np.tile(XOR_Y, copies), settings,
                           np.random.default_rng(0))
        sgd.step(result.weight_updates, result.bias_updates)


def test_copies_train_like_separate_nets():
    """Farinha et al.'s DEEP rule and SGD on the replica give each copy the weights its seed
    gets trained alone (float64, to 1e-12)."""
    alone = [fresh(0), fresh(1)]
    for net in alone:
        train(net, 1)
    together = replicas([fresh(0), fresh(1)])
    train(together, 2)
    for p, proj in enumerate(together.projections):
        expected = block_diagonal([n.projections[p].weight for n in alone])
        before = block_diagonal([n.projections[p].weight for n in (fresh(0), fresh(1))])
        assert np.abs(expected - before).max() > 1e-3  # training moved the weights
        np.testing.assert_allclose(proj.weight, expected, atol=1e-12)


@pytest.mark.parametrize("copies", [1, 3])
def test_copy_back_round_trips(copies):
    originals = [fresh(seed) for seed in range(copies)]
    targets = [fresh(100 + seed) for seed in range(copies)]
    copy_back(replicas(originals), targets)
    for net, original in zip(targets, originals):
        for mine, theirs in zip(net.projections, original.projections):
            np.testing.assert_array_equal(mine.weight, theirs.weight)
        for mine, theirs in zip(net.populations, original.populations):
            np.testing.assert_array_equal(mine.bias, theirs.bias)
