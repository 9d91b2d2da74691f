"""The loihi2 graph (learning neurons, stock LearningDense with the EP rule) against the NumPy
engine, floating point, on a 6-5-3 layered net over several samples.

The engine runs the same phases per sample (free from zero, nudged from the free state, the
synchronous schedule, the same ε, joint nudge, half squared error) and the one-sided
estimator's update with the rule's rate: ΔW = m·2^E·β·(the engine's direction), Δb = η_b·(its
bias direction); with the symmetric estimator (the graph runs −β then +β, the engine +β then −β,
both from the free state) ΔW = m·2^E·2β·(its direction). A step of the graph is one engine iteration (the LOAD step absorbs the
synapses' one-step delay), so both sides agree to float64 rounding: stated tolerance 1e-12.
"""

import copy

import numpy as np
import pytest

from lava_eqprop.engine.estimators import EPSettings, ep_update
from lava_eqprop.engine.loss import get_loss
from lava_eqprop.engine.relaxation import Dynamics, Relaxer
from lava_eqprop.errors import NetworkError
from lava_eqprop.lava_backend.loihi2.graph import build_loihi2_graph
from lava_eqprop.lava_backend.schedule import Schedule, training_schedule
from lava_eqprop.lava_backend.settings import LavaSettings
from lava_eqprop.network.conv_nets import ConvLayer, Gains, Skip, conv_network
from lava_eqprop.network.generators import layered
from lava_eqprop.network.network import Network, Population, Projection
from tests.nets import directed_net

# isort: split
# (Lava after lava_eqprop.lava_backend, which installs its Python 3.11 fix)
from lava.magma.core.run_conditions import RunSteps
from lava.magma.core.run_configs import Loihi2SimCfg

pytestmark = pytest.mark.lava
TOL = 1e-12
EPSILON, BETA, SAMPLES = 0.5, 0.5, 4
EP = EPSettings(beta=BETA, free_steps=8, nudged_steps=5)
WEIGHT_RATE, BIAS_RATE = 0.3, 0.2


def problem():
    """A 6-5-3 net with random biases, SAMPLES inputs in [0, 1] (one exactly 0), targets."""
    rng = np.random.default_rng(4)
    net = layered([6, 5, 3], rng=rng, weight_gain=2.0)
    for pop in net.free:
        pop.bias = rng.uniform(-0.2, 0.4, pop.bias.shape)
    x = rng.uniform(0, 1, (SAMPLES, 6))
    x[0, 2] = 0.0
    targets = np.eye(3)[rng.integers(3, size=SAMPLES)]
    settings = LavaSettings(dynamics=Dynamics(epsilon=EPSILON), loss_scale=1.0,
                            weight_rates={p.name: WEIGHT_RATE for p in net.projections},
                            bias_rates={p.name: BIAS_RATE for p in net.free})
    schedule = training_schedule(SAMPLES, 1, EP, np.random.default_rng(5))
    return net, settings, schedule, x, targets


def engine_samples(net, schedule, x, targets, rates, ep=EP, bias_rate=BIAS_RATE):
    """Per scheduled sample: free and (+β) nudged end states, weight and bias updates (applied
    to ``net`` in place before the next sample)."""
    relaxer = Relaxer(net, Dynamics(EPSILON, "synchronous", "joint"),
                      get_loss("half_squared_error"))
    rng = np.random.default_rng(0)
    samples = []
    for i in schedule.order[:, 0]:
        clamped = relaxer.clamp({net.inputs[0].name: x[i:i + 1]})
        result = ep_update(relaxer, clamped, targets[i:i + 1], ep, rng)
        nudged = result.contrasted[0]
        span = 2 * BETA if ep.estimator == "symmetric" else BETA
        dw = {name: rates[name] * span * d for name, d in result.weight_updates.items()}
        db = {name: bias_rate * d for name, d in result.bias_updates.items()}
        for name, d in dw.items():
            net.projection(name).weight += d
        for name, d in db.items():
            net.population(name).bias += d
        samples.append({"free": {p.name: result.free_state[p.name][0] for p in net.free},
                        "nudged": {p.name: nudged[p.name][0] for p in net.free},
                        "dw": dw, "db": db})
    return samples


def dense_weights(graph, synapse, mask):
    """A LearningDense's weights; a LearningSparse's entries (explicit zeros included, row-major,
    as the runtime sends them) placed on ``mask``."""
    if mask is None:
        return synapse.weights.get()
    dense = np.zeros(mask.shape)
    dense[np.nonzero(mask)] = graph.data.runtime.get_var(synapse.weights.id, None)
    return dense


def weights(graph):
    """(W forward, W backward) of every projection; None for a missing mirror."""
    out = {}
    for name, m in graph.synapses.items():
        mask = graph.network.projection(name).mask
        backward = None
        if m.backward is not None:
            backward = dense_weights(graph, m.backward, None if mask is None else mask.T)
        out[name] = (dense_weights(graph, m.forward, mask), backward)
    return out


def lava_samples(graph):
    """Run the graph one sample at a time; per sample the free and nudged end states (s_free,
    s), both copies' weights and the biases after it."""
    anchor = graph.data
    steps = graph.schedule.steps_per_batch
    samples = []
    try:
        for _ in range(graph.schedule.batches):
            anchor.run(condition=RunSteps(num_steps=steps),
                       run_cfg=Loihi2SimCfg(select_tag=graph.settings.tag,
                                            exception_proc_model_map=graph.process_models))
            pops = graph.populations.items()
            samples.append({"free": {n: p.s_free.get() for n, p in pops},
                            "nudged": {n: p.s.get() for n, p in pops},
                            "weights": weights(graph),
                            "bias": {n: p.bias.get() for n, p in pops}})
    finally:
        anchor.stop()
    return samples


def assert_states_and_weights_match(net, graph, reference, ran):
    """Sample by sample: the free and nudged end states and the weight change of both mirrored
    copies equal the engine's to TOL, the copies stay each other's transpose, and every
    projection learnt (else the comparison would be empty)."""
    before = {p.name: (p.weight, p.weight.T) for p in net.projections}
    for k, (ref, got) in enumerate(zip(reference, ran)):
        for phase in ("free", "nudged"):
            for name, state in ref[phase].items():
                np.testing.assert_allclose(got[phase][name], state, rtol=0, atol=TOL,
                                           err_msg=f"sample {k}, {phase}, {name}")
        for name, (forward, backward) in got["weights"].items():
            dw = ref["dw"][name]
            np.testing.assert_allclose(forward - before[name][0], dw, rtol=0, atol=TOL)
            if backward is not None:
                np.testing.assert_allclose(backward - before[name][1], dw.T, rtol=0, atol=TOL)
                np.testing.assert_allclose(backward, forward.T, rtol=0, atol=TOL)
            before[name] = (forward, backward)
    for name in graph.synapses:
        moved = max(np.abs(ref["dw"][name]).max() for ref in reference)
        assert moved > 1e-2, f"{name} did not learn: the test would be empty"


@pytest.mark.timeout(60)
def test_loihi2_graph_trains_as_the_engine():
    net, settings, schedule, x, targets = problem()
    graph = build_loihi2_graph(net, settings, schedule, x, targets)
    kinds = [type(proc).__name__ for proc in graph.processes]
    assert {k: kinds.count(k) for k in set(kinds)} == {
        "PhaseCodeSource": 2, "SampleSource": 1, "PredictionReadout": 1,
        "LearningRatePopulation": 2, "LearningDense": 3}
    assert graph.synapses["input-h1"].backward is None      # the clamped input gets no drive
    rates = {name: scale.rate for name, scale in graph.scales.items()}
    assert rates == {"input-h1": 0.625, "h1-output": 0.625}    # 5·2^−3, nearest to η/β = 0.6
    reference = engine_samples(copy.deepcopy(net), schedule, x, targets, rates)
    ran = lava_samples(graph)

    assert_states_and_weights_match(net, graph, reference, ran)
    biases = {p.name: p.flat_bias() for p in net.free}
    for ref, got in zip(reference, ran):
        for name, bias in got["bias"].items():
            np.testing.assert_allclose(bias - biases[name], ref["db"][name], rtol=0, atol=TOL)
            biases[name] = bias
    states = np.concatenate([s for r in reference for s in r["free"].values()])
    assert np.any(states == 0.0) and np.any(states == 1.0)   # the clip acts on both sides


@pytest.mark.timeout(60)
def test_loihi2_graph_trains_the_symmetric_estimator_as_the_engine():
    """With a masked projection (LearningSparse) and biases learning η_b/(2β)·(s^β − s^−β)."""
    net, settings, _, x, targets = problem()
    mask = np.random.default_rng(2).uniform(size=(3, 5)) < 0.6
    net.projection("h1-output").mask = mask
    net.projection("h1-output").weight *= mask
    ep = EPSettings(beta=BETA, free_steps=8, nudged_steps=5, estimator="symmetric")
    schedule = training_schedule(SAMPLES, 1, ep, np.random.default_rng(5))
    graph = build_loihi2_graph(net, settings, schedule, x, targets)
    assert schedule.steps_per_batch == 1 + 8 + 5 + 1 + 5
    assert type(graph.synapses["h1-output"].backward).__name__ == "LearningSparse"
    rates = {name: scale.rate for name, scale in graph.scales.items()}
    assert rates == {"input-h1": 0.3125, "h1-output": 0.3125}   # 5·2^−4, nearest to η/(2β)
    reference = engine_samples(copy.deepcopy(net), schedule, x, targets, rates, ep)
    ran = lava_samples(graph)

    assert_states_and_weights_match(net, graph, reference, ran)
    assert all(np.all(got["weights"]["h1-output"][0][~mask] == 0) for got in ran)
    biases = {p.name: p.flat_bias() for p in net.free}
    for ref, got in zip(reference, ran):
        for name, bias in got["bias"].items():
            np.testing.assert_allclose(bias - biases[name], ref["db"][name], rtol=0, atol=TOL)
            biases[name] = bias
    assert max(np.abs(ref["db"]["output"]).max() for ref in reference) > 1e-3


@pytest.mark.timeout(60)
def test_free_term_first_moves_the_weights_between_the_phases():
    """The continual variant: the free term is applied at the end of the free phase, so the
    nudged phase runs with moved weights (its states differ from the exact rule's) and the
    sample's change is still m·2^E·(ρ_post^β ρ_pre^βᵀ − ρ_post^0 ρ_pre^0ᵀ) of the graph's own
    end states."""
    runs = {}
    for contrast in ("exact", "free_term_first"):
        net, settings, schedule, x, targets = problem()
        settings.contrast = contrast
        graph = build_loihi2_graph(net, settings, schedule, x, targets)
        runs[contrast] = (net, graph, lava_samples(graph))
    net, graph, ran = runs["free_term_first"]
    before = {p.name: p.weight for p in net.projections}
    x = {k: x_k for k, x_k in enumerate(problem()[3][graph.schedule.order[:, 0]])}
    for k, got in enumerate(ran):
        rate = graph.scales["h1-output"].rate
        post0, postb = got["free"]["output"], got["nudged"]["output"]
        pre0, preb = got["free"]["h1"], got["nudged"]["h1"]
        expected = rate * (np.outer(postb, preb) - np.outer(post0, pre0))
        forward = got["weights"]["h1-output"][0]
        np.testing.assert_allclose(forward - before["h1-output"], expected, rtol=0, atol=TOL)
        before["h1-output"] = forward
        rate = graph.scales["input-h1"].rate
        expected = rate * np.outer(got["nudged"]["h1"] - got["free"]["h1"], x[k])
        forward = got["weights"]["input-h1"][0]
        np.testing.assert_allclose(forward - before["input-h1"], expected, rtol=0, atol=TOL)
        before["input-h1"] = forward
    exact = runs["exact"][2]
    assert max(np.abs(a["nudged"]["h1"] - b["nudged"]["h1"]).max()
               for a, b in zip(exact, ran)) > 1e-3


@pytest.mark.timeout(90)
def test_unrolled_convs_learn_the_engines_kernel_update():
    """A conv net (padding, stride 2, average pooling, a learnt 1x1 skip conv, a fixed identity
    skip, channel biases, a dense head) unrolled into LearningSparse: after one sample the
    states are the engine's, and the kernels and channel biases read back (the fold of the
    per-synapse changes, the sum of the pixels' bias changes) take the engine's update."""
    from lava_eqprop.lava_backend.readback import read_loihi2_parameters
    from lava_eqprop.lava_backend.runner import GraphRun

    net = hopfield_conv_net(np.random.default_rng(0))
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (1, net.inputs[0].size))
    targets = np.eye(3)[[1]]
    settings = LavaSettings(dynamics=Dynamics(epsilon=EPSILON),
                            weight_rates={p.name: WEIGHT_RATE for p in net.projections
                                          if p.plastic},
                            bias_rates={p.name: BIAS_RATE for p in net.free})
    schedule = training_schedule(1, 1, EP, np.random.default_rng(5))
    graph = build_loihi2_graph(net, settings, schedule, x, targets)
    kinds = {type(m.forward).__name__ for m in graph.synapses.values()}
    assert kinds == {"LearningSparse", "LearningDense", "Sparse"}    # convs, head, identity
    rates = {name: scale.rate for name, scale in graph.scales.items()}
    reference = engine_samples(copy.deepcopy(net), schedule, x, targets, rates)[0]
    before = copy.deepcopy(net)
    with GraphRun(graph) as run:
        run.run(schedule.steps, lambda message: None, expected=1)
        states = {n: (run.get(p.s_free), run.get(p.s)) for n, p in graph.populations.items()}
        read_loihi2_parameters(run, graph, 1)
    for name, (free, nudged) in states.items():
        np.testing.assert_allclose(free, reference["free"][name].reshape(-1), rtol=0, atol=TOL)
        np.testing.assert_allclose(nudged, reference["nudged"][name].reshape(-1), rtol=0,
                                   atol=TOL)
    for name, dw in reference["dw"].items():
        change = net.projection(name).weight - before.projection(name).weight
        np.testing.assert_allclose(change, dw, rtol=0, atol=TOL, err_msg=name)
    for name, db in reference["db"].items():
        change = net.population(name).bias - before.population(name).bias
        np.testing.assert_allclose(change, db, rtol=0, atol=TOL, err_msg=name)
    assert min(np.abs(d).max() for d in reference["dw"].values()) > 1e-3


def test_large_convs_are_refused_with_their_synapse_count(monkeypatch):
    import lava_eqprop.lava_backend.loihi2.layout as layout

    monkeypatch.setattr(layout, "MAX_UNROLLED_ENTRIES", 100)
    net = hopfield_conv_net(np.random.default_rng(0))
    settings = LavaSettings(weight_rates={p.name: WEIGHT_RATE for p in net.projections})
    schedule = training_schedule(1, 1, EP, np.random.default_rng(5))
    # a 3x3 kernel with padding 1 over 6x6: 2 + 3 + 3 + 3 + 3 + 2 = 16 valid taps per axis,
    # 16² per output channel, 2 channels
    with pytest.raises(NetworkError, match=r"projection 'input-a': Lava has no learning conv "
                                           r"synapse, and unrolled it is 512 synapses in a "
                                           r"72 x 36 matrix"):
        build_loihi2_graph(net, settings, schedule, np.zeros((1, 36)), np.zeros((1, 3)))


def lateral_net(rng):
    """input → h → out with a symmetric lateral projection h → h."""
    w = rng.uniform(-0.5, 0.5, (5, 5))
    w = (w + w.T) / 2
    np.fill_diagonal(w, 0.0)
    pops = [Population("input", (6,), role="input"), Population("h", (5,)),
            Population("out", (3,), role="output")]
    projs = [Projection("in-h", "input", "h", rng.uniform(-.6, .6, (5, 6))),
             Projection("h-h", "h", "h", w),
             Projection("h-out", "h", "out", rng.uniform(-.6, .6, (3, 5)))]
    return Network("lateral", pops, projs)


def hopfield_conv_net(rng):
    """tests/nets.py's conv net (padding, stride 2, average pooling, a learnt 1x1 skip conv,
    an identity skip, channel biases, a dense head) with activations in [0, 1] throughout and
    positive biases, so that every layer is active."""
    layers = [ConvLayer("a", 2, 3, padding=1), ConvLayer("b", 2, 3, stride=2, padding=1),
              ConvLayer("c", 2, 3, padding=1), ConvLayer("d", 3, 2, pool="avg")]
    net = conv_network((1, 6, 6), layers, 3, rng=rng, skips=[Skip("a", "b"),
                                                            Skip("b", "c", "identity")],
                       gains=Gains(1.0, 0.7, 1.0), output_activation="hard_sigmoid")
    for pop in net.free:
        pop.bias = rng.uniform(0.1, 0.4, pop.bias.shape)
    return net


def max_pooled_net(rng):
    """A 1x4x4 input, a 2x4x4 conv layer and a max-pooled conv into the output."""
    layers = [ConvLayer("h", 2, 3, padding=1), ConvLayer("out", 3, 3, padding=1, pool="max")]
    return conv_network((1, 4, 4), layers, 2, rng=rng, name="max_pooled",
                        output_activation="hard_sigmoid")


def other_net(make):
    """A change that swaps the 6-5-3 net for ``make``'s (every projection learning)."""
    def change(net, settings, schedule):
        net = make(np.random.default_rng(0))
        settings.weight_rates = {p.name: WEIGHT_RATE for p in net.projections}
        return net, settings, schedule
    return change


def frozen(net, settings, schedule):
    settings.weight_rates = {}
    return net, settings, schedule


def slow(net, settings, schedule):
    settings.weight_rates = {p.name: 1e-4 for p in net.projections}
    return net, settings, schedule


def negative_beta(net, settings, schedule):
    betas = np.array([[BETA], [-BETA], [BETA], [BETA]])
    return net, settings, Schedule(schedule.free_steps, schedule.nudged_steps, schedule.order,
                                   betas, schedule.n_valid)


REFUSALS = {
    "max_pool": (other_net(max_pooled_net), "projection 'h-out': a max-pooled conv"),
    "lateral": (other_net(lateral_net), "projection 'h-h': lateral"),
    "directed": (other_net(directed_net), "projection 'h-out': directed"),
    "negative_beta": (negative_beta, "β < 0"),
    "frozen": (frozen, "projection 'input-h1': it does not learn"),
    "rate": (slow, r"projection 'input-h1': the learning rate per contrast \(η/β, or η/\(2β\) with the symmetric estimator\) = 0.0002 is not within 1/8"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_loihi2_graph_refuses_what_it_does_not_build(case):
    change, words = REFUSALS[case]
    net, settings, schedule, x, targets = problem()
    net, settings, schedule = change(net, settings, schedule)
    x = np.zeros((SAMPLES, net.inputs[0].size))
    targets = np.zeros((SAMPLES, net.outputs[0].size))
    with pytest.raises(NetworkError, match=words):
        build_loihi2_graph(net, settings, schedule, x, targets)
