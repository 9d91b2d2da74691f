"""Dendrites split off neurons whose fan-in exceeds a core's input axons: every synapse kept
exactly once, every relay and soma within the limit, the relays wired to their soma."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lava_eqprop.chips.dendrites import split_dendrites
from lava_eqprop.chips.pathways import chip_graph
from lava_eqprop.network.generators import layered
from tests.chips.test_mapping import conv_nets


def _sources_per_neuron(graph, group):
    """Distinct (source group, neuron) pairs reaching each neuron of ``group``."""
    reach = [set() for _ in range(graph.group(group).size)]
    for w in graph.paths:
        if w.target == group:
            for i, row in enumerate(w.synapses.dense()):
                reach[i] |= {(w.source, j) for j in np.flatnonzero(row)}
    return np.array([len(r) for r in reach])


def _check(network, limit):
    before = chip_graph(network)
    after = split_dendrites(before, limit)
    for w in before.paths:              # the synapses of every direction, each once
        shares = [v for v in after.paths if v.projection == w.projection
                  and v.source == w.source and after.group(v.target).name in
                  (w.target, *[d.name for d in after.dendrites(w.target)])]
        total = sum(v.synapses.dense().astype(int) for v in shares)
        assert (total == w.synapses.dense()).all(), w.projection
        assert sum(v.plastic for v in shares) == len(shares) * w.plastic
    for group in after.groups:
        needs = _sources_per_neuron(after, group.name)
        if group.dendrite_of is None and not after.dendrites(group.name):
            continue                         # untouched: may still be over (the map says so)
        if group.dendrite_of is None and len(after.dendrites(group.name)) > limit:
            continue                         # more dendrites than axons: one level is not enough
        assert needs.max() <= limit, group.name
    for soma in {g.dendrite_of for g in after.groups if g.dendrite_of}:
        for dendrite in after.dendrites(soma):
            relays = [w for w in after.paths if {w.source, w.target} == {soma, dendrite.name}]
            assert len(relays) == 2 and all((w.synapses.dense() == np.eye(
                after.group(soma).size, dtype=bool)).all() for w in relays)
    return after


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=3, max_size=4), st.integers(2, 30),
       st.integers(0, 2**16))
def test_layered_nets_split_into_dendrites_within_the_limit(sizes, limit, seed):
    _check(layered(sizes, rng=np.random.default_rng(seed)), limit)


@settings(max_examples=30, deadline=None)
@given(conv_nets(), st.integers(4, 40))
def test_conv_nets_split_their_channels_into_dendrites(net, limit):
    _check(net, limit)


def test_a_soma_over_the_limit_gets_the_fewest_dendrites_that_fit():
    """h1 draws 50 inputs and 3 outputs (53 sources); with 30 allowed the input is cut into
    two groups of 25, packed as 25 + 3 and 25: two dendrites."""
    after = _check(layered([50, 8, 3], rng=np.random.default_rng(0)), 30)
    assert [g.name for g in after.dendrites("h1")] == ["h1/dendrite1", "h1/dendrite2"]
    assert _sources_per_neuron(after, "h1").max() == 2
