"""Small networks shared by the backend comparison tests."""

from lava_eqprop.network.network import Network, Population, Projection


def directed_net(rng):
    """input → h (symmetric), h → out and out → h (directed): asymmetric weights."""
    pops = [Population("input", (6,), role="input"), Population("h", (5,)),
            Population("out", (3,), role="output")]
    projs = [Projection("in-h", "input", "h", rng.uniform(-.6, .6, (5, 6))),
             Projection("h-out", "h", "out", rng.uniform(-.8, .8, (3, 5)), symmetric=False),
             Projection("out-h", "out", "h", rng.uniform(-.8, .8, (5, 3)), symmetric=False)]
    return Network("directed", pops, projs)
