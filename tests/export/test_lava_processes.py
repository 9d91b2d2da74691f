"""A projection exported into a stock Lava Dense or Sparse computes M·x in Lava's own run, with
M computed here independently: from W and the mask for a dense projection, and from the
engine's conv drive (its own code path) for a conv projection."""

import numpy as np
import pytest

import lava_eqprop as le
from lava_eqprop.errors import NetworkError
from lava_eqprop.export.lava_processes import lava_synapse, projection_matrix
from lava_eqprop.network.conv_nets import ConvLayer, conv_network
from tests.nets import conv_net

pytestmark = pytest.mark.lava


def run_in_lava(synapse, inputs: np.ndarray) -> np.ndarray:
    """Send each column of ``inputs`` (size, steps) through ``synapse``; what it sent at each
    step (Lava's synapses send the previous step's input)."""
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2SimCfg
    from lava.proc.io.sink import RingBuffer as Sink
    from lava.proc.io.source import RingBuffer as Source

    steps = inputs.shape[1]
    source = Source(data=inputs)
    sink = Sink(shape=synapse.a_out.shape, buffer=steps)
    source.s_out.connect(synapse.s_in)
    synapse.a_out.connect(sink.a_in)
    sink.run(condition=RunSteps(num_steps=steps), run_cfg=Loihi2SimCfg(select_tag="floating_pt"))
    try:
        return sink.data.get()
    finally:
        sink.stop()


def test_a_masked_projection_and_its_feedback_compute_w_x():
    net = le.load_spec("models/digits_small_world.toml").build_network()
    proj = next(p for p in net.projections if p.mask is not None and p.pre != "input")
    w = np.where(proj.mask, proj.weight, 0.0)
    rng = np.random.default_rng(0)
    for feedback, m in ((False, w), (True, w.T)):
        x = rng.uniform(0, 1, (m.shape[1], 4))
        sent = run_in_lava(lava_synapse(net, proj.name, feedback=feedback), x)
        np.testing.assert_allclose(sent[:, 1:], m @ x[:, :-1], rtol=1e-12, atol=1e-12)


def test_a_conv_projection_unrolled_computes_the_engines_conv():
    from lava_eqprop.engine.conv_ops import conv2d

    net = conv_network((1, 5, 5), [ConvLayer("a", 2, 3, padding=1)], 3,
                       rng=np.random.default_rng(1))
    conv = next(p for p in net.projections if p.kind == "conv")
    x = np.random.default_rng(2).uniform(0, 1, (25, 3))
    geo = conv.conv_geometry
    expected = conv2d(x.T.reshape(3, 1, 5, 5), conv.weight, geo.stride, geo.padding)
    expected = expected.reshape(3, -1).T
    np.testing.assert_allclose(projection_matrix(net, conv.name) @ x, expected, atol=1e-12)
    sent = run_in_lava(lava_synapse(net, conv.name), x)
    np.testing.assert_allclose(sent[:, 1:], expected[:, :-1], atol=1e-12)


def test_max_pooling_and_directed_feedback_are_refused():
    net = conv_net(np.random.default_rng(0))
    with pytest.raises(NetworkError, match=r"directed: it sends no feedback"):
        from tests.nets import directed_net
        projection_matrix(directed_net(np.random.default_rng(0)), "h-out", feedback=True)
    pooled = conv_network((1, 4, 4), [ConvLayer("a", 2, 3, padding=1, pool="max")], 2,
                          rng=np.random.default_rng(0))
    name = next(p.name for p in pooled.projections if p.kind == "conv")
    with pytest.raises(NetworkError, match=r"max-pooled conv"):
        projection_matrix(pooled, name)
    assert projection_matrix(net, "input-a").shape == (2 * 36, 36)
