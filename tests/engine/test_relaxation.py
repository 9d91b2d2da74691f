"""Free and nudged phases: energy descent, fixed points, schedules, early stopping."""

import numpy as np
import pytest

from lava_eqprop.engine import Dynamics, Relaxer, get_loss
from lava_eqprop.engine.relaxation import schedule_groups

from .conftest import small_net
from .reference import fixed_point_residual, global_system

HALF = get_loss("half_squared_error")


def free_rows(relaxer, state):
    return np.concatenate([state[p.name] for p in relaxer.network.free], axis=1)


def energies_along(relaxer, clamped, steps, beta=0.0, target=None):
    state = relaxer.zero_state(clamped)
    values = [relaxer.total_energy(state, beta, target)]
    for _ in range(steps):
        relaxer.run(state, clamped, 1, beta=beta, target=target)
        values.append(relaxer.total_energy(state, beta, target))
    return np.array(values), state


@pytest.mark.parametrize("p", [0.0, 0.4])
def test_colouring_with_unit_step_never_increases_energy(p, batch):
    """ε = 1 with a colouring: each group step is an exact block minimiser (no lateral links)."""
    net = small_net(p=p, pool="skip")
    relaxer = Relaxer(net, Dynamics(1.0, "colouring"), HALF)
    x, y = batch
    e, _ = energies_along(relaxer, relaxer.clamp({"input": x}), 40)
    assert np.all(np.diff(e, axis=0) <= 1e-12)
    assert np.all(e[-1] < e[0])
    e_nudged, _ = energies_along(relaxer, relaxer.clamp({"input": x}), 40, beta=0.5, target=y)
    assert np.all(np.diff(e_nudged, axis=0) <= 1e-12)


def test_synchronous_small_step_never_increases_energy(net, batch):
    """Projected gradient descent with ε ≤ 1/L, L = 1 + ‖W‖₂, descends E (laterals included)."""
    w, *_ = global_system(net)
    eps = 1.0 / (1.0 + np.linalg.norm(w, 2))
    relaxer = Relaxer(net, Dynamics(eps, "synchronous"), HALF)
    x, _ = batch
    e, _ = energies_along(relaxer, relaxer.clamp({"input": x}), 200)
    assert np.all(np.diff(e, axis=0) <= 1e-12)


def test_schedules_reach_the_same_fixed_point(net, batch):
    x, _ = batch
    rows = []
    for schedule in ("synchronous", "odd_even", "colouring"):
        relaxer = Relaxer(net, Dynamics(1.0, schedule), HALF)
        clamped = relaxer.clamp({"input": x})
        state = relaxer.zero_state(clamped)
        relaxer.run(state, clamped, 3000, tol=1e-14)
        rows.append(free_rows(relaxer, state))
        assert fixed_point_residual(net, x, rows[-1]) < 1e-12
    np.testing.assert_allclose(rows[0], rows[1], atol=1e-10)
    np.testing.assert_allclose(rows[0], rows[2], atol=1e-10)


def test_nudging_lowers_the_cost(net, batch):
    x, y = batch
    relaxer = Relaxer(net, Dynamics(1.0, "colouring"), HALF)
    clamped = relaxer.clamp({"input": x})
    free = relaxer.zero_state(clamped)
    relaxer.run(free, clamped, 500, tol=1e-13)
    nudged = free.copy()
    relaxer.run(nudged, clamped, 500, beta=0.5, target=y)
    out = relaxer.output.name
    assert np.all(HALF.cost(nudged[out], y) < HALF.cost(free[out], y))


def test_early_stop_and_state_copies(net, batch):
    x, _ = batch
    relaxer = Relaxer(net, Dynamics(1.0, "colouring"), HALF)
    clamped = relaxer.clamp({"input": x})
    state = relaxer.zero_state(clamped)
    steps = relaxer.run(state, clamped, 1000, tol=1e-9)
    assert 0 < steps < 1000 and steps % 5 == 0
    assert fixed_point_residual(net, x, free_rows(relaxer, state)) < 1e-8
    copy = state.copy()
    assert copy["input"] is state["input"]  # clamped inputs are shared, never written
    for p in net.free:
        assert not np.shares_memory(copy[p.name], state[p.name])


def test_clamped_drives_and_states_are_c_ordered(net, batch):
    """Every array the step loop adds or writes is C-ordered like the products it meets: a
    column-ordered constant drive (NumPy's default copy of a broadcast bias) made every step's
    add 5x slower."""
    x, _ = batch
    relaxer = Relaxer(net, Dynamics(1.0, "synchronous"), HALF, dtype=np.float32)
    clamped = relaxer.clamp({"input": x})
    state = relaxer.zero_state(clamped)
    relaxer.run(state, clamped, 3)
    arrays = list(clamped.constant.values()) + [state[p.name] for p in net.free]
    assert all(a.flags["C_CONTIGUOUS"] and a.dtype == np.float32 for a in arrays)


def test_groups():
    net = small_net(p=0.0, sizes=(4, 3, 3, 3, 2))
    names = lambda groups: [[p.name for p in g] for g in groups]  # noqa: E731
    assert names(schedule_groups(net, "synchronous")) == [["h1", "h2", "h3", "output"]]
    assert names(schedule_groups(net, "odd_even")) == [["h1", "h3"], ["h2", "output"]]
    assert names(schedule_groups(net, "colouring")) == [["h1", "h3"], ["h2", "output"]]
    skip = small_net(p=0.5, pool="skip", sizes=(4, 3, 3, 3, 2))
    for group in schedule_groups(skip, "colouring"):  # no two connected populations together
        members = {p.name for p in group}
        for proj in skip.projections:
            assert not (proj.pre != proj.post and {proj.pre, proj.post} <= members)


@pytest.mark.parametrize("nudge", ["joint", "split"])
def test_one_nudged_step_against_the_papers_code(nudge, batch):
    """One synchronous step at ε = ½, β = ±1, C = ‖y − s‖², written out as each code does it.

    joint (Scellier & Bengio): s_y ← clip(s_y + ε(R − s_y) + 2εβ(y − s_y));
    split (Gammell et al.):   s' = s_y + ε(R − s_y), s_y ← clip(s' + 2εβ(y − s')).
    """
    net = small_net(p=0.0)
    relaxer = Relaxer(net, Dynamics(0.5, "synchronous", nudge), get_loss("squared_error"))
    x, y = batch
    w, b, lo, hi, off = global_system(net)
    rng = np.random.default_rng(4)
    for beta in (1.0, -1.0):
        clamped = relaxer.clamp({"input": x})
        state = relaxer.zero_state(clamped)
        for p in net.free:
            state.values[p.name][:] = rng.random(state[p.name].shape)
        s = np.concatenate([x] + [state[p.name] for p in net.free], axis=1)
        r = s @ w.T + b
        moved = s + 0.5 * (r - s)
        out = slice(off[-2], off[-1])
        if nudge == "joint":
            moved[:, out] += 2 * 0.5 * beta * (y - s[:, out])
        else:
            moved[:, out] += 2 * 0.5 * beta * (y - moved[:, out])
        expected = np.clip(moved, lo, hi)
        relaxer.run(state, clamped, 1, beta=beta, target=y)
        got = np.concatenate([state[p.name] for p in net.free], axis=1)
        np.testing.assert_allclose(got, expected[:, off[1]:], rtol=1e-12, atol=1e-12)
    if nudge == "split":  # at ε = ½, β = 1 the split step sets the output to the target
        state = relaxer.zero_state(relaxer.clamp({"input": x}))
        relaxer.run(state, relaxer.clamp({"input": x}), 1, beta=1.0, target=y)
        np.testing.assert_allclose(state["output"], y, atol=1e-12)
