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
