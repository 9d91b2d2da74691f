"""The cross-check on the loihi2 target: the loihi2 graph against the engine, sample by sample.

The loihi2 graph (:func:`~lava_eqprop.lava_backend.loihi2.graph.build_loihi2_graph`) runs one
sample at a time and learns after every sample, so its answer is compared per sample: one graph
runs the probe's samples in order (LOAD, T1 free steps, T2 steps nudged by β; with the
symmetric estimator T2 steps nudged by −β, RESTORE and T2 steps nudged by +β), and before
sample k the host reads the forward synapses' weights W_k. The engine runs sample k from W_k
(the network's own weights for k = 0) with the same estimator
(:func:`~lava_eqprop.engine.estimators.ep_update`, one sample), so every sample is compared on
the weights the graph had; an error does not carry over to the next sample's reference.

Per sample, from the graph's Vars:

* the free and nudged end states: each population's ``s_free`` and ``s`` (the +β end state with
  the symmetric estimator, whose −β end enters ΔW);
* ΔW of both mirrored copies, W_after − W_before of each ``weights`` Var (the backward copy's
  transposed), divided by what the rule's rate makes of the engine's direction: the graph
  learns ΔW = m·2^E·(ρρ^β − ρρ^0) with m·2^E ≈ η/β, and the engine's one-sample direction is
  (1/β)(ρρ^β − ρρ^0), so ΔW = m·2^E·β·direction; symmetric, m·2^E ≈ η/(2β) and the direction
  (1/(2β))(ρρ^{+β} − ρρ^{−β}), so ΔW = m·2^E·2β·direction (:func:`update_scale`);
* the energy along the free phase, at the probe's checks, on W_k (the graph pauses there).

Biases do not learn here (η_b = 0), as in the cpu target's probe. Tolerance: the graph's step is
the engine's synchronous iteration in float64, the same scheme as Lava float on the cpu target
(:mod:`lava_eqprop.crosscheck.tolerances`): distance 1e-9 for every state and, for ΔW,
:func:`~lava_eqprop.crosscheck.tolerances.product_bound` over the two contrasted states of the
sample with β, or 2β for the symmetric estimator. Fixed point is refused by name: the graph's own
refusals (its :class:`~lava_eqprop.errors.NetworkError`), and where it builds, the cross-check's
tolerances do not cover the loihi2 graph's integer formats.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass

import numpy as np

from lava_eqprop.crosscheck import tolerances as tol
from lava_eqprop.engine.estimators import EPSettings, ep_update
from lava_eqprop.engine.loss import SquaredError
from lava_eqprop.engine.phases import EPPhases, ProbeSettings, energy_of
from lava_eqprop.engine.relaxation import Dynamics, Relaxer
from lava_eqprop.errors import NetworkError
from lava_eqprop.lava_backend.loihi2.graph import Loihi2Graph, build_loihi2_graph
from lava_eqprop.lava_backend.readback import synapse_weights
from lava_eqprop.lava_backend.runner import GraphRun
from lava_eqprop.lava_backend.schedule import Schedule
from lava_eqprop.lava_backend.settings import LavaSettings
from lava_eqprop.network.network import Network

ESTIMATORS = ("one_sided", "symmetric")
MIRROR = " (mirror)"        # the ΔW key of a projection's backward copy


@dataclass
class Loihi2Answer:
    """The graph's answer and the engine's from the same weights, per sample: states
    (samples, size), ΔW directions (samples, post, pre) keyed by projection and by projection +
    :data:`MIRROR` for the backward copy; the graph's distance from the engine; the rule's
    rates m·2^E."""

    graph: EPPhases
    engine: EPPhases
    distance: tol.Distance
    rule_rates: dict[str, float]


def sample_schedule(n_samples: int, probe: ProbeSettings, estimator: str) -> Schedule:
    """One sample per batch in their order; nudged phases at β, or (β, −β) symmetric."""
    betas = [probe.beta, -probe.beta] if estimator == "symmetric" else [probe.beta]
    return Schedule(probe.free_steps, probe.nudged_steps, np.arange(n_samples)[:, None],
                    np.tile(betas, (n_samples, 1)), np.ones(n_samples, dtype=int))


def contrast_span(beta: float, estimator: str) -> float:
    """What the engine's direction divides the contrast by: β, or 2β (symmetric)."""
    return 2 * beta if estimator == "symmetric" else beta


def update_scale(graph: Loihi2Graph, beta: float, estimator: str) -> dict[str, float]:
    """Per projection, the graph's ΔW per unit of the engine's one-sample direction: m·2^E·β,
    or m·2^E·2β with the symmetric estimator (module docstring)."""
    span = contrast_span(beta, estimator)
    return {name: scale.rate * span for name, scale in graph.scales.items()}


def loihi2_phases(network: Network, settings: LavaSettings, dynamics: Dynamics,
                  loss: SquaredError, x: np.ndarray, targets: np.ndarray, probe: ProbeSettings,
                  estimator: str) -> Loihi2Answer:
    """Run the loihi2 graph on the samples and the engine on each from the graph's weights
    (module docstring); NetworkError for what the graph or this comparison does not build."""
    if estimator not in ESTIMATORS:
        raise NetworkError(f"the loihi2 graph learns with the {' or '.join(ESTIMATORS)} "
                           f"estimator, not {estimator!r}")
    unrolled = [p.name for p in network.projections if p.kind != "dense"]
    if unrolled:
        raise NetworkError(f"projection {unrolled[0]!r}: the loihi2 graph unrolls it into "
                           "synapses that learn apart within a run, which the engine's tied "
                           "weights cannot start the next sample from; the cross-check "
                           "compares dense (masked or not) projections")
    settings = dataclasses.replace(settings, batch=1, target="loihi2", bias_rates={})
    schedule = sample_schedule(len(x), probe, estimator)
    graph = build_loihi2_graph(network, settings, schedule, x, targets)
    if settings.precision != "float":
        raise NetworkError(f"network {network.name!r}: the fixed-point loihi2 graph builds, but "
                           "the cross-check has no tolerance for its integer formats")
    scale = update_scale(graph, probe.beta, estimator)
    ep = EPSettings(beta=probe.beta, free_steps=probe.free_steps,
                    nudged_steps=probe.nudged_steps, estimator=estimator)
    weights = {name: (network.projection(name).weight,
                      network.projection(name).weight.T if m.backward else None)
               for name, m in graph.synapses.items()}
    graph_samples, engine_samples, energies, bounds = [], [], [], []
    received = 0

    def count(message: np.ndarray) -> None:
        nonlocal received
        received += 1

    with GraphRun(graph) as run:
        for k in range(len(x)):
            net = copy.deepcopy(network)
            for name, (forward, _) in weights.items():
                net.projection(name).weight = np.array(forward)
            sample, target = x[k:k + 1], targets[k:k + 1]
            done, sample_energies = 0, []
            for check in probe.checks():
                run.run(1 + check - done, count)
                done = 1 + check
                states = {name: run.get(p.s)[None, :] for name, p in graph.populations.items()}
                sample_energies.append(energy_of(net, sample, states)[0])
            run.run(schedule.steps_per_batch - done, count, expected=k + 1 - received)
            after = {name: copy_weights(run, graph, name) for name in graph.synapses}
            graph_samples.append(
                ({n: run.get(p.s_free) for n, p in graph.populations.items()},
                 {n: run.get(p.s) for n, p in graph.populations.items()},
                 _updates(weights, after, scale)))
            engine, contrasted = _engine_sample(net, dynamics, loss, sample, target, ep)
            engine_samples.append(engine)
            bounds.append(tol.product_bound(net, contrast_span(probe.beta, estimator), contrasted,
                                            (tol.FLOAT_FLOOR, tol.FLOAT_FLOOR)))
            energies.append(sample_energies)
            weights = after
    weight_bound: dict[str, float | np.ndarray] = {}
    for name, mirror in graph.synapses.items():
        weight_bound[name] = np.stack([b[name] for b in bounds])
        if mirror.backward is not None:
            weight_bound[name + MIRROR] = weight_bound[name]
    return Loihi2Answer(
        _stacked(graph_samples, np.array(energies).T), _stacked(engine_samples, None),
        tol.Distance(tol.FLOAT_FLOOR, tol.FLOAT_FLOOR, weight_bound),
        {name: s.rate for name, s in graph.scales.items()})


def copy_weights(run: GraphRun, graph: Loihi2Graph,
                 name: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(W forward, W backward) of a projection as dense (post, pre) and (pre, post) arrays
    (zeros off a mask); None for a missing mirror."""
    mirror, mask = graph.synapses[name], graph.layouts[name].mask
    backward = None
    if mirror.backward is not None:
        backward = synapse_weights(run, mirror.backward, None if mask is None else mask.T)
    return synapse_weights(run, mirror.forward, mask), backward


def _updates(before: dict, after: dict, scale: dict[str, float]) -> dict[str, np.ndarray]:
    """ΔW of each copy over the rule's scale: the engine's direction (module docstring)."""
    out = {}
    for name, (forward, backward) in after.items():
        out[name] = (forward - before[name][0]) / scale[name]
        if backward is not None:
            out[name + MIRROR] = (backward - before[name][1]).T / scale[name]
    return out


def _engine_sample(net: Network, dynamics: Dynamics, loss: SquaredError, x: np.ndarray,
                   target: np.ndarray, ep: EPSettings) -> tuple[tuple[dict, dict, dict],
                                                                tuple[dict, dict]]:
    """The engine on one sample: (free, nudged, ΔW directions) and the two contrasted states
    with the clamped input (for the ΔW bound)."""
    relaxer = Relaxer(net, dynamics, loss)
    name = net.inputs[0].name
    result = ep_update(relaxer, relaxer.clamp({name: x}), target, ep, np.random.default_rng(0))
    assert result.contrasted is not None        # set by the one-sided and symmetric estimators
    first, second, _ = result.contrasted
    free = {p.name: result.free_state[p.name][0] for p in net.free}
    nudged = {p.name: first[p.name][0] for p in net.free}
    updates = dict(result.weight_updates)
    for proj in net.projections:
        if not net.population(proj.pre).clamped:
            updates[proj.name + MIRROR] = updates[proj.name]
    first_x, second_x = ({**{p.name: state[p.name] for p in net.free}, name: x}
                         for state in (first, second))
    return (free, nudged, updates), (first_x, second_x)


def _stacked(samples: list[tuple], energies: np.ndarray | None) -> EPPhases:
    """Per-sample (free, nudged, ΔW) stacked along a first axis of samples."""
    free, nudged, updates = ({key: np.stack([s[i][key] for s in samples]) for key in samples[0][i]}
                             for i in range(3))
    return EPPhases(free, nudged, updates, {}, energies=energies)
