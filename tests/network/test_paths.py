"""Hops from each population to the output: a layered chain counts its layers, a skip shortens
the path to the layers behind it, a population no projection reaches is left out."""

import numpy as np

from lava_eqprop.network import Network, Population, Projection, layered
from lava_eqprop.network.paths import hops_to_output


def test_a_layered_chain_counts_its_layers():
    net = layered([5, 4, 4, 4, 3], rng=np.random.default_rng(0))
    names = [p.name for p in net.populations]
    assert hops_to_output(net) == {name: len(names) - 1 - k for k, name in enumerate(names)}


def test_a_skip_shortens_the_path_behind_it_only():
    pops = [Population("x", (3,), role="input"), *(Population(f"h{k}", (2,)) for k in (1, 2, 3)),
            Population("y", (2,), role="output"), Population("lone", (2,))]
    chain = ["x", "h1", "h2", "h3", "y"]
    projections = [Projection(f"{a}-{b}", a, b, np.ones((2, 3 if a == "x" else 2)))
                   for a, b in zip(chain, chain[1:])]
    skip = Projection("h1-h3", "h1", "h3", np.ones((2, 2)))
    hops = hops_to_output(Network("n", pops, [*projections, skip]))
    assert hops == {"y": 0, "h3": 1, "h2": 2, "h1": 2, "x": 3}
