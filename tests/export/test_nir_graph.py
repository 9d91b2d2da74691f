"""NIR export and import: the round trip is exact, and a plain NIR interpreter written here
from the NIR node definitions (LI: τ·dv/dt = (v_leak − v) + r·I; Linear: W·x; Scale: s ⊙ x),
with the clip of each node's metadata on its output, settles where the engine does."""

import numpy as np
import pytest

import lava_eqprop as le
from lava_eqprop.engine.loss import get_loss
from lava_eqprop.engine.relaxation import Dynamics, Relaxer
from lava_eqprop.errors import NetworkError
from lava_eqprop.export.nir_graph import export_nir, import_nir, read_nir, write_nir
from lava_eqprop.network.generators import layered
from lava_eqprop.network.network import Network, Projection
from tests.nets import conv_net, directed_net

nir = pytest.importorskip("nir")


def with_identity_skip(rng):
    """A layered net plus an identity skip h1 → h2 (a Hopfield-ResNet skip, dense)."""
    base = layered([6, 5, 5, 3], rng=rng)
    skip = Projection("skip", "h1", "h2", np.asarray(0.4), kind="identity", plastic=False)
    return Network("skip", base.populations, base.projections + [skip])


def small_world(rng):
    spec = le.load_spec("models/digits_small_world.toml")
    return spec.build_network()


NETS = {"layered": lambda rng: layered([6, 5, 4, 3], rng=rng), "small-world": small_world,
        "directed": directed_net, "identity-skip": with_identity_skip}


def same_network(a: Network, b: Network) -> None:
    assert [p.name for p in a.populations] == [p.name for p in b.populations]
    for p, q in zip(a.populations, b.populations):
        assert (p.shape, p.role, p.activation, p.learn_bias) == (q.shape, q.role, q.activation,
                                                                 q.learn_bias)
        np.testing.assert_array_equal(p.bias, q.bias)
    assert [p.name for p in a.projections] == [p.name for p in b.projections]
    for p, q in zip(a.projections, b.projections):
        assert (p.pre, p.post, p.kind, p.symmetric, p.plastic) == (q.pre, q.post, q.kind,
                                                                   q.symmetric, q.plastic)
        np.testing.assert_array_equal(p.weight if p.mask is None else np.where(p.mask, p.weight, 0),
                                      q.weight)
        assert (p.mask is None) == (q.mask is None)
        if p.mask is not None:
            np.testing.assert_array_equal(p.mask, q.mask)
    assert a.metadata == b.metadata and a.spec_text == b.spec_text


@pytest.mark.parametrize("name", NETS)
def test_the_round_trip_through_a_nir_file_is_exact(name, tmp_path):
    net = NETS[name](np.random.default_rng(0))
    write_nir(net, tmp_path / "net.nir")
    same_network(net, read_nir(tmp_path / "net.nir"))


def interpret(graph, x: np.ndarray, steps: int = 4000, dt: float = 0.25) -> dict[str, np.ndarray]:
    """Euler integration of a NIR graph of Input, LI, Linear, Scale and Output nodes; an LI
    node's output is its v clipped to [clip_low, clip_high] from its metadata."""
    li = {k: n for k, n in graph.nodes.items() if isinstance(n, nir.LI)}
    v = {k: np.zeros(np.shape(n.v_leak)).reshape(-1) for k, n in li.items()}
    inputs = [k for k, n in graph.nodes.items() if isinstance(n, nir.Input)]

    def output(name):
        if name in inputs:
            return x
        meta = graph.nodes[name].metadata
        return np.clip(v[name], meta["clip_low"], meta["clip_high"])

    into = {}
    for src, dst in graph.edges:
        into.setdefault(dst, []).append(src)
    for _ in range(steps):
        current = {k: np.zeros_like(val) for k, val in v.items()}
        for k in li:
            for weight_node in into.get(k, []):
                node = graph.nodes[weight_node]
                (src,) = into[weight_node]
                signal = output(src)
                current[k] += (node.weight @ signal if isinstance(node, nir.Linear)
                               else node.scale.reshape(-1) * signal)
        for k, n in li.items():
            v[k] += dt / n.tau.reshape(-1) * (n.v_leak.reshape(-1) - v[k]
                                              + n.r.reshape(-1) * current[k])
    return {k: output(k) for k in li}


@pytest.mark.parametrize("name", NETS)
def test_a_nir_interpreter_settles_at_the_engines_free_equilibrium(name):
    rng = np.random.default_rng(1)
    net = NETS[name](rng)
    for proj in net.projections:            # small weights: one equilibrium, reached by both
        proj.weight = np.asarray(proj.weight) * 0.5
    x = rng.uniform(0, 1, net.inputs[0].size)
    relaxer = Relaxer(net, Dynamics(epsilon=0.25), get_loss("squared_error"), np.float64)
    clamped = relaxer.clamp({net.inputs[0].name: x[None, :]})
    state = relaxer.zero_state(clamped)
    relaxer.run(state, clamped, 4000)
    settled = interpret(export_nir(net), x)
    for pop in net.free:
        np.testing.assert_allclose(settled[pop.name], state[pop.name][0], atol=1e-9)


def bare(graph):
    """The graph as another tool would write it: the same nodes, no metadata at all."""
    def strip(node):
        if isinstance(node, nir.Input):
            return nir.Input(input_type=node.input_type)
        if isinstance(node, nir.Output):
            return nir.Output(output_type=node.output_type)
        if isinstance(node, nir.LI):
            return nir.LI(tau=node.tau, r=node.r, v_leak=node.v_leak)
        if isinstance(node, nir.Scale):
            return nir.Scale(scale=node.scale)
        return nir.Linear(weight=node.weight)
    return nir.NIRGraph(nodes={k: strip(n) for k, n in graph.nodes.items()}, edges=graph.edges)


def test_a_graph_without_metadata_is_read_from_its_structure():
    net = directed_net(np.random.default_rng(2))
    back = import_nir(bare(export_nir(net)))
    kinds = {(p.pre, p.post): p.symmetric for p in back.projections}
    assert kinds == {("input", "h"): True, ("h", "out"): False, ("out", "h"): False}
    assert {p.name: p.role for p in back.populations} == {"input": "input", "h": "hidden",
                                                          "out": "output"}
    layered_net = layered([4, 3, 2], rng=np.random.default_rng(3))
    back = import_nir(bare(export_nir(layered_net)))
    assert [(p.pre, p.post, p.symmetric) for p in back.projections] == [
        ("input", "h1", True), ("h1", "output", True)]


def test_bad_graphs_and_conv_nets_are_refused_by_name():
    with pytest.raises(NetworkError, match=r"conv.*transposed"):
        export_nir(conv_net(np.random.default_rng(0)))
    graph = export_nir(layered([4, 3, 2], rng=np.random.default_rng(0)))
    graph.nodes["h1-output.T"].weight = graph.nodes["h1-output.T"].weight + 1
    with pytest.raises(NetworkError, match=r"'h1-output'.*transpose"):
        import_nir(graph)
    graph.nodes["odd"] = nir.Threshold(threshold=np.zeros(2))
    with pytest.raises(NetworkError, match=r"'odd' is a Threshold"):
        import_nir(graph)
