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
