"""Directed nets (Farinha et al. 2020) in the engine, against computations written here on the
global N×N weight matrix W (W[i, j]: connection i → j), independent of the projections."""

import numpy as np
import pytest
from scipy.optimize import root

from lava_eqprop.engine.estimators import EPSettings, ep_update
from lava_eqprop.engine.loss import get_loss
from lava_eqprop.engine.relaxation import Dynamics, Relaxer
from lava_eqprop.errors import NetworkError
from lava_eqprop.network.directed import (
    adjacency_from_edges,
    complete_adjacency,
    directed_network,
    random_adjacency,
)
from lava_eqprop.network.generators import layered
from lava_eqprop.network.network import Network, Projection

HALF = get_loss("half_squared_error")
SIZES = (3, 4, 2)
DEEP = Dynamics(epsilon=0.05, leak=0.0, outgoing_decay=True)
LEAKY = Dynamics(epsilon=0.05, leak=1.0)
SPANS = {"input": slice(0, 3), "hidden": slice(3, 7), "output": slice(7, 9)}


def global_weight(net: Network) -> np.ndarray:
    """The projections' weights placed back into one (N, N) matrix, W[i, j] for i → j."""
    w = np.zeros((9, 9))
    for proj in net.projections:
        w[SPANS[proj.pre], SPANS[proj.post]] += proj.weight.T
    return w


def global_bias(net: Network) -> np.ndarray:
    return np.concatenate([p.bias for p in net.populations])


def euler_step(w, b, s, dt, decay, beta=0.0, y=None):
    """One step of ds_j/dt = b_j + Σ_i W_ij s_i − a_j s_j (+ β(y − s_out)), clipped; inputs fixed.

    ``decay`` = "outgoing": a_j = Σ_k W_jk (DEEP); a number: a constant leak."""
    a = w.sum(axis=1) if decay == "outgoing" else np.full(9, float(decay))
    ds = b + s @ w - a * s
    if beta:
        ds[..., 7:] += beta * (y - s[..., 7:])
    out = np.clip(s + dt * ds, 0.0, 1.0)
    out[..., :3] = s[..., :3]
    return out


def random_net(seed, std=0.3, adjacency=None):
    rng = np.random.default_rng(seed)
    return directed_network(SIZES, complete_adjacency(SIZES) if adjacency is None else adjacency,
                            rng=rng, weight_std=std, bias_std=std)


def engine_states(net, dynamics, x, steps, beta=0.0, y=None, start=None):
    relaxer = Relaxer(net, dynamics, HALF)
    clamped = relaxer.clamp({"input": x})
    state = relaxer.zero_state(clamped) if start is None else relaxer.state_from(clamped, start)
    relaxer.run(state, clamped, steps, beta=beta, target=y)
    return np.concatenate([state[p.name] for p in net.populations], axis=1), relaxer


# ---- the description ---------------------------------------------------------------------------
def test_complete_directed_has_every_allowed_connection_and_none_into_inputs():
    net = random_net(0)
    n, n_in = sum(SIZES), SIZES[0]
    assert net.num_connections == n * (n - 1) - n_in * (n - 1)
    w = global_weight(net)
    assert not w[:, :n_in].any() and not np.diag(w).any()
    assert all(not p.symmetric for p in net.projections)
    assert (w[:, n_in:] != 0).sum() + n == n * (n - n_in) + n_in


def test_edge_list_gives_exactly_those_connections():
    edges = [[0, 3], [1, 4], [3, 7], [7, 3], [4, 4 + 1], [2, 8], [8, 7]]
    net = random_net(1, adjacency=adjacency_from_edges(SIZES, edges))
    found = {tuple(e) for e in np.argwhere(global_weight(net) != 0)}
    assert found == {tuple(e) for e in edges}
    assert net.num_connections == len(edges)


def test_random_directed_net_draws_that_many_allowed_connections_reproducibly():
    complete = complete_adjacency(SIZES)
    picks = [random_adjacency(SIZES, 20, np.random.default_rng(seed)) for seed in (4, 4, 5)]
    for adjacency in picks:
        assert adjacency.sum() == 20 and not (adjacency & ~complete).any()
    assert (picks[0] == picks[1]).all() and (picks[0] != picks[2]).any()
    assert random_net(2, adjacency=picks[0]).num_connections == 20
    allowed = 9 * 8 - 3 * 8     # 9 neurons, none into the 3 inputs, no self-loops
    with pytest.raises(NetworkError, match=f"connections = {allowed + 1}, but .* 1 to {allowed}"):
        random_adjacency(SIZES, allowed + 1, np.random.default_rng(0))


@pytest.mark.parametrize("edges, message", [([[3, 0]], "enters an input"), ([[4, 4]], "itself"),
                                            ([[0, 9]], "indices must be"),
                                            ([[0, 3], [0, 3]], "twice")])
def test_bad_edges_are_named(edges, message):
    with pytest.raises(NetworkError, match=message):
        random_net(0, adjacency=adjacency_from_edges(SIZES, edges))


# ---- dynamics ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dynamics, decay", [(DEEP, "outgoing"), (LEAKY, 1.0)])
def test_engine_step_is_the_papers_equation(dynamics, decay):
    net = random_net(2)
    rng = np.random.default_rng(3)
    x = rng.random((5, 3))
    start = {"hidden": rng.random((5, 4)), "output": rng.random((5, 2))}
    y = rng.random((5, 2))
    s0 = np.concatenate([x, start["hidden"], start["output"]], axis=1)
    w, b = global_weight(net), global_bias(net)
    for beta in (0.0, 10.0):
        got, _ = engine_states(net, dynamics, x, 1, beta, y if beta else None, start)
        expected = euler_step(w, b, s0, dynamics.epsilon, decay, beta, y)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("dynamics, seed, std", [(DEEP, 27, 0.1), (LEAKY, 4, 0.2)],
                         ids=["deep", "leaky"])
def test_equilibrium_is_a_fixed_point_and_the_root_on_its_active_set(dynamics, seed, std):
    """Relax long; the state is a fixed point of the clipped map (residual < 1e-9), and on the
    units strictly inside (0, 1) it is the root of the unclipped field that scipy finds.
    (Faithful DEEP often ends with every unit at a bound: seed 27 keeps four inside.)"""
    net = random_net(seed, std=std)
    x = np.array([[0.2, 0.9, 0.5]])
    s, relaxer = engine_states(net, dynamics, x, 20000)
    w, b = global_weight(net), global_bias(net)
    decay = "outgoing" if dynamics.outgoing_decay else dynamics.leak
    assert np.max(np.abs(euler_step(w, b, s, dynamics.epsilon, decay) - s)) < 1e-9
    active = np.flatnonzero((s[0] > 1e-9) & (s[0] < 1 - 1e-9))
    active = active[active >= 3]
    assert active.size >= 2, "the test wants an equilibrium with some units inside the box"
    a = w.sum(axis=1) if dynamics.outgoing_decay else np.full(9, dynamics.leak)

    def field(values):
        full = s[0].copy()
        full[active] = values
        return (b + full @ w - a * full)[active]

    solution = root(field, np.full(active.size, 0.5), method="lm", tol=1e-14)
    assert solution.success
    np.testing.assert_allclose(s[0, active], solution.x, atol=1e-8)


def tied_pair(seed):
    """A 3-4-2 layered symmetric net and the same net written as directed projections
    (input → hidden, hidden → output and output → hidden with the transposed weight)."""
    sym = layered([3, 4, 2], rng=np.random.default_rng(seed), bias_init="fan_in_uniform")
    w1, w2 = (p.weight.copy() for p in sym.projections)
    rng = np.random.default_rng(seed)
    directed = directed_network(SIZES, complete_adjacency(SIZES), rng=rng)
    pops = [p for p in directed.populations]
    for pop, twin in zip(pops, sym.populations):
        pop.bias = twin.bias.copy()
    projs = [Projection("input-hidden", "input", "hidden", w1, symmetric=False),
             Projection("hidden-output", "hidden", "output", w2, symmetric=False),
             Projection("output-hidden", "output", "hidden", w2.T.copy(), symmetric=False)]
    return sym, Network("tied", pops, projs)


def test_leaky_directed_with_symmetric_weights_is_the_core_engine():
    sym, tied = tied_pair(5)
    x = np.random.default_rng(6).random((4, 3))
    y = np.eye(2)[[0, 1, 1, 0]]
    dyn = Dynamics(epsilon=0.5, leak=1.0)
    for beta in (0.0, 0.5):
        a, _ = engine_states(sym, dyn, x, 60, beta, y if beta else None)
        b, _ = engine_states(tied, dyn, x, 60, beta, y if beta else None)
        np.testing.assert_allclose(a, b, atol=1e-12)


def free_loss(net, dynamics, x, y):
    s, _ = engine_states(net, dynamics, x, 3000)
    return 0.5 * np.sum((s[:, 7:] - y) ** 2) / len(x)


def test_trajectory_rule_on_tied_weights_is_the_loss_gradient():
    """Leaky dynamics, W symmetric: T2/β times the DEEP update (both directions of a tied pair
    summed) is −dL/dW at the free equilibrium, by central finite differences (rel. 2%)."""
    _, tied = tied_pair(7)
    dyn = Dynamics(epsilon=0.2, leak=1.0)
    x = np.random.default_rng(8).random((3, 3))
    y = np.eye(2)[[0, 1, 1]]
    beta, t2 = 1e-3, 400
    relaxer = Relaxer(tied, dyn, HALF)
    settings = EPSettings(beta=beta, free_steps=3000, nudged_steps=t2, estimator="deep")
    result = ep_update(relaxer, relaxer.clamp({"input": x}), y, settings, np.random.default_rng(0))
    dw = result.weight_updates
    estimates = {"input-hidden": dw["input-hidden"] * t2 / beta,
                 "hidden-output": (dw["hidden-output"] + dw["output-hidden"].T) * t2 / beta}
    h = 1e-5
    for name, estimate in estimates.items():
        fd = np.zeros_like(estimate)
        for idx in np.ndindex(estimate.shape):
            losses = []
            for sign in (1, -1):
                _, probe = tied_pair(7)
                probe.projection(name).weight[idx] += sign * h
                if name == "hidden-output":
                    probe.projection("output-hidden").weight[idx[::-1]] += sign * h
                losses.append(free_loss(probe, dyn, x, y))
            fd[idx] = -(losses[0] - losses[1]) / (2 * h)
        np.testing.assert_allclose(estimate, fd, rtol=0.02, atol=2e-3 * np.abs(fd).max())


def test_trajectory_rule_is_the_papers_sum_over_the_nudged_phase():
    """β0 = 0.3, β1 = 1 on a faithful DEEP net: the engine's ΔW equals the mean over steps and
    samples of s_i(t)[β0 s_j(t) + β1 (s_j(t) − s_j(t−1))], computed here step by step."""
    net = random_net(9, std=0.3)
    rng = np.random.default_rng(10)
    x, y = rng.random((4, 3)), rng.random((4, 2))
    t1, t2, beta = 50, 30, 10.0
    relaxer = Relaxer(net, DEEP, HALF)
    settings = EPSettings(beta=beta, free_steps=t1, nudged_steps=t2, estimator="deep",
                          trajectory_rates=(0.3, 1.0))
    result = ep_update(relaxer, relaxer.clamp({"input": x}), y, settings, rng)
    w, b = global_weight(net), global_bias(net)
    s = np.concatenate([x, np.zeros((4, 6))], axis=1)
    for _ in range(t1):
        s = euler_step(w, b, s, DEEP.epsilon, "outgoing")
    total, bias_total = np.zeros((9, 9)), np.zeros(9)
    for _ in range(t2):
        new = euler_step(w, b, s, DEEP.epsilon, "outgoing", beta, y)
        factor = 0.3 * new + (new - s)
        total += new.T @ factor
        bias_total += factor.sum(axis=0)
        s = new
    expected = total / (t2 * 4) * (w != 0)
    got = np.zeros((9, 9))
    for proj in net.projections:
        got[SPANS[proj.pre], SPANS[proj.post]] += result.weight_updates[proj.name].T
    np.testing.assert_allclose(got, expected, atol=1e-12)
    got_bias = np.concatenate([result.bias_updates["hidden"], result.bias_updates["output"]])
    np.testing.assert_allclose(got_bias, bias_total[3:] / (t2 * 4), atol=1e-12)


def test_asymmetric_estimator_is_pre_free_times_post_nudge():
    net = random_net(11)
    rng = np.random.default_rng(12)
    x, y = rng.random((3, 3)), rng.random((3, 2))
    dyn = Dynamics(epsilon=0.2, leak=1.0)
    relaxer = Relaxer(net, dyn, HALF)
    settings = EPSettings(beta=0.5, free_steps=40, nudged_steps=40, estimator="asymmetric")
    result = ep_update(relaxer, relaxer.clamp({"input": x}), y, settings, rng)
    free, _ = engine_states(net, dyn, x, 40)
    nudged, _ = engine_states(net, dyn, x, 40, 0.5, y, start={"hidden": free[:, 3:7],
                                                             "output": free[:, 7:]})
    expected = free.T @ (nudged - free) / (0.5 * 3) * (global_weight(net) != 0)
    got = np.zeros((9, 9))
    for proj in net.projections:
        got[SPANS[proj.pre], SPANS[proj.post]] += result.weight_updates[proj.name].T
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_energy_is_refused_for_the_outgoing_decay():
    sym, _ = tied_pair(0)
    relaxer = Relaxer(sym, Dynamics(outgoing_decay=True, leak=0.0, epsilon=0.1), HALF)
    state = relaxer.zero_state(relaxer.clamp({"input": np.zeros((1, 3))}))
    with pytest.raises(NetworkError, match="not the gradient of an energy"):
        relaxer.energy(state)
