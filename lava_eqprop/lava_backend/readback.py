"""What the host reads back from a graph between runs: parameters and counters.

Reading goes through ``Var.get`` (about 17 µs per element in Lava 0.10), so it happens once
per run (an epoch, an evaluation), never per sample.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lava_eqprop.lava_backend.graph import EPGraph
from lava_eqprop.lava_backend.loihi2.graph import Loihi2Graph
from lava_eqprop.lava_backend.protocol import PHASE_NAMES
from lava_eqprop.lava_backend.runner import GraphRun


def read_parameters(run: GraphRun, graph: EPGraph) -> None:
    """Copy the learnt weights and biases back into ``graph.network`` (in place, same dtype);
    fixed-point mantissas become m·2^e, biases b·2^−F."""
    chip = graph.settings.chip if graph.settings.precision == "fixed" else None
    for name, synapse in graph.synapses.items():
        if not graph.network.projection(name).plastic:      # e.g. a fixed identity skip
            continue
        scale = 2.0 ** synapse.proc_params["weight_exponent"] if chip else 1.0
        graph.network.projection(name).weight[...] = run.get(synapse.weight) * scale
    for name, pop in graph.populations.items():
        scale = 2.0 ** -chip.state_frac_bits if chip else 1.0
        population = graph.network.population(name)
        bias = run.get(pop.bias) * scale
        if population.channel_bias:                     # every pixel of a channel holds it
            bias = bias.reshape(population.shape[0], -1)[:, 0]
        population.bias[...] = bias.reshape(np.shape(population.bias))


def read_counters(run: GraphRun, graph: EPGraph, samples: int) -> dict[str, Any]:
    """Events (messages) and synaptic operations per sample and phase, and the update magnitudes.

    ``events``: messages sent by the populations and the data source (``events_by_population``:
    the same per population, the data source counted as the input population); ``synops``:
    synaptic operations they caused; all per sample, by phase (load, free, nudged, restore).
    ``mean_abs_dw``/``rms_dw``: per projection, averaged over the updates of the run.
    ``saturations``: values clipped to a register's width, per sample (fixed point).
    """
    by_population = {name: run.get(p.events) for name, p in graph.populations.items()}
    by_population[graph.network.inputs[0].name] = run.get(graph.data.events)
    events = sum(by_population.values())
    synops = sum(run.get(s.synops) for s in graph.synapses.values())
    mean_dw, rms_dw = {}, {}
    for name, synapse in graph.synapses.items():
        total_abs, total_rms, count = run.get(synapse.dw_stats)
        mean_dw[name] = float(total_abs / count) if count else 0.0
        rms_dw[name] = float(total_rms / count) if count else 0.0
    saturations = sum(float(run.get(p.saturations)[0])
                      for p in [*graph.populations.values(), *graph.synapses.values()])
    return {
        "events": {phase: float(v) / samples for phase, v in zip(PHASE_NAMES, events)},
        "events_by_population": {
            name: {phase: float(v) / samples for phase, v in zip(PHASE_NAMES, counts)}
            for name, counts in by_population.items()},
        "synops": {phase: float(v) / samples for phase, v in zip(PHASE_NAMES, synops)},
        "mean_abs_dw": mean_dw,
        "rms_dw": rms_dw,
        "saturations": saturations / samples,
    }


def read_loihi2_parameters(run: GraphRun, graph: Loihi2Graph, updates: int) -> dict[str, Any]:
    """Copy the forward synapses' learnt weights and the populations' biases back into
    ``graph.network`` (in place; fixed point: mantissas M·2^(e−1), biases b·2^−F; an unrolled
    conv's kernel gains the fold of its synapses' changes,
    :meth:`~lava_eqprop.lava_backend.loihi2.layout.SynapseLayout.fold`, and a channel's bias
    the sum of its pixels' changes), and return the update
    magnitudes the host can tell from them: ``mean_abs_dw``/``rms_dw`` per learning
    projection, the net change of the run divided by its ``updates`` (stock synapses keep no
    statistics of their own updates), and ``mirror_mismatch``: per projection with a backward
    copy, the synapses where W and the mirror's Wᵀ differ (0 while they stay mirrored)."""
    plan = graph.plan
    mean_dw, rms_dw, mismatch = {}, {}, {}
    for name in graph.scales:
        mirror, layout = graph.synapses[name], graph.layouts[name]
        proj = graph.network.projection(name)
        forward = synapse_weights(run, mirror.forward, layout.mask)
        if mirror.backward is not None:
            backward = synapse_weights(run, mirror.backward,
                                       None if layout.mask is None else layout.mask.T)
            mismatch[name] = int(np.count_nonzero(forward != backward.T))
        scale = 2.0 ** plan.exponents[name] if plan else 1.0
        if layout.unrolled is None:
            change = forward * scale - proj.weight
        else:
            start = plan.mantissas[name] * scale if plan else layout.weights
            change = layout.fold(forward * scale - start)
        mean_dw[name] = float(np.mean(np.abs(change))) / updates
        rms_dw[name] = float(np.sqrt(np.mean(change ** 2))) / updates
        proj.weight += change
    scale = 2.0 ** -graph.settings.chip.state_frac_bits if plan and graph.settings.chip else 1.0
    for name, pop in graph.populations.items():
        population = graph.network.population(name)
        bias = run.get(pop.bias) * scale
        if population.channel_bias:     # each pixel learnt its own: the channel gains their sum
            start = np.asarray(pop.bias.init, dtype=float) * scale
            change = (bias - start).reshape(population.shape[0], -1).sum(axis=1)
            population.bias += change.reshape(np.shape(population.bias))
        else:
            population.bias[...] = bias.reshape(np.shape(population.bias))
    return {"mean_abs_dw": mean_dw, "rms_dw": rms_dw, "mirror_mismatch": mismatch}


def synapse_weights(run: GraphRun, synapse: Any, mask: np.ndarray | None) -> np.ndarray:
    """A stock synapse's weights as a dense (post, pre) array: a LearningDense's as they are, a
    LearningSparse's entries placed on ``mask`` (zeros elsewhere), in the synapse's units."""
    if mask is None:
        return run.get(synapse.weights)
    weights = np.zeros(np.shape(mask))
    weights[np.nonzero(mask)] = run.get_entries(synapse.weights)
    return weights
