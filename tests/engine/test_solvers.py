"""The equilibrium solvers against independent computations.

* The block fixed point of one population equals the limit of its own step iterated with the
  drive held (2,000 iterations, to 1e-12), for the free step, both nudges and leaks ≠ 1.
* The residual equals ‖clip(s + ε(b + Ws − s)) − s‖∞/ε computed from the global matrix of the
  whole net (tests/engine/reference.py), to 1e-12.
* On nets with one equilibrium (small contractive weights), every solver reaches the long Euler
  run's equilibrium of both phases: |Δs| ≤ 1e-8 at tol = 1e-10 (the block map contracts at
  rate < 0.6 here, so R ≤ 1e-10 bounds the distance by ~3e-10).
* Per-sample stopping: a sample solved within a batch takes the same steps and reaches the same
  state (to 1e-12) as solved alone, and every sample stops with R ≤ tol (accelerated: within 2
  steps and 1e-8, as its restart test compares a dot product with 0 that, near the fixed point,
  is rounding whose digits depend on the batch's shape).
* For odd/even steps at ε = 1 a step's change bounds the residual of the state before it (the
  first group's change equals it, to rounding), and the Euler solver stops a sample at the first
  step whose change is within tol, with no residual evaluation; at ε = ½ the change is no bound.
* EP's gradient from the block solvers' equilibria matches the implicit-differentiation
  gradient to 1e-6 of its scale (the tolerance reached is 1e-13).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lava_eqprop.engine import (
    Dynamics,
    EPSettings,
    Relaxer,
    SolverSettings,
    ep_update,
    get_loss,
    solve_phase,
)
from lava_eqprop.engine.step import Nudge, block_fixed_point, population_step
from lava_eqprop.errors import NetworkError

from .conftest import small_net
from .reference import global_system, implicit_gradient

LOSS = get_loss("half_squared_error")


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), eps=st.sampled_from([1.0, 0.5, 0.2]),
       leak=st.sampled_from([1.0, 0.5, 2.0]), beta=st.sampled_from([0.0, 0.3, 1.0]),
       split=st.booleans(), scale=st.sampled_from([1.0, 2.0]))
def test_block_fixed_point_is_the_limit_of_the_step(seed, eps, leak, beta, split, scale):
    rng = np.random.default_rng(seed)
    drive = rng.normal(0.5, 1.0, (3, 7))
    target = np.eye(7)[rng.integers(0, 7, 3)]
    loss = get_loss("half_squared_error" if scale == 1.0 else "squared_error")
    nudge = Nudge(loss, target, beta, split) if beta else None
    factor = ((1 - eps * leak) * (1 - eps * beta * scale) if split
              else 1 - eps * (leak + beta * scale))
    if abs(factor) >= 0.95:                 # the step itself would not (quickly) converge
        return
    clip = lambda a: np.clip(a, 0.0, 1.0, out=a)   # noqa: E731
    s = rng.random((3, 7))
    for _ in range(2000):
        s = population_step(drive.copy(), s, eps, 1 - eps * leak, nudge, clip)
    exact = block_fixed_point(drive.copy(), eps, leak, nudge, clip)
    np.testing.assert_allclose(exact, s, atol=1e-12)


def relaxer_for(net, eps=1.0, schedule="synchronous", nudge="joint"):
    return Relaxer(net, Dynamics(eps, schedule, nudge), LOSS)


def data(n=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 6)), np.eye(3)[rng.integers(0, 3, n)]


@pytest.mark.parametrize("eps", [1.0, 0.5])
def test_residual_is_the_steps_change_from_the_global_matrix(eps):
    net = small_net(pool="skip", p=0.4)
    relaxer = relaxer_for(net, eps)
    x, _ = data()
    clamped = relaxer.clamp({"input": x})
    state = relaxer.zero_state(clamped)
    relaxer.run(state, clamped, 3)
    w, b, lo, hi, off = global_system(net)
    s = np.concatenate([x] + [state[p.name] for p in net.free], axis=1)
    moved = np.clip(s + eps * (s @ w.T + b - s), lo, hi) - s
    expected = np.abs(moved[:, off[1]:]).max(axis=1) / eps
    np.testing.assert_allclose(relaxer.residual(state, clamped), expected, atol=1e-12)


NETS = {"layered": dict(p=0.0), "small world": dict(pool="skip", p=0.4)}


@pytest.mark.parametrize("kind", NETS)
@pytest.mark.parametrize("nudge", ["joint", "split"])
@pytest.mark.parametrize("solver", ["euler", "block", "accelerated"])
def test_every_solver_reaches_the_long_euler_equilibrium(kind, nudge, solver):
    net = small_net(**NETS[kind])
    relaxer = relaxer_for(net, 0.5, nudge=nudge)
    x, y = data()
    clamped = relaxer.clamp({"input": x})
    reference = relaxer.zero_state(clamped)
    relaxer.run(reference, clamped, 3000)
    nudged_reference = reference.copy()
    relaxer.run(nudged_reference, clamped, 3000, beta=0.5, target=y)
    state = relaxer.zero_state(clamped)
    free = solve_phase(relaxer, state, clamped, 3000, SolverSettings(solver, 1e-10))
    for pop in net.free:
        np.testing.assert_allclose(state[pop.name], reference[pop.name], atol=1e-8)
    nudged = solve_phase(relaxer, state, clamped, 3000, SolverSettings(solver, 1e-10), 0.5, y)
    for pop in net.free:
        np.testing.assert_allclose(state[pop.name], nudged_reference[pop.name], atol=1e-8)
    for report in (free, nudged):
        assert report.unsettled == 0 and np.all(report.residual <= 1e-10)
        assert np.all(report.steps < 3000)


@pytest.mark.parametrize("solver", ["euler", "block", "accelerated"])
def test_a_sample_stops_as_it_would_alone(solver):
    net = small_net(pool="skip", p=0.4)
    relaxer = relaxer_for(net, 0.5)
    x, _ = data(6, seed=1)
    x[2] *= 0.01                            # one sample far from the others
    clamped = relaxer.clamp({"input": x})
    state = relaxer.zero_state(clamped)
    report = solve_phase(relaxer, state, clamped, 500, SolverSettings(solver, 1e-9))
    assert len(set(report.steps.tolist())) > 1          # they did stop at different steps
    for i in range(len(x)):
        alone_clamped = relaxer.clamp({"input": x[i:i + 1]})
        alone = relaxer.zero_state(alone_clamped)
        single = solve_phase(relaxer, alone, alone_clamped, 500, SolverSettings(solver, 1e-9))
        if solver == "accelerated":     # near the fixed point the restart test's sign is
            assert abs(single.steps[0] - report.steps[i]) <= 2    # rounding, batch-dependent
        else:
            assert single.steps[0] == report.steps[i]
        for pop in net.free:
            np.testing.assert_allclose(alone[pop.name][0], state[pop.name][i],
                                       atol=1e-12 if solver != "accelerated" else 1e-8)


def at_zero(eps):
    """A relaxer of the small-world test net at ``eps``, a clamped batch and its zero state."""
    relaxer = relaxer_for(small_net(pool="skip", p=0.4), eps)
    clamped = relaxer.clamp({"input": data()[0]})
    return relaxer, clamped, relaxer.zero_state(clamped)


def test_the_cap_reports_unsettled_samples_and_their_residual():
    relaxer, clamped, state = at_zero(0.2)
    report = solve_phase(relaxer, state, clamped, 3, SolverSettings("euler", 1e-9))
    assert report.unsettled == state.batch and np.all(report.steps == 3)
    np.testing.assert_allclose(report.residual, relaxer.residual(state, clamped), atol=1e-15)


def test_fixed_steps_report_the_residual_at_the_end():
    relaxer, clamped, state = at_zero(0.5)
    report = solve_phase(relaxer, state, clamped, 7)
    assert np.all(report.steps == 7) and report.unsettled == 0
    before = relaxer.zero_state(clamped)
    relaxer.run(before, clamped, 6)
    np.testing.assert_allclose(report.residual, relaxer.residual(before, clamped), atol=1e-12)


def odd_even_run(eps, beta, sizes=(6, 5, 4, 3), steps=12, random_start=True):
    """Per step of an odd/even relaxation from a random state (or zero): R of the state
    before the step, the step's largest change/ε, and the change of the first group (the
    odd-indexed populations)."""
    net = small_net(p=0.0, sizes=sizes)
    relaxer = Relaxer(net, Dynamics(eps, "odd_even"), LOSS)
    x, y = data()
    y = np.eye(sizes[-1])[np.argmax(y, axis=1) % sizes[-1]]
    clamped = relaxer.clamp({"input": x})
    state = relaxer.zero_state(clamped)
    rng = np.random.default_rng(0)
    for name in relaxer.free_names if random_start else []:   # far from the equilibrium
        state.values[name][:] = rng.random(state[name].shape)
    first = [p.name for p in relaxer.groups[0]]
    rows = []
    for _ in range(steps):
        before = state.copy()
        residual = relaxer.residual(before, clamped, beta, y if beta else None)
        relaxer.run(state, clamped, 1, beta=beta, target=y if beta else None)
        change = {n: np.abs(state[n] - before[n]).max(axis=1) / eps for n in relaxer.free_names}
        rows.append((residual, np.max(list(change.values()), axis=0),
                     np.max([change[n] for n in first], axis=0)))
    return relaxer, rows


@pytest.mark.parametrize("beta", [0.0, 0.5])
def test_a_two_group_steps_change_bounds_the_residual_at_unit_epsilon(beta):
    relaxer, rows = odd_even_run(1.0, beta)
    assert relaxer.step_change_bounds_residual(beta)
    for residual, change, first_change in rows[1:]:     # after one step the bound holds
        np.testing.assert_allclose(residual, first_change, rtol=1e-12, atol=1e-15)
        assert np.all(residual <= change)


def test_the_step_change_is_no_bound_elsewhere():
    relaxer, rows = odd_even_run(0.5, 0.0)
    assert not relaxer.step_change_bounds_residual(0.0)
    assert any(np.any(residual > change * (1 + 1e-9)) for residual, change, _ in rows[1:])
    # an even number of layers puts the nudged output in the second group
    relaxer, _ = odd_even_run(1.0, 0.5, sizes=(6, 5, 4, 4, 3), steps=1)
    assert relaxer.step_change_bounds_residual(0.0)
    assert not relaxer.step_change_bounds_residual(0.5)


def test_odd_even_stops_at_the_first_step_whose_change_is_within_tol():
    relaxer, rows = odd_even_run(1.0, 0.0, steps=200, random_start=False)
    clamped = relaxer.clamp({"input": data()[0]})
    state = relaxer.zero_state(clamped)
    tol = 1e-6
    report = solve_phase(relaxer, state, clamped, 200, SolverSettings("euler", tol))
    expected = [1 + next(k for k, (_, change, _) in enumerate(rows) if change[i] <= tol)
                for i in range(state.batch)]
    assert report.steps.tolist() == expected
    assert np.all(report.residual <= tol)
    assert np.all(relaxer.residual(state, clamped) <= report.residual)


def test_block_solvers_refuse_lateral_projections():
    net = small_net(pool="any", p=0.3)
    assert any(p.pre == p.post for p in net.projections)
    relaxer = relaxer_for(net)
    x, _ = data()
    clamped = relaxer.clamp({"input": x})
    with pytest.raises(NetworkError, match="lateral"):
        solve_phase(relaxer, relaxer.zero_state(clamped), clamped, 10,
                    SolverSettings("accelerated", 1e-6))


@pytest.mark.parametrize("solver", ["block", "accelerated"])
def test_the_block_solvers_equilibria_give_the_implicit_gradient(solver):
    net = small_net(pool="skip", p=0.4)
    x, y = data(3)
    relaxer = relaxer_for(net, 0.5)
    settings = EPSettings(beta=1e-4, free_steps=2000, nudged_steps=2000, estimator="symmetric",
                          solver=SolverSettings(solver, 1e-13))
    result = ep_update(relaxer, relaxer.clamp({"input": x}), y, settings,
                       np.random.default_rng(0))
    assert all(r.unsettled == 0 for r in result.reports)
    rows = np.concatenate([result.free_state[p.name] for p in net.free], axis=1)
    dw, db = implicit_gradient(net, x, rows, y)
    scale = max(max(np.abs(v).max() for v in dw.values()),
                max(np.abs(v).max() for v in db.values()))
    err = max(max(np.abs(result.weight_updates[k] - dw[k]).max() for k in dw),
              max(np.abs(result.bias_updates[k] - db[k]).max() for k in db))
    assert scale > 1e-3 and err < 1e-6 * scale
