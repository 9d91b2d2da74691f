"""Brian2 against the NumPy engine: the same network, samples and update order.

Two regimes, two tolerances:

* same scheme (dt = ε·τ): one Euler step of Brian2 is one engine step, so equilibria, and the
  EP update computed from Brian2's own equilibria, agree to float64 rounding. Stated tolerance
  1e-12 (absolute, on states in [0, 1] and updates of order 0.1; docs/backends.md);
* continuous time (dt = τ/20 while the engine takes ε = 1 steps): different trajectories, the
  same fixed point s = clip(b + Σ drives) once both have settled. The weights are scaled so
  that the coupling of the free units has spectral norm 0.5: the equilibrium is unique (the
  map s ↦ clip(Ms + c) is a contraction) and the flow reaches it at rate ≥ 0.5/τ, so 60 τ
  leave e^−30 ≈ 1e-13. Tolerance 1e-6: far above that and the Euler error at the fixed point
  (zero: Euler's fixed points are the ODE's), far below any real mismatch.
"""

import copy
from pathlib import Path

import numpy as np
import pytest

from lava_eqprop.engine.estimators import EPSettings, ep_update
from lava_eqprop.engine.loss import get_loss
from lava_eqprop.engine.phases import ProbeSettings
from lava_eqprop.engine.relaxation import Dynamics, Relaxer
from lava_eqprop.network.directed import complete_adjacency, directed_network
from lava_eqprop.network.generators import layered, small_world
from lava_eqprop.network.network import Projection
from tests.nets import conv_net, directed_net

pytestmark = pytest.mark.brian2
SAME_SCHEME_TOL = 1e-12
CONTINUOUS_TOL = 1e-6
BETA = 0.4


def lateral_net(rng):
    """A layered net whose hidden layer also has symmetric lateral weights (zero diagonal)."""
    net = layered([6, 5, 3], rng=rng)
    w = rng.uniform(-.3, .3, (5, 5))
    w = np.triu(w, 1) + np.triu(w, 1).T
    net.projections.append(Projection("h1-h1", "h1", "h1", w))
    net.validate()
    return net


def make_net(name):
    seeds = {"layered": 1, "small_world": 2, "directed": 3, "lateral": 4, "conv": 5}
    rng = np.random.default_rng(seeds[name])
    if name == "conv":
        return conv_net(rng)
    net = {"layered": lambda: layered([7, 6, 4], rng=rng),
           "small_world": lambda: small_world(layered([7, 6, 5, 4], rng=rng), 0.3, rng=rng),
           "directed": lambda: directed_net(rng),
           "lateral": lambda: lateral_net(rng)}[name]()
    for pop in net.free:
        pop.bias = rng.uniform(-0.2, 0.4, pop.shape)
    return net


def coupling(net):
    """The matrix M of the drives between free units (s_free ↦ M·s_free), both directions."""
    offset, n = {}, 0
    for pop in net.free:
        offset[pop.name], n = n, n + pop.size
    m = np.zeros((n, n))
    for proj in net.projections:
        if proj.pre in offset and proj.post in offset:
            w = proj.weight * (proj.mask if proj.mask is not None else 1)
            rows = slice(offset[proj.post], offset[proj.post] + w.shape[0])
            cols = slice(offset[proj.pre], offset[proj.pre] + w.shape[1])
            m[rows, cols] += w
            if proj.symmetric and not proj.lateral:
                m[cols, rows] += w.T
    return m


def contracting(net, norm=0.5):
    """``net`` with every weight scaled so that ‖M‖₂ = ``norm`` (a unique equilibrium)."""
    scale = norm / np.linalg.norm(coupling(net), 2)
    for proj in net.projections:
        proj.weight *= scale
    return net


def data(net, n, seed=7):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (n, net.inputs[0].size))
    return x, np.eye(net.outputs[0].size)[rng.integers(net.outputs[0].size, size=n)]


def engine_reference(net, dynamics, x, targets, free_steps, nudged_steps):
    """The engine's free state, nudged state and one-sided update over all samples at once."""
    relaxer = Relaxer(copy.deepcopy(net), dynamics, get_loss("half_squared_error"))
    clamped = relaxer.clamp({net.inputs[0].name: x})
    free = relaxer.zero_state(clamped)
    relaxer.run(free, clamped, free_steps)
    nudged = free.copy()
    relaxer.run(nudged, clamped, nudged_steps, beta=BETA, target=targets)
    result = ep_update(relaxer, clamped, targets,
                       EPSettings(beta=BETA, free_steps=free_steps, nudged_steps=nudged_steps),
                       np.random.default_rng(0))
    return free, nudged, result


CASES = [
    ("layered", 1.0, "synchronous", "joint"),
    ("small_world", 0.5, "synchronous", "split"),
    ("small_world", 0.5, "odd_even", "joint"),
    ("layered", 1.0, "colouring", "joint"),
    ("directed", 0.5, "synchronous", "joint"),
    ("lateral", 0.5, "synchronous", "joint"),
    ("conv", 0.5, "odd_even", "joint"),
]


@pytest.mark.parametrize("name,eps,schedule,nudge", CASES)
def test_same_scheme_matches_engine(name, eps, schedule, nudge):
    from lava_eqprop.brian2_backend.phases import brian2_phases

    net = make_net(name)
    x, targets = data(net, 7)                     # chunks of 3: the last one is padded
    dynamics = Dynamics(eps, schedule, nudge)
    free, nudged, engine = engine_reference(net, dynamics, x, targets, 12, 5)
    brian = brian2_phases(net, dynamics, get_loss("half_squared_error"), x, targets,
                          ProbeSettings(BETA, 12, 5), batch=3)
    for pop in net.free:
        assert np.max(np.abs(brian.free[pop.name] - free[pop.name])) <= SAME_SCHEME_TOL
        assert np.max(np.abs(brian.nudged[pop.name] - nudged[pop.name])) <= SAME_SCHEME_TOL
        assert np.max(np.abs(brian.bias_updates[pop.name] - engine.bias_updates[pop.name])) \
            <= SAME_SCHEME_TOL
    for proj in net.projections:
        if not proj.plastic:                               # the conv net's identity skip
            assert proj.name not in brian.weight_updates
            continue
        dw = engine.weight_updates[proj.name]
        assert np.max(np.abs(dw)) > 1e-4                   # the comparison is not of zeros
        assert np.max(np.abs(brian.weight_updates[proj.name] - dw)) <= SAME_SCHEME_TOL


@pytest.mark.parametrize("name", ["complete_directed", "small_world"])
def test_outgoing_decay_and_leak_match_engine(name):
    """Farinha et al.'s DEEP decay (the sum of each neuron's outgoing weights, summed by Brian2
    from its own synapses; both ends of a symmetric projection) and a leak λ = 0.3."""
    from lava_eqprop.brian2_backend.phases import brian2_phases

    net = (directed_network((7, 5, 4), complete_adjacency((7, 5, 4)),
                            rng=np.random.default_rng(5), weight_std=0.3)
           if name == "complete_directed" else make_net(name))
    x, targets = data(net, 5)
    dynamics = Dynamics(0.2, leak=0.3, outgoing_decay=True)
    free, nudged, _ = engine_reference(net, dynamics, x, targets, 12, 5)
    brian = brian2_phases(net, dynamics, get_loss("half_squared_error"), x, targets,
                          ProbeSettings(BETA, 12, 5), batch=5)
    for pop in net.free:
        assert np.max(np.abs(free[pop.name])) > 0.05
        assert np.max(np.abs(brian.free[pop.name] - free[pop.name])) <= SAME_SCHEME_TOL
        assert np.max(np.abs(brian.nudged[pop.name] - nudged[pop.name])) <= SAME_SCHEME_TOL


@pytest.mark.parametrize("name", ["layered", "small_world", "lateral"])
def test_continuous_time_reaches_the_engines_fixed_point(name):
    from lava_eqprop.brian2_backend.phases import brian2_phases

    net = contracting(make_net(name))
    x, targets = data(net, 4)
    engine_free, engine_nudged, engine = engine_reference(net, Dynamics(1.0), x, targets, 80, 80)
    brian = brian2_phases(net, Dynamics(1.0), get_loss("half_squared_error"), x, targets,
                          ProbeSettings(BETA, 60, 60, tol=1e-9), batch=4, dt_fraction=0.05)
    for pop in net.free:
        assert np.max(np.abs(brian.free[pop.name] - engine_free[pop.name])) <= CONTINUOUS_TOL
        assert np.max(np.abs(brian.nudged[pop.name] - engine_nudged[pop.name])) <= CONTINUOUS_TOL
    for proj in net.projections:
        assert np.max(np.abs(brian.weight_updates[proj.name] - engine.weight_updates[proj.name])) \
            <= CONTINUOUS_TOL / BETA * 2
    # it settled, and later than one engine step: continuous time moves by dt/τ per step
    assert 5 < brian.settle_steps["free"] < 60


def test_energy_decreases_along_the_continuous_free_phase():
    """ds/dt = −∂E/∂s projected on the box: E never increases (Scellier & Bengio 2017, §2)."""
    from lava_eqprop.brian2_backend.phases import brian2_phases

    net = make_net("small_world")
    x, targets = data(net, 5)
    brian = brian2_phases(net, Dynamics(1.0), get_loss("half_squared_error"), x, targets,
                          ProbeSettings(BETA, 30, 5, check_every=1), batch=5, dt_fraction=0.1)
    steps = np.diff(brian.energies, axis=0)
    assert brian.energies.shape == (31, 5)
    assert np.all(steps <= 1e-12)
    assert np.all(brian.energies[-1] < brian.energies[0] - 1e-3)


def test_a_perturbed_weight_is_seen():
    """The comparison can fail: one weight changed in Brian2's copy moves its equilibria."""
    from lava_eqprop.brian2_backend.phases import brian2_phases

    net = make_net("layered")
    x, targets = data(net, 3)
    free, _, _ = engine_reference(net, Dynamics(1.0), x, targets, 12, 5)
    net.projections[1].weight[0, 0] += 0.05
    brian = brian2_phases(net, Dynamics(1.0), get_loss("half_squared_error"), x, targets,
                          ProbeSettings(BETA, 12, 5), batch=3)
    assert max(np.max(np.abs(brian.free[p.name] - free[p.name])) for p in net.free) > 1e-3


@pytest.mark.slow
def test_cython_target_matches_numpy_and_is_cached():
    """Brian2's cython target runs the same equations (tolerance 1e-12: its C code is compiled
    with -ffast-math, so not bit-identical) and a second run compiles nothing new. The first
    run on a fresh machine compiles ~13 extensions (~40 s here); later runs reuse the cache."""
    import brian2 as b2

    from lava_eqprop.brian2_backend.phases import brian2_phases

    net = make_net("layered")
    x, targets = data(net, 3)
    loss = get_loss("half_squared_error")
    runs = {}
    for target in ("numpy", "cython", "cython"):
        cache = Path(b2.prefs.codegen.runtime.cython.cache_dir or Path.home() / ".cython" /
                     "brian_extensions")
        before = set(cache.glob("*")) if cache.exists() else set()
        runs[target] = brian2_phases(net, Dynamics(0.5), loss, x, targets,
                                     ProbeSettings(BETA, 8, 3), batch=3, code_target=target)
        new_files = set(cache.glob("*")) - before if cache.exists() else set()
    assert not new_files, f"the second cython run compiled again: {sorted(new_files)[:3]}"
    for pop in net.free:
        difference = runs["cython"].nudged[pop.name] - runs["numpy"].nudged[pop.name]
        assert np.max(np.abs(difference)) <= 1e-12
    for proj in net.projections:
        assert np.max(np.abs(runs["cython"].weight_updates[proj.name]
                             - runs["numpy"].weight_updates[proj.name])) <= 1e-12
