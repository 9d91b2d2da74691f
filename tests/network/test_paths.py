"""Hops from each population to the output: a layered chain counts its layers, a skip shortens
the path to the layers behind it, no path passes through the clamped input, a population no
projection reaches is left out."""

import numpy as np

from lava_eqprop.network import Network, Population, Projection, layered
from lava_eqprop.network.paths import hops_to_output


def chain_with_skip(hidden: int, skip: tuple[str, str],
                    extra: tuple[Population, ...] = ()) -> Network:
    """x - h1 - ... - h<hidden> - y (dense, 3 inputs, 2 neurons elsewhere) and one skip."""
    names = ["x", *(f"h{k}" for k in range(1, hidden + 1)), "y"]
    pops = [Population("x", (3,), role="input"), *(Population(n, (2,)) for n in names[1:-1]),
            Population("y", (2,), role="output"), *extra]
    pairs = [*zip(names, names[1:]), skip]
    return Network("n", pops, [Projection(f"{a}-{b}", a, b, np.ones((2, 3 if a == "x" else 2)))
                               for a, b in pairs])


def test_a_layered_chain_counts_its_layers():
    net = layered([5, 4, 4, 4, 3], rng=np.random.default_rng(0))
    names = [p.name for p in net.populations]
    assert hops_to_output(net) == {name: len(names) - 1 - k for k, name in enumerate(names)}


def test_a_skip_shortens_the_path_behind_it_only():
    net = chain_with_skip(3, ("h1", "h3"), (Population("lone", (2,)),))
    assert hops_to_output(net) == {"y": 0, "h3": 1, "h2": 2, "h1": 2, "x": 3}


def test_no_path_passes_through_the_clamped_input():
    """A skip from x to h4: x is 2 hops from y, but h1 stays 4 (along the chain), not 3
    through x."""
    hops = hops_to_output(chain_with_skip(4, ("x", "h4")))
    assert hops == {"y": 0, "h4": 1, "x": 2, "h3": 2, "h2": 3, "h1": 4}
