"""Conv and identity projections unrolled into synapses (what Brian2 runs): the unrolled matrix
is the engine's drive, the synapses are the network's connection count, and a per-synapse
Hebbian update folds back onto the kernel exactly as the engine's im2col kernel correlation."""

import numpy as np
import pytest

from lava_eqprop.engine.interactions import interaction_for
from lava_eqprop.engine.unrolling import Unrolled
from lava_eqprop.errors import NetworkError
from lava_eqprop.network.conv_nets import ConvLayer, Skip, conv_network


def net_with(pool=None, stride=1, padding=1):
    layers = [ConvLayer("a", 2, 3, stride=stride, padding=padding, pool=pool),
              ConvLayer("b", 2, 3, padding=1)]
    return conv_network((2, 7, 7), layers, 3, rng=np.random.default_rng(0),
                        skips=[Skip("a", "b", "identity")])


@pytest.mark.parametrize("pool, stride, padding", [(None, 1, 1), (None, 2, 1), ("avg", 1, 0)])
def test_unrolled_conv_is_the_engines_conv(pool, stride, padding):
    net = net_with(pool, stride, padding)
    proj = net.projection("input-a")
    unrolled = Unrolled(proj, net)
    inter = interaction_for(proj, net)
    rng = np.random.default_rng(1)
    s_pre, s_post = rng.random((4, 98)), rng.random((4, net.population("a").size))
    np.testing.assert_allclose(s_pre @ unrolled.matrix().T, inter.drive_to_post(s_pre),
                               atol=1e-12)
    if pool is None:                 # an avg-pooled tap is a sum of conv taps: count differs
        assert len(unrolled.post_index) == net.connections(proj)
    per_synapse = (s_post[:, unrolled.post_index] * s_pre[:, unrolled.pre_index]).sum(axis=0)
    np.testing.assert_allclose(unrolled.fold(per_synapse), inter.correlation(s_pre, s_post),
                               atol=1e-12)


def test_identity_skip_unrolls_to_its_gain_on_the_diagonal():
    net = net_with()
    proj = net.projection("a~b")
    unrolled = Unrolled(proj, net)
    size = net.population("a").size
    np.testing.assert_array_equal(unrolled.post_index, np.arange(size))
    np.testing.assert_array_equal(unrolled.pre_index, np.arange(size))
    np.testing.assert_allclose(unrolled.synapse_weights(), float(proj.weight))
    assert unrolled.fold(np.full(size, 0.5)) == pytest.approx(0.5 * size)


def test_max_pooled_conv_is_refused_by_name():
    net = net_with(pool="max")
    with pytest.raises(NetworkError, match="'input-a': a max-pooled conv is not linear"):
        Unrolled(net.projection("input-a"), net)
