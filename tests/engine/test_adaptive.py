"""The adaptive Runge–Kutta integrator against independent integrations of the same ODE.

* Inside the box (the projection never acts), the phase's end state equals SciPy's solve_ivp
  (DOP853, rtol 1e-12) of ds/dt = b + sW − a∘s (+ β(y − s_out)) over cap·ε, written here from
  the global weight matrix: to 1e-6 at ode_tol = 1e-9, for the DEEP decay and a constant leak.
* The trajectory rule fed by the integrator's steps (each weighted h/ε) equals the rule over a
  200× finer Euler trajectory of the same ODE to 1% of its largest entry (the fine Euler's own
  error is O(ε/200)).
* With a tolerance and no observer, every sample stops with its residual at most tol; with a
  local error tolerance too loose to get there, the samples are reported unsettled, with the
  residual they end at.
"""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from lava_eqprop.engine import Dynamics, EPSettings, Relaxer, SolverSettings, ep_update, solve_phase

from .test_directed import HALF, global_bias, global_weight, random_net

DEEP = Dynamics(epsilon=0.05, leak=0.0, outgoing_decay=True)
LEAKY = Dynamics(epsilon=0.05, leak=1.0)


def reference_end(net, dynamics, x, start, horizon, beta=0.0, y=None):
    """solve_ivp of the unprojected ODE from ``start`` (free units), inputs fixed."""
    w, b = global_weight(net), global_bias(net)
    a = w.sum(axis=1) if dynamics.outgoing_decay else np.full(9, dynamics.leak)
    free = slice(3, 9)

    def field(_, flat):
        s = np.concatenate([x, flat.reshape(len(x), 6)], axis=1)
        ds = b + s @ w - a * s
        if beta:
            ds[:, 7:] += beta * (y - s[:, 7:])
        return ds[:, free].ravel()

    sol = solve_ivp(field, (0.0, horizon), start.ravel(), method="DOP853", rtol=1e-12,
                    atol=1e-12)
    return sol.y[:, -1].reshape(len(x), 6)


@pytest.mark.parametrize("dynamics", [DEEP, LEAKY], ids=["deep", "leaky"])
@pytest.mark.parametrize("beta", [0.0, 2.0])
def test_the_end_state_is_the_odes(dynamics, beta):
    net = random_net(5, std=0.1)
    rng = np.random.default_rng(1)
    x = rng.random((3, 3))
    y = rng.random((3, 2))
    start = np.full((3, 6), 0.5)
    relaxer = Relaxer(net, dynamics, HALF)
    clamped = relaxer.clamp({"input": x})
    state = relaxer.state_from(clamped, {"hidden": start[:, :4], "output": start[:, 4:]})
    cap = 8                                                         # t = 0.4
    solve_phase(relaxer, state, clamped, cap, SolverSettings("adaptive", 0.0, 1e-9), beta, y)
    got = np.concatenate([state["hidden"], state["output"]], axis=1)
    assert np.all((got > 0.02) & (got < 0.98))          # the projection never acted
    expected = reference_end(net, dynamics, x, start, cap * dynamics.epsilon, beta, y)
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_the_trajectory_rule_follows_the_odes_path():
    net = random_net(2, std=0.3)
    rng = np.random.default_rng(3)
    x, y = rng.random((4, 3)), rng.random((4, 2))
    relaxer = Relaxer(net, LEAKY, HALF)
    adaptive = EPSettings(beta=10.0, free_steps=100, nudged_steps=100, estimator="deep",
                          solver=SolverSettings("adaptive", 0.0, 1e-7))
    fine_relaxer = Relaxer(net, Dynamics(epsilon=0.05 / 200, leak=1.0), HALF)
    fine = EPSettings(beta=10.0, free_steps=100 * 200, nudged_steps=100 * 200, estimator="deep")
    got = ep_update(relaxer, relaxer.clamp({"input": x}), y, adaptive, rng)
    ref = ep_update(fine_relaxer, fine_relaxer.clamp({"input": x}), y, fine, rng)
    for name, dw in ref.weight_updates.items():
        # the fine rule averages over 200x the steps: the same integral, 200x the divisor
        expected = 200 * dw
        scale = np.abs(expected).max()
        assert scale > 1e-4, name        # a real update to compare
        np.testing.assert_allclose(got.weight_updates[name], expected, atol=1e-2 * scale,
                                   err_msg=name)


def test_with_a_tolerance_each_sample_stops_settled():
    net = random_net(4, std=0.2)
    x = np.random.default_rng(0).random((5, 3))
    relaxer = Relaxer(net, LEAKY, HALF)
    clamped = relaxer.clamp({"input": x})
    state = relaxer.zero_state(clamped)
    report = solve_phase(relaxer, state, clamped, 2000, SolverSettings("adaptive", 1e-7, 1e-9))
    assert report.unsettled == 0 and np.all(report.residual <= 1e-7)
    np.testing.assert_array_less(relaxer.residual(state, clamped), 1e-7 + 1e-12)
    # a local error of 1e-4 per step leaves the state that far off the fixed point: reported
    state = relaxer.zero_state(clamped)
    loose = solve_phase(relaxer, state, clamped, 2000, SolverSettings("adaptive", 1e-7, 1e-4))
    assert loose.unsettled > 0
    np.testing.assert_allclose(loose.residual, relaxer.residual(state, clamped), rtol=1e-9)

