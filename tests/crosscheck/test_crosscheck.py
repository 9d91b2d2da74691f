"""The cross-check: every pair agrees on healthy backends, and a perturbed backend is caught.

Independent references: the engine's own EP update (:func:`ep_update`), the spectral radius
of the map's Jacobian computed by NumPy (for the contraction estimate), and, for the pairs,
each backend's own implementation (NumPy, Lava float and fixed, Brian2).
"""

import copy
import json

import numpy as np
import pytest

from lava_eqprop.crosscheck import check
from lava_eqprop.crosscheck.tolerances import contraction
from lava_eqprop.engine.estimators import EPSettings, ep_update
from lava_eqprop.engine.loss import get_loss
from lava_eqprop.engine.phases import ProbeSettings, engine_phases
from lava_eqprop.engine.relaxation import Dynamics, Relaxer
from lava_eqprop.network.conv_nets import ConvLayer, Gains, Skip, conv_network
from lava_eqprop.network.directed import complete_adjacency, directed_network
from lava_eqprop.network.generators import layered
from tests.nets import conv_net

LOSS = get_loss("half_squared_error")
PROBE = ProbeSettings(beta=0.5, free_steps=30, nudged_steps=12)


def small_net():
    rng = np.random.default_rng(4)
    net = layered([8, 6, 4], rng=rng, weight_gain=0.6)
    for pop in net.free:
        pop.bias = rng.uniform(0.1, 0.4, pop.shape)
    return net


def data(n=6, seed=2):
    rng = np.random.default_rng(seed)
    x = np.round(rng.uniform(0, 1, (n, 8)) * 16) / 16         # on the 8-bit payload grid
    return x, np.eye(4)[rng.integers(4, size=n)]


def test_engine_phases_give_the_engines_ep_update():
    net, (x, y) = small_net(), data()
    phases = engine_phases(net, Dynamics(0.5), LOSS, x, y, PROBE)
    relaxer = Relaxer(net, Dynamics(0.5), LOSS)
    result = ep_update(relaxer, relaxer.clamp({"input": x}), y,
                       EPSettings(beta=0.5, free_steps=30, nudged_steps=12), np.random.default_rng(0))
    for name, dw in result.weight_updates.items():
        assert np.max(np.abs(dw)) > 1e-3
        assert np.max(np.abs(phases.weight_updates[name] - dw)) <= 1e-12
    # settling: the engine's own early stop (checked every step) ends where the probe says
    long = engine_phases(net, Dynamics(0.5), LOSS, x, y, ProbeSettings(0.5, 200, 1))
    state = relaxer.zero_state(relaxer.clamp({"input": x}))
    stopped = relaxer.run(state, relaxer.clamp({"input": x}), 200, tol=PROBE.tol, check_every=1)
    assert long.settle_steps["free"] == stopped < 200


def test_contraction_is_the_jacobians_spectral_radius():
    """In the interior of the box (no unit clipped) the step map is affine: its Jacobian is
    (1 − ε)I + εM over the free units, M the coupling matrix, and q its spectral radius."""
    net = layered([5, 4, 3], rng=np.random.default_rng(1), weight_gain=0.4)
    for pop in net.free:
        pop.bias = np.full(pop.shape, 0.5)
    x = np.full((1, 5), 0.5)
    state = engine_phases(net, Dynamics(0.5), LOSS, x, np.zeros((1, 3)), PROBE).free
    assert all(0.05 < v.min() and v.max() < 0.95 for v in state.values())
    w1, w2 = net.projections[1].weight, net.projections[1].weight.T
    m = np.block([[np.zeros((4, 4)), w2], [w1, np.zeros((3, 3))]])
    jacobian = 0.5 * np.eye(7) + 0.5 * m
    expected = np.max(np.abs(np.linalg.eigvals(jacobian)))
    assert contraction(net, Dynamics(0.5), LOSS, x, state) == pytest.approx(expected, rel=1e-3)


def setup_for(net, backends, brian2_dt=None):
    from lava_eqprop.chips.config import load_chip
    from lava_eqprop.chips.fixed_point import place_weights
    from lava_eqprop.lava_backend.settings import LavaSettings

    chip = load_chip("loihi2")
    rates = {p.name: 0.25 for p in net.projections}
    return check.CrosscheckSetup(
        net, Dynamics(0.5), LOSS, PROBE, backends=backends, brian2_dt=brian2_dt,
        brian2_batch=3,
        lava_float=LavaSettings(dynamics=Dynamics(epsilon=0.5), weight_rates=rates, watchdog_seconds=30),
        lava_fixed=LavaSettings(precision="fixed", dynamics=Dynamics(epsilon=0.5),
                                weight_rates=rates, chip=chip,
                                weight_exponents=place_weights(net, chip), watchdog_seconds=30))


def flip_largest_weight(monkeypatch, backend: str, projection: str) -> None:
    """From now on, ``backend`` runs a copy of the network whose largest |weight| entry of
    ``projection`` has its sign flipped (the other backends see the original)."""
    original = check.run_backend

    def run_backend(name, setup, x, targets):
        if name == backend:
            setup = copy.copy(setup)
            setup.network = copy.deepcopy(setup.network)
            w = setup.network.projection(projection).weight
            k = np.unravel_index(np.argmax(np.abs(w)), w.shape)
            w[k] = -w[k]
        return original(name, setup, x, targets)

    monkeypatch.setattr(check, "run_backend", run_backend)


@pytest.mark.lava
@pytest.mark.brian2
def test_every_pair_agrees_on_a_small_random_network():
    x, y = data()
    report = check.crosscheck(setup_for(small_net(), check.BACKENDS), x, y)
    assert report["ok"], report
    pairs = {(p["a"], p["b"]): p for p in report["pairs"]}
    assert len(pairs) == 6
    same_scheme = pairs[("engine", "lava-float")], pairs[("engine", "brian2")]
    assert all(p[k]["max"] <= 1e-12 for p in same_scheme for k in ("free", "nudged", "dw"))
    fixed = pairs[("engine", "lava-fixed")]
    for key in ("free", "nudged", "dw"):        # within the per-unit bound, which is not vacuous:
        assert 0 < fixed[key]["max"] and 0.02 < fixed[key]["ratio"] <= 1      # tight somewhere
    assert fixed["free"]["tol"] < 0.2 and fixed["nudged"]["tol"] < 0.2    # states in [0, 1]
    for backend in report["backends"].values():
        assert backend["energy"]["end"] < backend["energy"]["start"]
        assert backend["loss"]["nudged"] < backend["loss"]["free"]
    json.dumps(report)


@pytest.mark.brian2
def test_continuous_time_brian2_is_within_its_settling_tolerance():
    x, y = data()
    report = check.crosscheck(setup_for(small_net(), ("engine", "brian2"), brian2_dt=0.05), x, y)
    pair = report["pairs"][0]
    assert report["ok"], pair
    assert 1e-9 < pair["free"]["max"] <= pair["free"]["tol"]      # different paths, same point
    assert report["contraction"]["free"] < 1


@pytest.mark.lava
@pytest.mark.brian2
def test_conv_net_with_skips_agrees_and_a_flipped_tap_is_caught(monkeypatch):
    """A small conv net (stride 2, average pooling, a learned and an identity skip): engine,
    Lava float (conv synapse processes with shared kernels) and Brian2 (convs unrolled into
    synapses), all in the same scheme, agree to 1e-12; energy and loss behave; one kernel
    tap flipped in Brian2's copy is caught."""
    net = conv_net(np.random.default_rng(5))
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 1, (4, 36)), np.eye(3)[rng.integers(3, size=4)]
    setup = setup_for(net, ("engine", "lava-float", "brian2"))
    setup.dynamics, setup.brian2_batch = Dynamics(0.5), 2
    report = check.crosscheck(setup, x, y)
    assert report["ok"], report
    assert len(report["pairs"]) == 3
    for pair in report["pairs"]:
        assert all(pair[k]["max"] <= 1e-12 for k in ("free", "nudged", "dw")), pair
    for backend in report["backends"].values():
        assert backend["energy"]["end"] < backend["energy"]["start"]
        assert backend["loss"]["nudged"] < backend["loss"]["free"]
    flip_largest_weight(monkeypatch, "brian2", "a-b")
    setup.backends = ("engine", "brian2")
    assert not check.crosscheck(setup, x, y)["ok"]


@pytest.mark.lava
@pytest.mark.brian2
def test_complete_directed_net_agrees_on_every_pair_and_a_flipped_weight_is_caught(monkeypatch):
    """A complete directed net of Farinha et al.'s description (8-4-4, one-way plastic
    synapses, hidden and output lateral connections, input → output; leak 1, the dynamics
    Lava runs): every pair agrees (no energy: only the loss is checked), and one hidden →
    output weight flipped in Lava float's copy is caught."""
    sizes = (8, 4, 4)
    net = directed_network(sizes, complete_adjacency(sizes), rng=np.random.default_rng(6),
                           weight_std=0.35, bias_std=0.2)
    x, y = data()
    setup = setup_for(net, check.BACKENDS)
    report = check.crosscheck(setup, x, y)
    assert report["ok"], report
    assert len(report["pairs"]) == 6
    pairs = {(p["a"], p["b"]): p for p in report["pairs"]}
    for pair in (pairs[("engine", "lava-float")], pairs[("engine", "brian2")]):
        assert all(pair[k]["max"] <= 1e-12 for k in ("free", "nudged", "dw")), pair
    fixed = pairs[("engine", "lava-fixed")]
    assert 0 < fixed["free"]["max"] <= fixed["free"]["tol"] < 0.5
    for backend in report["backends"].values():
        assert "energy" not in backend
        assert backend["loss"]["nudged"] < backend["loss"]["free"]
    flip_largest_weight(monkeypatch, "lava-float", "hidden-output")
    setup.backends = ("engine", "lava-float")
    assert not check.crosscheck(setup, x, y)["ok"]


@pytest.mark.lava
def test_fixed_point_conv_net_is_within_its_width_bound():
    """Lava fixed point on a conv net (stride 2, padding, two learned skip convs; kernel
    mantissas, integer convs): states and ΔW within the bound derived from the chip's widths,
    a bound that means something (below a tenth of the states' range), and not exact."""
    net = conv_network((1, 6, 6), [ConvLayer("a", 2, 3, padding=1),
                                   ConvLayer("b", 2, 3, stride=2, padding=1),
                                   ConvLayer("c", 2, 3, padding=1)], 3,
                       rng=np.random.default_rng(5), skips=[Skip("a", "b"), Skip("a", "c")],
                       gains=Gains(0.4, 0.3, 0.6), output_activation="hard_sigmoid")
    rng = np.random.default_rng(3)
    x = np.round(rng.uniform(0, 1, (4, 36)) * 16) / 16        # on the payload grid
    y = np.eye(3)[rng.integers(3, size=4)]
    report = check.crosscheck(setup_for(net, ("engine", "lava-fixed")), x, y)
    assert report["ok"], report
    pair = report["pairs"][0]
    assert 0 < pair["free"]["max"] <= pair["free"]["tol"] < 0.1
    assert pair["dw"]["max"] <= pair["dw"]["tol"]
    assert report["backends"]["lava-fixed"]["loss"]["nudged"] < \
        report["backends"]["lava-fixed"]["loss"]["free"]


FLIPS = {"engine": "lava-float", "lava-float": "engine", "lava-fixed": "engine", "brian2": "engine"}


@pytest.mark.lava
@pytest.mark.brian2
@pytest.mark.parametrize("perturbed", list(FLIPS))
def test_flipping_one_weight_in_one_backend_is_caught(perturbed, monkeypatch):
    """The largest weight into the output changes sign in one backend's copy only."""
    flip_largest_weight(monkeypatch, perturbed, "h1-output")
    x, y = data()
    report = check.crosscheck(setup_for(small_net(), (perturbed, FLIPS[perturbed])), x, y)
    assert not report["ok"]
    assert not report["pairs"][0]["ok"]


@pytest.mark.lava
def test_crosscheck_command_on_a_trained_digits_network(tiny_spec_path, tmp_path, capsys):
    from lava_eqprop.cli.main import main

    spec = tiny_spec_path()
    assert main(["train", str(spec), "--out", str(tmp_path / "run"), "--epochs", "1", "--quiet"]) == 0
    capsys.readouterr()
    out = tmp_path / "check.json"
    code = main(["crosscheck", str(spec), "--weights", str(tmp_path / "run" / "network.h5"),
                 "--samples", "20", "--backends", "engine", "lava-float", "lava-fixed",
                 "--out", str(out), "--json"])
    text = capsys.readouterr().out
    report = json.loads(text.strip().splitlines()[-1])
    assert report == json.loads(out.read_text())
    assert code == (0 if report["ok"] else 1)
    assert report["ok"], text
    assert report["samples"] == 20 and len(report["pairs"]) == 3
    assert "engine ~ lava-fixed" in text


def test_crosscheck_command_takes_another_step_size_and_refuses_a_bad_one(tiny_spec_path, capsys):
    from lava_eqprop.cli.main import main

    spec = tiny_spec_path()
    args = ["crosscheck", str(spec), "--samples", "5", "--backends", "engine", "brian2", "--json"]
    assert main(args + ["--epsilon", "0.5"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["brian2_dt_over_tau"] == 0.5           # the run used ε = 0.5, not the spec's
    with pytest.raises(SystemExit) as exit_:
        main(args + ["--epsilon", "1.5"])
    assert exit_.value.code == 2
    assert "argument --epsilon: 1.5 is not allowed" in capsys.readouterr().err
