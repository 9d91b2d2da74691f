"""Floating-point Lava graph vs the NumPy engine, same network, same samples, same schedule.

One Lava step is one synchronous engine iteration (the synapse sends the drive computed from
last step's states, like Dense; the LOAD step absorbs that one-step delay), so the two must
agree to rounding. Stated tolerance: 1e-6 relative (the required bound); float64 on both sides
gives ~1e-15 in practice, so a real mismatch (a step off, a wrong sign) fails by far.
"""

import copy

import numpy as np
import pytest

from lava_eqprop.engine.estimators import EPSettings
from lava_eqprop.engine.relaxation import Dynamics
from lava_eqprop.network.generators import layered, small_world
from tests.lava_backend.conftest import engine_reference
from tests.nets import conv_net, directed_net

pytestmark = pytest.mark.lava
RTOL = 1e-6


def nets():
    rng = np.random.default_rng(5)
    base = layered([7, 6, 5, 4], rng=rng)
    return {
        "layered": layered([7, 6, 4], rng=np.random.default_rng(1)),
        "small_world": small_world(base, 0.3, rng=rng),
        "directed": directed_net(np.random.default_rng(2)),
        "conv": conv_net(np.random.default_rng(3)),
    }


CASES = [
    ("layered", 1.0, "joint", "one_sided", "random", 1),
    ("layered", 0.5, "joint", "symmetric", "positive", 3),
    ("small_world", 0.5, "split", "one_sided", "random", 3),
    ("directed", 0.5, "joint", "one_sided", "positive", 2),
    ("conv", 0.5, "joint", "symmetric", "random", 3),
]


@pytest.mark.parametrize("name,eps,nudge,estimator,sign,batch", CASES)
def test_lava_float_matches_engine(name, eps, nudge, estimator, sign, batch):
    from lava_eqprop.lava_backend.graph import build_graph
    from lava_eqprop.lava_backend.runner import GraphRun
    from lava_eqprop.lava_backend.schedule import training_schedule
    from lava_eqprop.lava_backend.settings import LavaSettings

    net = nets()[name]
    rng = np.random.default_rng(7)
    for pop in net.free:
        pop.bias = rng.uniform(-0.2, 0.4, np.shape(pop.bias))    # per channel in a conv net
    n_in, n_out = net.inputs[0].size, net.outputs[0].size
    x = rng.uniform(0, 1, (7, n_in))                      # 7 samples: the last batch is partial
    targets = np.eye(n_out)[rng.integers(n_out, size=7)]
    settings = EPSettings(beta=0.4, free_steps=9, nudged_steps=6, estimator=estimator, beta_sign=sign)
    w_lr = {p.name: 0.3 for p in net.projections}
    b_lr = {p.name: 0.2 for p in net.free}
    engine_net = copy.deepcopy(net)
    engine_free = engine_reference(engine_net, (Dynamics(eps, "synchronous", nudge), settings,
                                                "half_squared_error", (w_lr, b_lr)),
                                   x, targets, batch, seed=11)

    schedule = training_schedule(len(x), batch, settings, np.random.default_rng(11))
    lava_settings = LavaSettings(batch=batch, dynamics=Dynamics(epsilon=eps, nudge=nudge),
                                 loss_scale=1.0,
                                 weight_rates=w_lr, bias_rates=b_lr, watchdog_seconds=30)
    graph = build_graph(net, lava_settings, schedule, x, targets)
    with GraphRun(graph) as run:
        run.run(schedule.steps, lambda msg: None)
        weights = {k: run.get(s.weight) for k, s in graph.synapses.items()}
        biases = {k: run.get(p.bias) for k, p in graph.populations.items()}
        free = {k: run.get(p.s_free) for k, p in graph.populations.items()}

    n_last = int(schedule.n_valid[-1])
    bias_scale = max(np.max(np.abs(engine_net.population(p.name).bias - p.bias)) for p in net.free)
    assert bias_scale > 1e-4, "the reference's biases did not learn: the test would be empty"
    for pop in net.free:
        ref = engine_free[pop.name]
        assert np.max(np.abs(free[pop.name][:n_last] - ref)) <= RTOL * max(np.max(np.abs(ref)), 1e-3)
        d_ref = engine_net.population(pop.name).flat_bias() - pop.flat_bias()
        d_lava = biases[pop.name] - pop.flat_bias()
        assert np.max(np.abs(d_lava - d_ref)) <= RTOL * bias_scale, pop.name
    for proj in (p for p in net.projections if p.plastic):       # not a fixed identity skip
        d_ref = engine_net.projection(proj.name).weight - proj.weight
        d_lava = weights[proj.name] - proj.weight
        assert np.max(np.abs(d_ref)) > 1e-4, f"{proj.name} did not learn: the test would be empty"
        assert np.max(np.abs(d_lava - d_ref)) <= RTOL * np.max(np.abs(d_ref)), proj.name
