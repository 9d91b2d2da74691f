"""EP updates against the gradient of the loss computed without EP.

Tolerances: the symmetric estimator's bias is O(β²) (Laborieux et al. 2021), the one-sided
estimator's O(β); at β = 1e-4 the symmetric estimate must match the implicit-differentiation
gradient to 1e-6 of its scale, the one-sided one to 1e-3 at β = 1e-4 and to 10·β at larger β.
"""

import numpy as np
import pytest

from lava_eqprop.engine import Dynamics, EPSettings, Relaxer, SolverSettings, ep_update, get_loss

from .conftest import small_net
from .reference import implicit_gradient

RNG = np.random.default_rng(0)


def ep(net, x, y, beta, estimator="symmetric", schedule="colouring", loss="half_squared_error",
       beta_sign="positive", rng=RNG):
    relaxer = Relaxer(net, Dynamics(1.0, schedule), get_loss(loss))
    settings = EPSettings(beta=beta, free_steps=4000, nudged_steps=4000, estimator=estimator,
                          beta_sign=beta_sign, solver=SolverSettings(tol=1e-15))
    return relaxer, ep_update(relaxer, relaxer.clamp({"input": x}), y, settings, rng)


def max_error(result, reference):
    dw, db = reference
    err = max(np.abs(result.weight_updates[k] - dw[k]).max() for k in dw)
    err = max(err, max(np.abs(result.bias_updates[k] - db[k]).max() for k in db))
    scale = max(max(np.abs(v).max() for v in dw.values()),
                max(np.abs(v).max() for v in db.values()))
    return err, scale


def free_rows(relaxer, state):
    return np.concatenate([state[p.name] for p in relaxer.network.free], axis=1)


@pytest.mark.parametrize("pool, p, schedule", [
    ("skip", 0.0, "synchronous"), ("skip", 0.4, "colouring"),
    ("any", 0.3, "synchronous"), ("any", 0.3, "odd_even")])
def test_symmetric_ep_matches_implicit_gradient(pool, p, schedule, batch):
    net = small_net(pool=pool, p=p)
    x, y = batch
    relaxer, result = ep(net, x, y, 1e-4, schedule=schedule)
    reference = implicit_gradient(net, x, free_rows(relaxer, result.free_state), y)
    err, scale = max_error(result, reference)
    assert scale > 1e-3  # the gradient is not trivially zero
    assert err < 1e-6 * scale


def test_one_sided_bias_is_first_order_and_symmetric_second_order(net, batch):
    """Below β ≈ 0.02 no unit crosses a clip bound between phases, and the orders are clean."""
    x, y = batch
    errors = {}
    for estimator in ("one_sided", "symmetric"):
        for beta in (0.01, 0.005):
            relaxer, result = ep(net, x, y, beta, estimator=estimator)
            reference = implicit_gradient(net, x, free_rows(relaxer, result.free_state), y)
            err, scale = max_error(result, reference)
            errors[estimator, beta] = err / scale
    assert errors["one_sided", 0.01] < 10 * 0.01
    assert 1.8 < errors["one_sided", 0.01] / errors["one_sided", 0.005] < 2.2     # O(β)
    assert 3.6 < errors["symmetric", 0.01] / errors["symmetric", 0.005] < 4.4     # O(β²)
    assert errors["symmetric", 0.005] < errors["one_sided", 0.005] / 10


def test_ep_matches_finite_differences_of_the_loss(batch):
    """L(θ) = mean cost at the free equilibrium; central differences on a few weights."""
    net = small_net(pool="any", p=0.3)
    x, y = batch
    loss = get_loss("half_squared_error")
    relaxer, result = ep(net, x, y, 1e-4)

    def mean_loss():
        clamped = relaxer.clamp({"input": x})
        state = relaxer.zero_state(clamped)
        relaxer.run(state, clamped, 4000, tol=1e-15)
        return float(np.mean(loss.cost(state[relaxer.output.name], y)))

    rng = np.random.default_rng(5)
    h = 1e-6
    checked = 0
    for proj in net.projections:
        exists = proj.mask if proj.mask is not None else np.ones_like(proj.weight, bool)
        rows, cols = np.nonzero(exists)
        for k in rng.choice(len(rows), size=min(2, len(rows)), replace=False):
            i, j = rows[k], cols[k]
            twin = proj.lateral
            original = proj.weight[i, j]
            values = []
            for delta in (h, -h):
                proj.weight[i, j] = original + delta
                if twin:
                    proj.weight[j, i] = original + delta
                values.append(mean_loss())
            proj.weight[i, j] = original
            if twin:
                proj.weight[j, i] = original
            fd = -(values[0] - values[1]) / (2 * h)
            assert abs(result.weight_updates[proj.name][i, j] - fd) < 1e-6 + 1e-4 * abs(fd)
            checked += 1
    assert checked >= 8


def test_random_sign_and_loss_scale(batch):
    net = small_net(pool="skip", p=0.3)
    x, y = batch
    signs = set()
    rng = np.random.default_rng(1)
    for _ in range(8):
        _, result = ep(net, x, y, 1e-4, estimator="one_sided", beta_sign="random", rng=rng)
        signs.add(np.sign(result.betas[0]))
    assert signs == {-1.0, 1.0}
    _, half = ep(net, x, y, 1e-4, loss="half_squared_error")
    _, full = ep(net, x, y, 1e-4, loss="squared_error")
    for k in half.weight_updates:
        np.testing.assert_allclose(full.weight_updates[k], 2 * half.weight_updates[k],
                                   rtol=1e-4, atol=1e-9)
