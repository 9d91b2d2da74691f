import numpy as np
import pytest

from lava_eqprop.network import layered, small_world


def small_net(seed=3, pool="any", p=0.3, sizes=(6, 5, 4, 3)):
    """A small random net with skip and (pool 'any') lateral projections, contractive weights."""
    rng = np.random.default_rng(seed)
    base = layered(list(sizes), rng=rng, weight_gain=0.8, bias_init="fan_in_uniform")
    return small_world(base, p, rng=rng, pool=pool) if p else base


@pytest.fixture
def net():
    return small_net()


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    x = rng.random((3, 6))
    y = np.eye(3)[rng.integers(0, 3, 3)]
    return x, y
