"""A tiny Hopfield-ResNet in the engine: its equilibrium against the same net unrolled into dense
projections (matrices built by loops in the tests), centered EP against finite differences of
the loss, and the energy along the free phase under the colouring and odd/even schedules."""

import numpy as np
import pytest

from lava_eqprop.engine import Dynamics, EPSettings, Relaxer, SolverSettings, ep_update, get_loss
from lava_eqprop.network.conv_nets import ConvLayer, Gains, conv_network, hopfield_resnet_layers
from lava_eqprop.network.network import Network, Population, Projection

from .test_conv import unrolled_conv

LOSS = get_loss("half_squared_error")


def tiny_resnet(skip="conv", seed=0, gains=Gains(1.2, 1.0, 1.5)):
    layers, skips = hopfield_resnet_layers([2, 3], skip)
    return conv_network((1, 6, 6), layers, 3, rng=np.random.default_rng(seed), skips=skips,
                        gains=gains, name="tiny")


def data(seed=1, n=3):
    rng = np.random.default_rng(seed)
    return rng.random((n, 36)), np.eye(3)[rng.integers(0, 3, n)]


def relax(net, x, steps=3000, schedule="colouring", observer=None, tol=1e-14):
    relaxer = Relaxer(net, Dynamics(1.0, schedule), LOSS)
    clamped = relaxer.clamp({"input": x})
    state = relaxer.zero_state(clamped)
    relaxer.run(state, clamped, steps, tol=tol, observer=observer)
    return relaxer, state


def unrolled_twin(net):
    """The same net with every conv replaced by its loop-built dense matrix and every channel
    bias repeated over its image."""
    pops = [Population(p.name, (p.size,), p.activation, p.role,
                       np.repeat(p.bias, p.size // p.bias.size), p.learn_bias)
            for p in net.populations]
    projs = []
    for proj in net.projections:
        weight = proj.weight
        if proj.kind == "conv":
            geo = proj.geometry
            weight, _ = unrolled_conv(weight, net.population(proj.pre).shape, geo.stride,
                                      geo.padding)
        projs.append(Projection(proj.name, proj.pre, proj.post, weight))
    return Network("twin", pops, projs)


def test_equilibrium_equals_the_unrolled_dense_net():
    net = tiny_resnet()
    x, _ = data()
    _, state = relax(net, x)
    _, twin = relax(unrolled_twin(net), x)
    for pop in net.free:
        assert np.abs(state[pop.name]).max() > 0.05        # the net is not dead
        np.testing.assert_allclose(state[pop.name], twin[pop.name], atol=1e-10)


def test_centered_ep_matches_finite_differences_of_the_loss():
    """Symmetric ±β (centered) EP at β = 1e-4 against central differences of the mean loss at
    the free equilibrium, on kernel entries of a chain conv, a skip conv and the head, and on
    channel biases; tolerance 1e-6 + 1e-3·|fd| (the estimator's bias is O(β²))."""
    net = tiny_resnet()
    x, y = data()
    relaxer = Relaxer(net, Dynamics(1.0, "colouring"), LOSS)
    settings = EPSettings(beta=1e-4, free_steps=3000, nudged_steps=3000, estimator="symmetric",
                          solver=SolverSettings(tol=1e-15))
    result = ep_update(relaxer, relaxer.clamp({"input": x}), y, settings,
                       np.random.default_rng(0))

    def mean_loss():
        r, state = relax(net, x, tol=1e-15)
        return float(np.mean(LOSS.cost(state["output"], y)))

    def central_difference(array, index, h=1e-6):
        original = array[index]
        values = []
        for delta in (h, -h):
            array[index] = original + delta
            values.append(mean_loss())
        array[index] = original
        return -(values[0] - values[1]) / (2 * h)

    rng = np.random.default_rng(3)
    checked = []
    for name in ("b1a-b1b", "b1b~b2b", "b2b-output", "input-b1a"):
        weight = net.projection(name).weight
        for _ in range(2):
            index = tuple(int(rng.integers(d)) for d in weight.shape)
            fd = central_difference(weight, index)
            assert abs(result.weight_updates[name][index] - fd) < 1e-6 + 1e-3 * abs(fd), name
            checked.append(fd)
    for name in ("b1b", "b2a"):
        bias = net.population(name).bias
        fd = central_difference(bias, (1,))
        assert abs(result.bias_updates[name][1] - fd) < 1e-6 + 1e-3 * abs(fd), name
        checked.append(fd)
    assert np.max(np.abs(checked)) > 1e-3          # the gradient is not trivially zero


@pytest.mark.parametrize("skip", ["conv", "none"])
def test_colouring_never_increases_the_energy(skip):
    """Each colour group's step is an exact block minimiser (ε = 1, no pooling): E(t+1) ≤ E(t)."""
    net = tiny_resnet(skip)
    x, _ = data()
    relaxer = Relaxer(net, Dynamics(1.0, "colouring"), LOSS)
    energies = []
    relax(net, x, steps=60, observer=lambda s: energies.append(relaxer.energy(s)), tol=None)
    rises = np.diff(np.array(energies), axis=0)
    assert rises.max() <= 1e-9 * np.abs(energies).max()
    assert np.all(energies[-1] < energies[0])           # and it does descend


def test_odd_even_with_skips_puts_connected_layers_together_and_can_raise_the_energy():
    """With skips, block input and block output share a parity: the odd/even step moves two
    connected layers at once (a Jacobi step), which is not a block minimiser. With an
    inhibitory skip (every kernel entry −2) it overshoots and the energy rises along the free
    phase; the colouring schedule on the same net never lets it rise."""
    net = tiny_resnet("conv")
    net.projection("b1b~b2b").weight[...] = -2.0
    x, _ = data()
    groups = Relaxer(net, Dynamics(1.0, "odd_even"), LOSS).groups
    assert any({"b1b", "b2b"} <= {p.name for p in group} for group in groups)
    rises = {}
    for schedule in ("odd_even", "colouring"):
        r = Relaxer(net, Dynamics(1.0, schedule), LOSS)
        trace = []
        relax(net, x, steps=40, schedule=schedule, tol=None,
              observer=lambda s, r=r, trace=trace: trace.append(r.energy(s)))
        rises[schedule] = np.diff(np.array(trace), axis=0).max()
    assert rises["odd_even"] > 0.1
    assert rises["colouring"] <= 1e-9


def test_lava_refuses_average_pooling_in_fixed_point_by_name():
    """Before building anything: average pooling in fixed point (1/size² is not an integer
    operation); float runs it, and a learnt per-channel bias is accepted."""
    from lava_eqprop.chips.config import load_chip
    from lava_eqprop.errors import NetworkError
    from lava_eqprop.lava_backend.graph import check_supported
    from lava_eqprop.lava_backend.settings import LavaSettings

    layers = [ConvLayer("a", 2, 3, padding=1, pool="avg")]
    net = conv_network((1, 6, 6), layers, 3, rng=np.random.default_rng(0),
                       output_activation="hard_sigmoid")
    check_supported(net, LavaSettings())                    # float: fine
    fixed = LavaSettings(precision="fixed", chip=load_chip("loihi2"))
    with pytest.raises(NetworkError, match="projection 'input-a': .*conv with average pooling "
                                           "is not supported by the lava-fixed backend"):
        check_supported(net, fixed)
    check_supported(net, LavaSettings(bias_rates={"a": 0.1}))
