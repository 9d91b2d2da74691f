"""Topology generators: layered nets and Gammell et al.'s small-world rewiring (property tests)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lava_eqprop.errors import NetworkError
from lava_eqprop.network import layered, small_world
from lava_eqprop.network.generators import _global_adjacency, global_offsets
from lava_eqprop.network.init import glorot_bound


def test_layered_shapes_and_glorot_bounds():
    net = layered([5, 4, 3], rng=np.random.default_rng(0))
    assert [p.role for p in net.populations] == ["input", "hidden", "output"]
    assert [(p.pre, p.post) for p in net.projections] == [("input", "h1"), ("h1", "output")]
    w = net.projection("input-h1").weight
    assert w.shape == (4, 5)
    assert np.abs(w).max() <= glorot_bound(5, 4)
    assert np.all(net.population("h1").bias == 0)


layer_sizes = st.lists(st.integers(1, 7), min_size=3, max_size=5)


def layer_of(sizes):
    return np.repeat(np.arange(len(sizes)), sizes)


@settings(max_examples=60, deadline=None)
@given(sizes=layer_sizes, p=st.floats(0.0, 0.6), seed=st.integers(0, 2**16),
       pool=st.sampled_from(["skip", "any"]))
def test_rewiring_properties(sizes, p, seed, pool):
    base = layered(sizes, rng=np.random.default_rng(seed))
    try:
        net = small_world(base, p, rng=np.random.default_rng(seed + 1), pool=pool)
    except NetworkError as exc:  # too few free pairs for the connections to place
        assert "lower p" in str(exc)
        return
    adj, _ = _global_adjacency(net)
    base_adj, _ = _global_adjacency(base)
    layer = layer_of(sizes)
    # the number of connections is kept
    assert adj.sum() == base_adj.sum()
    assert net.num_connections == base.num_connections
    # the global adjacency (hence every lateral mask) is symmetric with no self-connections
    assert np.array_equal(adj, adj.T) and not adj.diagonal().any()
    for proj in net.projections:
        if proj.lateral and proj.mask is not None:
            assert np.array_equal(proj.mask, proj.mask.T)
    # never inside the input layer, never inside the output layer
    last = len(sizes) - 1
    inside = layer[:, None] == layer[None, :]
    assert not adj[inside & (layer[:, None] == 0)].any()
    assert not adj[inside & (layer[:, None] == last)].any()
    new = adj & ~base_adj
    gap = np.abs(layer[:, None] - layer[None, :])
    if pool == "skip":  # new connections between layers at least two apart (removed ones aside)
        assert np.all(gap[new] >= 2)
        assert not adj[(gap == 0)].any()
    # weights vanish outside the connections
    for proj in net.projections:
        if proj.mask is not None:
            assert np.all(proj.weight[~proj.mask] == 0)


@settings(max_examples=20, deadline=None)
@given(sizes=layer_sizes, seed=st.integers(0, 2**16))
def test_same_seed_same_graph_and_zero_p_keeps_layered(sizes, seed):
    base = layered(sizes, rng=np.random.default_rng(seed))

    def rewired():
        """The rewired net, or the refusal when a tiny net has too few free pairs for p."""
        try:
            return small_world(base, 0.3, rng=np.random.default_rng(seed), pool="any")
        except NetworkError as exc:
            return str(exc)

    a, b = rewired(), rewired()
    if isinstance(a, str):
        assert a == b and "lower p" in a
    else:
        assert [p.name for p in a.projections] == [p.name for p in b.projections]
        for pa, pb in zip(a.projections, b.projections):
            assert np.array_equal(pa.weight, pb.weight)
    same = small_world(base, 0.0, rng=np.random.default_rng(seed))
    assert [p.name for p in same.projections] == [p.name for p in base.projections]
    for pa, pb in zip(same.projections, base.projections):
        assert np.array_equal(pa.weight, pb.weight)


def test_gammell_sized_rewiring_rate_and_weights():
    """784-100-100-100-10 at p = 0.1: about 10% rewired, survivors keep their weights."""
    sizes = [784, 100, 100, 100, 10]
    base = layered(sizes, rng=np.random.default_rng(0))
    net = small_world(base, 0.1, rng=np.random.default_rng(1))
    total = base.num_connections
    assert abs(net.metadata["rewired"] / total - 0.1) < 0.01
    kept = net.projection("h1-h2")
    survivors = kept.mask
    same = kept.weight[survivors] == base.projection("h1-h2").weight[survivors]
    assert same.mean() > 0.99  # only removed pairs drawn again later get a new weight
    skip = net.projection("input-h2")
    bound = net.metadata["new_weight_bound"]
    assert np.abs(skip.weight[skip.mask]).max() <= bound
    assert "h1-h1" not in [p.name for p in net.projections]  # pool "skip": no intra-layer
    off = global_offsets(sizes)
    assert off[-1] == sum(sizes)


def test_rewiring_refuses_impossible_requests():
    base = layered([2, 2], rng=np.random.default_rng(0))
    with pytest.raises(NetworkError, match="lower p"):
        small_world(base, 1.0, rng=np.random.default_rng(0), pool="skip")
    with pytest.raises(NetworkError, match="p must be in"):
        small_world(base, 1.5, rng=np.random.default_rng(0))
