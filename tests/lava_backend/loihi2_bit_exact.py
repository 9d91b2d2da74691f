"""The bit-exact comparison of the fixed-point loihi2 graph with the integer reference
(``loihi2_reference.py``), shared by the tests and ``tools/bench_loihi2_graph.py``.

Two cases on the loihi2 chip with 5-bit payloads (Fx = 3, so η/β = 1/2 is the rule's
m·2^E = 1·2^2 and every update is whole LSBs), biases learning, ε = 1/2:

* ``layered``: a 5-4-3 layered net (LearningDense), the one-sided estimator;
* ``small-world``: a 5-4-4-3 net rewired with p = 0.3 (every projection masked, layer-skipping
  ones included: LearningSparse), the symmetric estimator (η/(2β)).

:func:`run_case` runs the graph and reads, per sample, the free and final states, the biases,
both copies' weights and the tags when the first rule of the sample stored them;
:func:`reference_samples` computes the same in the reference; :func:`differences` lists where
they differ.
"""

import dataclasses

import numpy as np

from lava_eqprop.chips.config import load_chip, load_chip_config
from lava_eqprop.engine.estimators import EPSettings
from lava_eqprop.engine.relaxation import Dynamics
from lava_eqprop.lava_backend.loihi2.graph import build_loihi2_graph
from lava_eqprop.lava_backend.schedule import training_schedule
from lava_eqprop.lava_backend.settings import LavaSettings
from lava_eqprop.network.generators import layered, small_world
from tests.lava_backend.loihi2_reference import Loihi2Reference

# isort: split
# (Lava after lava_eqprop.lava_backend, which installs its Python 3.11 fix)
from lava.magma.core.run_conditions import RunSteps
from lava.magma.core.run_configs import Loihi2SimCfg

EPSILON, BETA, T1, T2 = 0.5, 0.5, 6, 4
WEIGHT_RATE, BIAS_RATE = 0.25, 0.0625
CHIP = dataclasses.replace(load_chip("loihi2"), activation_bits=5)


CASES = ("layered", "small-world")


def problem(samples, seed=4, case="layered"):
    rng = np.random.default_rng(seed)
    if case == "layered":
        net = layered([5, 4, 3], rng=rng, weight_gain=2.0)
    else:
        net = small_world(layered([5, 4, 4, 3], rng=rng, weight_gain=2.0), 0.3, rng=rng,
                          new_weight_bound=0.8)
    for pop in net.free:
        pop.bias = rng.uniform(-0.2, 0.4, pop.bias.shape)
    x = rng.uniform(0, 1, (samples, 5))
    targets = np.eye(3)[rng.integers(3, size=samples)]
    settings = LavaSettings(precision="fixed", chip=CHIP, dynamics=Dynamics(epsilon=EPSILON),
                            weight_rates={p.name: WEIGHT_RATE for p in net.projections},
                            bias_rates={p.name: BIAS_RATE for p in net.free})
    if case != "layered":       # symmetric: the same updates per contrast, η/(2β) = 1/2
        settings.weight_rates = {k: 2 * r for k, r in settings.weight_rates.items()}
        settings.bias_rates = {k: 2 * r for k, r in settings.bias_rates.items()}
    ep = EPSettings(beta=BETA, free_steps=T1, nudged_steps=T2,
                    estimator="one_sided" if case == "layered" else "symmetric")
    schedule = training_schedule(samples, 1, ep, np.random.default_rng(5))
    return net, settings, schedule, x, targets


def reference(net, settings, schedule, **errors):
    return Loihi2Reference(net, CHIP, load_chip_config("loihi2").learning, epsilon=EPSILON,
                           beta=BETA, loss_scale=settings.loss_scale,
                           weight_rates=settings.weight_rates, bias_rates=settings.bias_rates,
                           free_steps=T1, nudged_steps=T2,
                           symmetric=schedule.betas.shape[1] == 2, **errors)


def reference_samples(net, settings, schedule, x, targets, **errors):
    ref = reference(net, settings, schedule, **errors)
    return [ref.sample(x[i], targets[i]) for i in schedule.order[:, 0]]


def copies(graph):
    """Each copy by (projection, receiving population), with its synapses' mask (None:
    dense)."""
    out = {}
    for name, mirror in graph.synapses.items():
        proj = graph.network.projection(name)
        mask = proj.mask
        out[name, proj.post] = (mirror.forward, mask)
        if mirror.backward is not None:
            out[name, proj.pre] = (mirror.backward, None if mask is None else mask.T)
    return out


def read(graph, var, mask):
    """A dense Var as it is; a sparse one's entries (explicit zeros too) placed on its mask."""
    if mask is None:
        return var.get()
    dense = np.zeros(mask.shape)
    dense[np.nonzero(mask)] = graph.data.runtime.get_var(var.id, None)
    return dense


def config(graph):
    return Loihi2SimCfg(select_tag="fixed_pt", exception_proc_model_map=graph.process_models)


def run_case(case: str, samples: int = 4):
    """The ``case``'s graph over ``samples`` samples, read when the tag is stored and at the end
    of each sample: (problem, graph, per-sample records as the reference's)."""
    net, settings, schedule, x, targets = problem(samples, case=case)
    graph = build_loihi2_graph(net, settings, schedule, x, targets)
    pops, synapses = graph.populations.items(), copies(graph)
    first = 1 + T1 + (T2 if case != "layered" else 0)
    samples = []
    try:
        for _ in range(schedule.batches):
            graph.data.run(condition=RunSteps(num_steps=first), run_cfg=config(graph))
            tags = {k: read(graph, s.tag_1, m) for k, (s, m) in synapses.items()}
            graph.data.run(condition=RunSteps(num_steps=schedule.steps_per_batch - first),
                           run_cfg=config(graph))
            samples.append({"free": {n: p.s_free.get() for n, p in pops},
                            "nudged": {n: p.s.get() for n, p in pops},
                            "bias": {n: p.bias.get() for n, p in pops},
                            "weights": {k: read(graph, s.weights, m)
                                        for k, (s, m) in synapses.items()},
                            "tags": tags})
    finally:
        graph.data.stop()
    return (net, settings, schedule, x, targets), graph, samples


def differences(ref, got):
    """The (sample, kind, key) where the graph and the reference differ."""
    return [(k, kind, key) for k, (r, g) in enumerate(zip(ref, got))
            for kind in ("free", "nudged", "bias", "weights", "tags")
            for key in r[kind] if not np.array_equal(np.asarray(g[kind][key]), r[kind][key])]

