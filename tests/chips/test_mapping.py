"""The partition onto cores: never over a limit (property test against a loop-by-loop recount
of every core's use), and clear errors when a network cannot fit."""

import copy
import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from lava_eqprop.chips.connectivity import Connectivity, Layout
from lava_eqprop.chips.mapping import map_network
from lava_eqprop.chips.pathways import channels_per_slice
from lava_eqprop.engine.interactions import interaction_for
from lava_eqprop.errors import MappingError, NetworkError
from lava_eqprop.network.conv_nets import ConvLayer, Skip, conv_network
from lava_eqprop.network.generators import layered, small_world
from lava_eqprop.network.network import Network, Projection
from tests.nets import conv_net


def _with_extras(net: Network, rng, directed: bool, lateral: bool) -> Network:
    """Add a directed output → h1 projection and a masked lateral one inside h1."""
    h1, out = net.population("h1"), net.outputs[0]
    projs = list(net.projections)
    if directed:
        projs.append(Projection("out-h1", out.name, "h1", rng.uniform(-1, 1, (h1.size, out.size)),
                                symmetric=False))
    if lateral and h1.size > 1:
        w = rng.uniform(-1, 1, (h1.size, h1.size))
        mask = rng.random((h1.size, h1.size)) < 0.5
        mask = (mask | mask.T) & ~np.eye(h1.size, dtype=bool)
        w = (w + w.T) / 2 * mask
        projs.append(Projection("h1-h1", "h1", "h1", w, mask=mask))
    return Network(net.name, net.populations, projs)


def _linear(proj: Projection) -> Projection:
    """A max-pooled conv as the average-pooled one: the same window connectivity, which the
    engine can unroll."""
    if proj.kind != "conv" or proj.conv_geometry.pool != "max":
        return proj
    linear = copy.copy(proj)
    linear.geometry = dataclasses.replace(proj.conv_geometry, pool="avg")
    return linear


def _recount(mapping, weight_bits: int, shared: bool = False):
    """Every core's synapses, memory bits and axons, counted neuron by neuron from the full
    matrix of every pathway of the chip graph (dendrites included); ``shared``: a conv
    direction's memory is, instead, the kernel of every channel among the core's neurons."""
    graph = mapping.graph
    core_of = {group.name: mapping.core_of(group.name) for group in graph.groups}
    matrices = [(w, w.synapses.dense()) for w in graph.paths]
    counts = []
    for core in mapping.cores:
        group = graph.group(core.population)
        synapses = bits = 0
        axons_in: set = set()
        neurons = mapping.neurons_of(core)
        targets: dict[int, set] = {int(i): set() for i in neurons}
        for w, conn in matrices:
            if w.target == group.name:
                if shared and w.kernel:
                    held = len(set(neurons // (group.size // group.shape[0])))
                    bits += held * w.kernel * weight_bits
                for i in neurons:
                    row = conn[i]
                    synapses += int(row.sum())
                    axons_in |= {(w.source, j) for j in np.flatnonzero(row)}
                    if shared and w.kernel:
                        continue
                    if w.sparse:
                        bits += int(row.sum()) * (weight_bits
                                                  + max(1, math.ceil(math.log2(len(row)))))
                    elif row.any():
                        bits += len(row) * weight_bits
            if w.source == group.name:
                for i in neurons:
                    targets[int(i)] |= {int(core_of[w.target][j])
                                        for j in np.flatnonzero(conn[:, i])}
        counts.append((synapses, bits, len(axons_in), sum(len(t) for t in targets.values())))
    return counts


def _check_every_core(mapping, chip, shared: bool = False) -> None:
    """Every core's counts equal the recount, and no core is over a limit."""
    recount = _recount(mapping, chip.arithmetic.weight_bits, shared)
    for core, (synapses, bits, axons_in, axons_out) in zip(mapping.cores, recount):
        assert (core.synapses, core.synaptic_memory_bits, core.input_axons,
                core.output_axons) == (synapses, bits, axons_in, axons_out)
        assert core.neurons <= chip.cores.neurons_per_core
        assert core.synaptic_memory_bits <= chip.cores.synaptic_memory_bits
        assert core.input_axons <= chip.cores.input_axons_per_core
        assert core.output_axons <= chip.cores.output_axons_per_core


nets = st.tuples(st.lists(st.integers(1, 30), min_size=3, max_size=5), st.sampled_from([0, .2]),
                 st.booleans(), st.booleans(), st.integers(0, 2**16))
limits = st.fixed_dictionaries({
    "neurons": st.integers(1, 40), "memory_kib": st.sampled_from([0.05, 0.2, 1.0, 4.0]),
    "input_axons": st.integers(4, 80), "output_axons": st.integers(4, 120),
    "cores_per_chip": st.integers(1, 8)})


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(nets, limits)
def test_no_core_ever_exceeds_a_limit_and_the_counts_are_right(toy_chip, net_args, chip_limits):
    sizes, p, directed, lateral, seed = net_args
    rng = np.random.default_rng(seed)
    net = layered(sizes, rng=rng)
    if p:
        try:
            net = small_world(net, p, rng=rng)
        except Exception:       # too few pairs to rewire into: keep the layered net
            pass
    net = _with_extras(net, rng, directed, lateral)
    chip = toy_chip(cores_per_tile=1, **chip_limits)
    try:
        mapping = map_network(net, chip)
    except MappingError as exc:
        assert "over" in str(exc) and "does not fit" in str(exc)
        return
    for pop in net.populations:           # every neuron on exactly one core of its population
        cores = [c for c in mapping.cores if c.population == pop.name]
        assert [c.start for c in cores][0] == 0 and cores[-1].stop == pop.size
        assert all(a.stop == b.start for a, b in zip(cores, cores[1:]))
    _check_every_core(mapping, chip)
    assert mapping.chips_used == math.ceil(len(mapping.cores) / chip.cores.cores_per_chip)


def test_a_fan_in_over_a_core_is_split_into_dendrites(toy_chip):
    """h1 draws 53 sources against 40 input axons: two dendrites (25 inputs + 3 outputs, and
    25 inputs, each + the soma's state) carry it, every core within its 40."""
    mapping = map_network(layered([50, 8, 3], rng=np.random.default_rng(0)),
                          toy_chip(input_axons=40))
    assert [(c.population, c.input_axons) for c in mapping.cores] == [
        ("input", 0), ("h1/dendrite1", 36), ("h1/dendrite2", 33), ("h1", 16), ("output", 8)]


def test_a_fan_in_no_split_can_fix_names_projection_resource_and_excess(toy_chip):
    """With 2 input axons each dendrite holds one source: h1's three sources need three
    dendrites, one more than its soma can receive."""
    net = layered([1, 1, 2], rng=np.random.default_rng(0))
    with pytest.raises(MappingError, match=r"neuron 0 of 'h1' needs 3 input axons \(largest "
                                           r"share: projection 'h1/dendrite1', 1 synapses\) but "
                                           r"a core has 2: 1 over, and no split of 'h1' can fix"):
        map_network(net, toy_chip(input_axons=2))


def test_a_neuron_whose_synapses_overflow_a_core_names_the_memory(toy_chip):
    net = layered([200, 4, 2], rng=np.random.default_rng(0))
    # dense rows: (200 + 2) weights of 8 bits into each h1 neuron = 1616 bits > 0.1 KiB = 819
    with pytest.raises(MappingError, match=r"needs 1616 bits of synaptic memory .* but a core "
                                           r"has 819: 797 over"):
        map_network(net, toy_chip(memory_kib=0.1))


def test_too_many_chips_is_an_error_naming_the_shortfall(toy_chip):
    net = layered([20, 30, 5], rng=np.random.default_rng(0))
    chip = toy_chip(neurons=4, cores_per_chip=4)
    mapping = map_network(net, chip)            # 5 + 8 + 2 cores = 15 cores = 4 chips
    assert (len(mapping.cores), mapping.chips_used) == (15, 4)
    with pytest.raises(MappingError, match="needs 15 cores = 4 toy chips .* only 2 are "
                                           "available: 2 chips over"):
        map_network(net, chip, max_chips=2)


def test_output_axons_push_a_finer_cut_of_the_sender(toy_chip):
    """h1 (40 neurons, 4 per core) takes 10 cores and each input neuron reaches all of them:
    10 output axons per input neuron. By neurons alone the 6 inputs would take 2 cores of 3
    (30 axons each); with 25 allowed they need 3 cores of 2."""
    net = layered([6, 40, 2], rng=np.random.default_rng(0))
    assert map_network(net, toy_chip(neurons=4, output_axons=30)).splits["input"] == 2
    mapping = map_network(net, toy_chip(neurons=4, output_axons=25))
    assert mapping.splits["h1"] == 10 and mapping.splits["input"] == 3
    assert max(c.output_axons for c in mapping.cores) == 20


def test_a_conv_net_maps_unrolled_and_weight_sharing_is_counted(toy_chip):
    """Convs (stride 2, average pooling), a 1x1 skip conv and an identity skip: every core's
    load equals the recount; the conv synapses stored equal the analytic count per direction;
    the shared-kernel memory is the hand count."""
    net = conv_net(np.random.default_rng(5))
    chip = toy_chip(neurons=20, memory_kib=4.0, input_axons=200, output_axons=400,
                    cores_per_chip=8)
    mapping = map_network(net, chip)
    assert len(mapping.cores) > len(net.populations)            # populations really cut
    _check_every_core(mapping, chip)
    sharing = mapping.weight_sharing
    assert set(sharing) == {p.name for p in net.projections if p.kind == "conv"}
    proj = net.projection("b-c")                     # 3x3 pad 1, (2,3,3) -> (2,3,3), no pool
    row = sharing["b-c"]
    assert row["synapses"] == net.connections(proj) and row["directions"] == 2
    split_b, split_c = mapping.splits["b"], mapping.splits["c"]
    expected = (channels_per_slice(mapping.layouts["c"], mapping.layouts["c"].cut(split_c)).sum() * 2 * 9
                + channels_per_slice(mapping.layouts["b"], mapping.layouts["b"].cut(split_b)).sum()
                * 2 * 9) * 8
    assert row["shared_bits"] == expected


@pytest.mark.parametrize("order, k, expected", [("channels", 1, 2), ("channels", 2, 2),
                                                ("channels", 3, 4), ("channels", 72, 72),
                                                ("pixels", 1, 2), ("pixels", 36, 72),
                                                ("pixels", 48, 72), ("pixels", 72, 72)])
def test_channels_per_slice_counts_the_channels_each_core_holds(order, k, expected):
    layout = Layout((2, 6, 6), order)
    starts = layout.cut(k)
    assert channels_per_slice(layout, starts).sum() == expected
    stops = np.append(starts[1:], 72)
    held = [len(set(layout.positions[a:b] // 36)) for a, b in zip(starts, stops)]
    assert channels_per_slice(layout, starts).tolist() == held


@st.composite
def conv_nets(draw):
    """A small conv net: two or three conv layers of random kernel, stride, padding and
    pooling (none, average, max), with a 1x1 conv or an identity skip where shapes allow."""
    size = draw(st.integers(4, 7))
    shape = (draw(st.integers(1, 2)), size, size)
    layers, sizes = [], [size]
    for index in range(draw(st.integers(2, 3))):
        kernel = draw(st.integers(1, 3))
        stride, padding = draw(st.integers(1, 2)), draw(st.integers(0, 1))
        out = (sizes[-1] + 2 * padding - kernel) // stride + 1
        pool = draw(st.sampled_from([None, "avg", "max"])) if out >= 2 else None
        out = out // 2 if pool else out
        if out < 1:
            break
        layers.append(ConvLayer(f"l{index}", draw(st.integers(1, 3)), kernel, stride=stride,
                                padding=padding, pool=pool))
        sizes.append(out)
    assume(len(layers) >= 2)
    skips = []
    strided = any((size - 1) // s + 1 == sizes[2] for s in range(1, size + 1))
    same = layers[0].channels == layers[1].channels and sizes[1] == sizes[2]
    if same and draw(st.booleans()):
        skips.append(Skip("l0", "l1", "identity"))
    elif strided and draw(st.booleans()):
        skips.append(Skip("input", "l1", "conv"))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    try:
        return conv_network(shape, layers, 2, rng=rng, skips=skips, name="random-conv")
    except NetworkError:            # a skip no 1x1 conv stride fits
        assume(False)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(conv_nets(), limits, st.booleans(), st.sampled_from(["best", "channels", "pixels"]))
def test_conv_pooled_residual_nets_count_as_their_unrolled_matrices(toy_chip, net, chip_limits,
                                                                   shared, layout):
    """Every core's load on random conv, pooled and residual nets, in either layout, equals
    the recount from the full matrices, neuron by neuron (which equal the engine's unrolled
    ones: the test below); with shared kernels the memory is the kernel slices of the
    channels each core holds."""
    chip = toy_chip(cores_per_tile=1, **chip_limits)
    try:
        mapping = map_network(net, chip, shared_weights=shared, layout=layout)
    except MappingError as exc:
        assert "over" in str(exc) and "does not fit" in str(exc)
        event("does not fit")
        return
    event("some image cut pixel-major" if any(layout.order == "pixels" for layout in
                                              mapping.layouts.values()) else "all channel-major")
    _check_every_core(mapping, chip, shared)


@settings(max_examples=40, deadline=None)
@given(conv_nets())
def test_a_pathways_structure_is_the_engines_unrolled_matrix(net):
    """The Kronecker factors of every projection multiply out to the pairs the engine's
    unrolled matrix connects (a max-pooled conv: its window connectivity)."""
    for proj in net.projections:
        if proj.kind == "dense":
            continue
        expected = interaction_for(_linear(proj), net).dense_matrix() != 0
        assert (Connectivity.of(proj, net).dense() == expected).all(), proj.name
