"""SGD with per-parameter rates and momentum, against the update written out by hand."""

import numpy as np

from lava_eqprop.network import layered
from lava_eqprop.training.optimizer import SGD


def test_momentum_and_rates():
    net = layered([3, 2], rng=np.random.default_rng(0))
    w0 = net.projection("input-output").weight.copy()
    b0 = net.population("output").bias.copy()
    opt = SGD(net, {"input-output": 0.1}, {"output": 0.2}, momentum=0.9)
    d1, d2 = np.full((2, 3), 1.0), np.full((2, 3), 2.0)
    applied = opt.step({"input-output": d1.copy()}, {"output": np.ones(2)})
    np.testing.assert_allclose(applied["input-output"], 0.1 * d1)
    opt.step({"input-output": d2.copy()}, {"output": np.ones(2)})
    v2 = 0.9 * d1 + d2
    np.testing.assert_allclose(net.projection("input-output").weight, w0 + 0.1 * d1 + 0.1 * v2)
    np.testing.assert_allclose(net.population("output").bias, b0 + 0.2 * 1 + 0.2 * 1.9)
    assert set(opt.state_dict()) == {"w:input-output", "b:output"}


def test_folded_rates_give_the_same_step():
    """Plain SGD's rates folded into the EP contrast give the same parameters as applying them."""
    from lava_eqprop.engine import Dynamics, EPSettings, Relaxer, ep_update, get_loss

    rng = np.random.default_rng(0)
    x, y = rng.random((4, 5)), np.eye(3)[rng.integers(0, 3, 4)]
    results = []
    for fold in (False, True):
        net = layered([5, 4, 3], rng=np.random.default_rng(1), bias_init="fan_in_uniform")
        opt = SGD(net, {"input-h1": 0.3, "h1-output": 0.1}, {"h1": 0.3, "output": 0.1})
        assert opt.foldable_rates() is not None
        relaxer = Relaxer(net, Dynamics(1.0), get_loss("half_squared_error"))
        result = ep_update(relaxer, relaxer.clamp({"input": x}), y, EPSettings(beta=0.5),
                           np.random.default_rng(2), factors=opt.foldable_rates() if fold else None)
        opt.step(result.weight_updates, result.bias_updates, rates_folded=fold)
        results.append(net)
    for a, b in zip(results[0].projections, results[1].projections):
        np.testing.assert_allclose(a.weight, b.weight, rtol=1e-12)
    for a, b in zip(results[0].populations, results[1].populations):
        np.testing.assert_allclose(a.bias, b.bias, rtol=1e-12)
    assert SGD(results[0], {}, {}, momentum=0.9).foldable_rates() is None


def test_clipping_decay_and_nesterov_against_pytorch_sgd_written_out():
    """PyTorch's SGD(lr, momentum μ, nesterov, weight_decay λ) after clip_grad_norm_(c), on
    g = −d: g ← g·c/‖g‖ if ‖g‖ > c; g ← g + λθ; v ← μv + g; θ ← θ − lr(g + μv)."""
    net = layered([3, 2], rng=np.random.default_rng(0))
    weight, bias = net.projection("input-output").weight, net.population("output").bias
    theta = [weight.copy(), bias.copy()]
    lr, mu, lam, c = 0.05, 0.9, 0.01, 1.0
    opt = SGD(net, {"input-output": lr}, {"output": lr}, momentum=mu, nesterov=True,
              weight_decay=lam, clip_norm=c)
    opt.scale = 0.5
    velocity = [np.zeros_like(t) for t in theta]
    rng = np.random.default_rng(1)
    for _ in range(3):
        d = [rng.normal(size=(2, 3)), rng.normal(size=2)]
        g = [-x for x in d]
        norm = np.sqrt(sum((x ** 2).sum() for x in g))
        g = [x * min(1.0, c / norm) for x in g]
        for k in range(2):
            g[k] = g[k] + lam * theta[k]
            velocity[k] = mu * velocity[k] + g[k]
            theta[k] = theta[k] - 0.5 * lr * (g[k] + mu * velocity[k])
        opt.step({"input-output": d[0].copy()}, {"output": d[1].copy()})
        np.testing.assert_allclose(weight, theta[0], rtol=1e-12)
        np.testing.assert_allclose(bias, theta[1], rtol=1e-12)
    assert opt.foldable_rates() is None


def test_cosine_factor_runs_from_one_to_the_floor():
    from lava_eqprop.training.optimizer import cosine_factor

    assert cosine_factor(0, 10, 0.1) == 1.0
    assert abs(cosine_factor(10, 10, 0.1) - 0.1) < 1e-12
    assert abs(cosine_factor(5, 10, 0.1) - 0.55) < 1e-12
    assert all(cosine_factor(e, 10, 0.0) > cosine_factor(e + 1, 10, 0.0) for e in range(10))
