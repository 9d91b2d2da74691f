"""The structural counts of a pathway against the same counts taken from its full boolean
matrix, pair by pair, on random factors and random cuts."""

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lava_eqprop.chips.connectivity import (
    Connectivity,
    Layout,
    slice_traffic,
    slices_per_source,
    sources_per_slice,
    union_row_counts,
)
from lava_eqprop.engine.unrolling import synapse_pattern
from lava_eqprop.spec.model_spec import load_spec

ORDERS = ("channels", "pixels")


@st.composite
def pathways(draw, count=1):
    """``count`` random Kronecker pathways with the same factor shapes, and a random cut of
    the targets and of the sources."""
    a, b, p, q = (draw(st.integers(1, 5)) for _ in range(4))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    density = draw(st.sampled_from([0.2, 0.5, 0.9]))
    orders = (draw(st.sampled_from(ORDERS)), draw(st.sampled_from(ORDERS)))
    group = [Connectivity(rng.random((a, b)) < density, rng.random((p, q)) < density, orders)
             for _ in range(count)]
    k_target = draw(st.integers(1, a * p))
    k_source = draw(st.integers(1, b * q))
    return group, k_target, k_source


def _pairs(c: Connectivity) -> np.ndarray:
    """The (targets, sources) matrix, entry by entry: target (o, p) sits at o·P + p
    channel-major, p·A + o pixel-major (A channels, P pixels), sources alike."""
    (a, b), (p, q) = c.channels.shape, c.plane.shape
    out = np.zeros((a * p, b * q), dtype=bool)
    for o, t, i, j in itertools.product(range(a), range(p), range(b), range(q)):
        row = o * p + t if c.orders[0] == "channels" else t * a + o
        column = i * q + j if c.orders[1] == "channels" else j * b + i
        out[row, column] = c.channels[o, i] and c.plane[t, j]
    return out


def _slices(n: int, k: int) -> list[range]:
    starts = np.append(Layout((n,)).cut(k), n)
    return [range(starts[j], starts[j + 1]) for j in range(k)]


@settings(max_examples=150, deadline=None)
@given(pathways(count=2))
def test_counts_per_slice_and_per_source_equal_the_pairwise_counts(case):
    group, k_target, k_source = case
    pairs = _pairs(group[0]) | _pairs(group[1])                 # (targets, sources)
    targets, sources = pairs.shape
    blocks = [b for c in group for b in c.slice_blocks(Layout((targets,)).cut(k_target))]
    reach = np.array([pairs[list(r)].any(axis=0) for r in _slices(targets, k_target)])
    assert sources_per_slice(blocks).tolist() == reach.sum(axis=1).tolist()
    assert slices_per_source(blocks).tolist() == reach.sum(axis=0).tolist()
    traffic = np.array([[reach[j, list(r)].sum() for r in _slices(sources, k_source)]
                        for j in range(k_target)])
    assert slice_traffic(blocks, Layout((sources,)).cut(k_source)).tolist() == traffic.tolist()
    assert union_row_counts(group).tolist() == pairs.sum(axis=1).tolist()
    first = _pairs(group[0])
    assert group[0].dense().tolist() == first.tolist()
    assert group[0].row_counts().tolist() == first.sum(axis=1).tolist()
    assert group[0].column_counts().tolist() == first.sum(axis=0).tolist()
    assert _pairs(group[0].T).tolist() == first.T.tolist()
    assert group[0].materialised().dense().tolist() == first.tolist()


def test_a_max_pooled_conv_factors_into_its_window_connectivity():
    """conv_mnist's max-pooled conv: every pooled neuron meets every input pixel of its
    window's patches in every channel pair, counted independently from the geometry."""
    net = load_spec("models/conv_mnist.toml").build_network()
    proj = next(p for p in net.projections if p.kind == "conv" and p.conv_geometry.pool)
    pattern = synapse_pattern(proj, net)
    out_ch, in_ch, kh, kw = proj.weight.shape
    geo = proj.conv_geometry
    _, height, width = net.population(proj.pre).shape
    _, hp, wp = net.population(proj.post).shape
    expected = np.zeros(pattern.shape, dtype=bool)
    for o in range(out_ch):
        for i in range(hp):
            for j in range(wp):
                for di in range(geo.pool_size):
                    for dj in range(geo.pool_size):
                        for u in range(kh):
                            for v in range(kw):
                                y = geo.stride * (i * geo.pool_size + di) + u - geo.padding
                                x = geo.stride * (j * geo.pool_size + dj) + v - geo.padding
                                if 0 <= y < height and 0 <= x < width:
                                    for c in range(in_ch):
                                        expected[(o * hp + i) * wp + j,
                                                 (c * height + y) * width + x] = True
    assert (pattern == expected).all()


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 6), st.integers(1, 12), st.sampled_from(ORDERS), st.integers(1, 80))
def test_a_cut_is_aligned_to_its_units_and_stable(channels, pixels, order, k):
    """Slices start at 0, strictly increase, never mix parts of two units (channels or
    pixels) once there are at least as many slices as units, and cutting again into as many
    slices as the cut has gives the same cut."""
    layout = Layout((channels, pixels, 1), order)
    starts = layout.cut(k)
    n = channels * pixels
    assert starts[0] == 0 and (np.diff(starts) > 0).all() and starts[-1] < n
    per_unit = pixels if order == "channels" else channels
    stops = np.append(starts[1:], n)
    if len(starts) >= n // per_unit:
        assert ((starts // per_unit) == ((stops - 1) // per_unit)).all()
    assert layout.cut(len(starts)).tolist() == starts.tolist()
