"""The fixed-point Lava graph against an independent integer reference, bit for bit.

The ``fixed_pt`` process models compute in integers only: payloads, drives, states, weight
mantissas and biases are int64, every narrowing saturates and every shift rounds half up
(the chip configs' ``nearest``). So the graph and :mod:`integer_reference`, written from the
documented formats and step equations, must agree exactly, and ``np.array_equal`` is the
right test: a bound (``test_fixed_vs_engine.py``) cannot see a one-LSB bias, an equality does.

Each case trains a small net for a few samples through the compiled graph, one batch per
``GraphRun.run``, and compares after every batch: the free and the final (nudged) integer
states of every population, the weight mantissas and the biases; at the end the readout's
predictions (the argmax of the output's payloads) and the event, synaptic-operation and
saturation counters. The cases cover batch 1 and a padded batch of 2, layered and
small-world nets (masks, lateral projections), joint and split nudges, the one-sided (both β
signs) and symmetric estimators, a β whose nudge factor c = β·scale falls on a rounding tie,
ε = 1 and ε = 2^−1, sparse events (θ > 0), a clipped-ReLU output (another payload format) and
narrow registers that saturate. The perturbation tests show that the comparison fails when one
rounding of the models moves by an LSB or one shift by a bit.
"""

import copy
import dataclasses
from dataclasses import dataclass

import numpy as np
import pytest

from lava_eqprop.chips.config import load_chip
from lava_eqprop.engine.relaxation import Dynamics
from lava_eqprop.network.generators import layered, small_world
from tests.lava_backend.integer_reference import FixedPointReference

pytestmark = pytest.mark.lava


@dataclass(frozen=True)
class Case:
    topology: str
    batch: int
    samples: int
    betas: tuple[tuple[float, ...], ...]     # per batch
    epsilon: float = 0.5
    nudge: str = "joint"
    event_threshold: float = 0.0
    narrow: bool = False                    # registers narrow enough to saturate
    rate: float = 0.2                       # weight learning rate of the first projection
    free_steps: int = 8
    nudged_steps: int = 4


CASES = {
    # β·256 = 128.5 in the last batch: c = β·scale on the nudge_frac_bits grid rounds a tie
    "layered-batch1": Case("layered", 1, 3, ((0.5,), (-0.3,), (257 / 512,))),
    "small_world-batch2": Case("small_world", 2, 3, ((0.5,), (-0.4,)), epsilon=1.0),
    "layered-split-sparse-narrow": Case("layered", 2, 4, ((0.5, -0.5), (0.25, -0.25)),
                                        nudge="split", event_threshold=0.03, narrow=True,
                                        rate=8.0),
}


def make_network(case: Case):
    rng = np.random.default_rng(11)
    output = "clipped_relu" if case.narrow else None
    net = layered([10, 8, 6, 3], rng=rng, weight_gain=0.6, output_activation=output)
    if case.topology == "small_world":
        net = small_world(net, 0.3, rng=rng, pool="any")
    for pop in net.free:
        pop.bias = rng.uniform(0.05, 0.5, pop.shape)
    x = rng.uniform(0, 1, (case.samples, 10))
    y = np.eye(3)[rng.integers(0, 3, case.samples)]
    return net, x, y


def make_chip(case: Case):
    chip = load_chip("loihi2")
    if case.narrow:     # drives below 1 state unit, 3-bit weights: both saturate
        chip = dataclasses.replace(chip, accumulator_bits=13, weight_bits=3, weight_headroom=1.0)
    return chip


def rates(net, case: Case):
    weight = {p.name: case.rate / (k + 1) for k, p in enumerate(net.projections)}
    bias = {p.name: 0.1 for p in net.free}
    return weight, bias


def batches(case: Case) -> np.ndarray:
    order = np.full((len(case.betas), case.batch), -1)
    order.reshape(-1)[:case.samples] = np.arange(case.samples)
    return order


def run_graph(case: Case) -> dict:
    """The compiled fixed-point graph, read after every batch and at the end."""
    from lava_eqprop.lava_backend.graph import build_graph
    from lava_eqprop.lava_backend.runner import GraphRun
    from lava_eqprop.lava_backend.schedule import Schedule
    from lava_eqprop.lava_backend.settings import LavaSettings

    net, x, y = make_network(case)
    weight_rates, bias_rates = rates(net, case)
    settings = LavaSettings(batch=case.batch, precision="fixed",
                            dynamics=Dynamics(epsilon=case.epsilon, nudge=case.nudge),
                            event_threshold=case.event_threshold,
                            weight_rates=weight_rates, bias_rates=bias_rates,
                            watchdog_seconds=30, chip=make_chip(case))
    order = batches(case)
    schedule = Schedule(case.free_steps, case.nudged_steps, order, np.array(case.betas),
                        (order >= 0).sum(axis=1))
    graph = build_graph(copy.deepcopy(net), settings, schedule, x, y)
    messages, after = [], []
    with GraphRun(graph) as run:
        for _ in range(schedule.batches):
            run.run(schedule.steps_per_batch, messages.append, expected=1)
            after.append({
                "free": {k: run.get(p.s_free) for k, p in graph.populations.items()},
                "final": {k: run.get(p.s) for k, p in graph.populations.items()},
                "mantissas": {k: run.get(s.weight) for k, s in graph.synapses.items()},
                "biases": {k: run.get(p.bias) for k, p in graph.populations.items()}})
        events = {k: run.get(p.events) for k, p in graph.populations.items()}
        events[net.inputs[0].name] = run.get(graph.data.events)
        counters = {
            "events": events,
            "synops": {k: run.get(s.synops) for k, s in graph.synapses.items()},
            "saturations": {k: run.get(p.saturations)[0] for k, p in
                            [*graph.populations.items(), *graph.synapses.items()]}}
    return {"after": after, "counters": counters,
            "predictions": [np.asarray(m[1:]) for m in sorted(messages, key=lambda m: m[0])],
            "exponents": {k: s.proc_params["weight_exponent"] for k, s in graph.synapses.items()}}


def run_reference(case: Case) -> dict:
    """The same batches through :class:`FixedPointReference`."""
    net, x, y = make_network(case)
    weight_rates, bias_rates = rates(net, case)
    ref = FixedPointReference(net, make_chip(case), batch=case.batch, epsilon=case.epsilon,
                              nudge=case.nudge, event_threshold=case.event_threshold,
                              weight_rates=weight_rates, bias_rates=bias_rates)
    initial = {"mantissas": {k: m.copy() for k, m in ref.mantissas.items()},
               "biases": {k: b.copy() for k, b in ref.biases.items()}}
    after, predictions, records = [], [], []
    for rows, betas in zip(batches(case), case.betas):
        rows = rows[rows >= 0]
        record = ref.run_batch(x[rows], y[rows], betas, case.free_steps, case.nudged_steps)
        records.append(record)
        predictions.append(record.predictions)
        after.append({"free": record.free, "final": record.final,
                      "mantissas": {k: m.copy() for k, m in ref.mantissas.items()},
                      "biases": {k: b.copy() for k, b in ref.biases.items()}})
    counters = {"events": ref.events, "synops": ref.synops, "saturations": ref.saturations}
    return {"after": after, "counters": counters, "predictions": predictions,
            "exponents": ref.exponents, "records": records, "initial": initial, "hi": ref.hi}


def mismatches(graph: dict, ref: dict) -> list[str]:
    """Every quantity (name, batch, population or projection) where the two differ."""
    found = [f"exponent {k}" for k in ref["exponents"]
             if graph["exponents"][k] != ref["exponents"][k]]
    for b, (g, r) in enumerate(zip(graph["after"], ref["after"])):
        for what in ("free", "final", "mantissas", "biases"):
            found += [f"{what} {k} batch {b}" for k in r[what]
                      if not np.array_equal(g[what][k], r[what][k])]
    for b, (g, r) in enumerate(zip(graph["predictions"], ref["predictions"])):
        if not np.array_equal(g, r):
            found.append(f"predictions batch {b}")
    for what in ("events", "synops", "saturations"):
        found += [f"{what} {k}" for k, r in ref["counters"][what].items()
                  if not np.array_equal(graph["counters"][what][k], r)]
    return found


@pytest.mark.parametrize("name", CASES)
def test_graph_equals_integer_reference(name):
    case = CASES[name]
    ref = run_reference(case)
    graph = run_graph(case)
    assert mismatches(graph, ref) == []
    # the comparison is not empty: weights and biases learnt, states inside the clip box,
    # and the case's saturations and suppressed events happened
    last = ref["after"][-1]
    for what in ("mantissas", "biases"):
        assert any(not np.array_equal(v, ref["initial"][what][k]) for k, v in last[what].items())
    free = ref["after"][0]["free"]
    assert max(np.mean((v > 0) & (v < ref["hi"][k])) for k, v in free.items()) > 0.3
    if case.narrow:
        saturations = ref["counters"]["saturations"]
        assert sum(v for k, v in saturations.items() if k in free) > 0
        assert sum(v for k, v in saturations.items() if k not in free) > 0
    if case.event_threshold:
        steps = len(ref["records"][0].states[next(iter(free))])
        dense = sum(v.shape[1] for v in free.values()) * steps * case.samples
        assert sum(ref["counters"]["events"][k].sum() for k in free) < dense


def truncate_payload(monkeypatch):
    """The activity payload ⌊v·2^(Fa − F)⌉ truncated instead of rounded half up."""
    from lava_eqprop.lava_backend.procs.rate_population import models

    monkeypatch.setattr(models.PyRatePopulationModelFixed, "_activity",
                        lambda self: self.s >> (self._f - self._fa))


def ties_down(monkeypatch):
    """The population's shifts (ε step, nudge, payload) round ties down instead of up."""
    from lava_eqprop.lava_backend.procs.rate_population import models

    original = models.shift_round

    def half_down(x, k, mode="nearest", rng=None):
        if k <= 0 or mode != "nearest":
            return original(x, k, mode, rng)
        return (np.asarray(x, dtype=np.int64) + (1 << (k - 1)) - 1) >> k

    monkeypatch.setattr(models, "shift_round", half_down)


def drive_shift_one_more(monkeypatch):
    """The forward drive W·p̂_pre shifted right by one bit more."""
    from lava_eqprop.lava_backend.procs.plastic_synapse import models

    cls = models.PyPlasticSynapseModelFixed
    original = cls.__init__

    def init(self, proc_params):
        original(self, proc_params)
        self._shift_fwd += 1

    monkeypatch.setattr(cls, "__init__", init)


def learning_shift_one_more(monkeypatch):
    """The weight update's learning-rate shift one bit more (Δm halved)."""
    from lava_eqprop.lava_backend.procs.plastic_synapse import models

    original = models.power_of_two_shift
    monkeypatch.setattr(models, "power_of_two_shift", lambda rate: original(rate) + 1)


@pytest.mark.parametrize("perturb", [truncate_payload, ties_down, drive_shift_one_more,
                                     learning_shift_one_more], ids=lambda f: f.__name__)
def test_a_one_lsb_change_in_the_models_is_caught(perturb, monkeypatch):
    """The graph, with one rounding of its models moved by an LSB or one shift by a bit, no
    longer equals the reference; the learning-rate shift leaves the first batch's phases
    exact and shows in its weights only."""
    case = CASES["layered-batch1"]
    ref = run_reference(case)
    perturb(monkeypatch)
    found = mismatches(run_graph(case), ref)
    if perturb is learning_shift_one_more:
        assert not [m for m in found if m.endswith("batch 0") and m.split()[0] in ("free", "final")]
        assert [m for m in found if m.startswith("mantissas") and m.endswith("batch 0")]
    else:
        assert [m for m in found if m.startswith("free") and m.endswith("batch 0")], found
