"""The network description rejects inconsistent networks with a message naming the culprit."""

import numpy as np
import pytest

from lava_eqprop.errors import NetworkError
from lava_eqprop.network import Network, Population, Projection


def pops():
    return [Population("x", (3,), role="input"), Population("h", (4,)),
            Population("y", (2,), role="output")]


def proj(name="x-h", pre="x", post="h", shape=(4, 3), **kw):
    return Projection(name, pre, post, np.ones(shape), **kw)


def test_valid_network_counts_connections():
    mask = np.zeros((4, 3), dtype=bool)
    mask[0, :2] = True
    net = Network("n", pops(), [Projection("x-h", "x", "h", np.where(mask, 1.0, 0.0), mask=mask),
                                proj("h-y", "h", "y", (2, 4))])
    assert net.num_connections == 2 + 8
    assert [p.name for p in net.free] == ["h", "y"]
    assert net.symmetric


@pytest.mark.parametrize("bad, message", [
    (lambda: [proj(shape=(3, 4))],
     "weight has shape (3, 4), expected (post size, pre size) = (4, 3)"),
    (lambda: [proj(pre="nope")], "pre population 'nope' does not exist"),
    (lambda: [proj(mask=np.ones((4, 3)))], "mask must be a bool array"),
    (lambda: [proj(mask=np.zeros((4, 3), dtype=bool))],
     "weight is non-zero where the mask is False"),
    (lambda: [proj("h-h", "h", "h", (4, 4))], "zero diagonal"),
    (lambda: [Projection("h-h", "h", "h", np.triu(np.ones((4, 4)), 1))], "W == W.T"),
    (lambda: [proj("h-x", "h", "x", (3, 4), symmetric=False)],
     "directed projection into the input"),
    (lambda: [proj(kind="pool")], "kind 'pool' is not one of"),
    (lambda: [proj(), proj()], "'x-h' appears twice"),
])
def test_inconsistent_projection_is_rejected(bad, message):
    with pytest.raises(NetworkError) as err:
        Network("n", pops(), bad())
    assert message in str(err.value)
    assert "network 'n'" in str(err.value)


@pytest.mark.parametrize("population, message", [
    (Population("h", (4,), activation="tanh"), "activation 'tanh' is not one of"),
    (Population("h", (4,), role="teacher"), "role 'teacher' is not one of"),
    (Population("h", (4,), bias=np.zeros(3)), "bias has shape (3,), expected (4,)"),
])
def test_inconsistent_population_is_rejected(population, message):
    p = pops()
    p[1] = population
    with pytest.raises(NetworkError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Network("n", p, [])


def test_roles_are_required():
    with pytest.raises(NetworkError, match="no population has role 'input'"):
        Network("n", [Population("h", (2,)), Population("y", (2,), role="output")], [])
