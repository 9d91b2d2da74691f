"""Small networks shared by the backend comparison tests."""

from lava_eqprop.network.conv_nets import ConvLayer, Gains, Skip, conv_network
from lava_eqprop.network.network import Network, Population, Projection


def directed_net(rng):
    """input → h (symmetric), h → out and out → h (directed): asymmetric weights."""
    pops = [Population("input", (6,), role="input"), Population("h", (5,)),
            Population("out", (3,), role="output")]
    projs = [Projection("in-h", "input", "h", rng.uniform(-.6, .6, (5, 6))),
             Projection("h-out", "h", "out", rng.uniform(-.8, .8, (3, 5)), symmetric=False),
             Projection("out-h", "out", "h", rng.uniform(-.8, .8, (5, 3)), symmetric=False)]
    return Network("directed", pops, projs)


def conv_net(rng):
    """Convs with padding, stride 2 and average pooling, a learned 1x1 skip conv, an identity
    skip, channel biases and a dense head (Brian2 runs them unrolled into synapses)."""
    layers = [ConvLayer("a", 2, 3, padding=1), ConvLayer("b", 2, 3, stride=2, padding=1),
              ConvLayer("c", 2, 3, padding=1), ConvLayer("d", 3, 2, pool="avg")]
    return conv_network((1, 6, 6), layers, 3, rng=rng, skips=[Skip("a", "b"),
                                                             Skip("b", "c", "identity")],
                        gains=Gains(1.0, 0.7, 1.0), name="conv")
