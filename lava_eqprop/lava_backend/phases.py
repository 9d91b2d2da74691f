"""The cross-check's question (:mod:`lava_eqprop.engine.phases`) answered by a Lava graph.

All samples travel as one batch through one compiled graph: LOAD, T1 free steps, T2 nudged
steps at β, and the graph's own learning step. What is reported comes out of Lava's Vars:

* equilibria: each population's ``s_free`` (saved on the last free step) and ``s`` (the nudged
  state), times 2^−F in fixed point;
* ΔW: the change of each synapse's weight Var made by the graph's local rule, divided by the
  rate it applied (float: η; fixed: the power-of-two 2^−k of η/(β·n) the shift applies, so
  ΔW = Δm·2^e·2^k/(β·n));
* settling: each population's ``settle`` Var (:class:`RatePopulation`, ``settle_tol``);
* energy: states read between runs at the probe's check steps (the graph pauses there).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from lava_eqprop.chips.fixed_point import power_of_two_shift
from lava_eqprop.engine.phases import EPPhases, ProbeSettings, energy_of
from lava_eqprop.lava_backend.graph import build_graph
from lava_eqprop.lava_backend.runner import GraphRun
from lava_eqprop.lava_backend.schedule import Schedule
from lava_eqprop.lava_backend.settings import LavaSettings
from lava_eqprop.network.network import Network


def probe_schedule(n_samples: int, settings: ProbeSettings) -> Schedule:
    """One batch of every sample in order, one nudged phase at +β."""
    return Schedule(settings.free_steps, settings.nudged_steps, np.arange(n_samples)[None, :],
                    np.array([[settings.beta]]), np.array([n_samples]))


def lava_phases(network: Network, settings: LavaSettings, x: np.ndarray, targets: np.ndarray,
                probe: ProbeSettings) -> EPPhases:
    """Run the probe's phases in a Lava graph of ``settings``' precision (see the module
    docstring). Projections the settings give no rate learn at rate 1 here (ΔW is read off the
    weights, so every plastic projection must learn)."""
    n = len(x)
    rates = {p.name: settings.weight_rates.get(p.name) or 1.0
             for p in network.projections if p.plastic}
    settings = dataclasses.replace(settings, batch=n, weight_rates=rates, bias_rates={},
                                   settle_tol=probe.tol)
    schedule = probe_schedule(n, probe)
    graph = build_graph(network, settings, schedule, x, targets)
    fixed = settings.precision == "fixed"
    unit = 2.0 ** -settings.chip.state_frac_bits if fixed else 1.0
    energies = []
    with GraphRun(graph) as run:
        done = 0
        if network.symmetric:
            for check in probe.checks():
                run.run(1 + check - done, _ignore)
                done = 1 + check
                states = {k: run.get(p.s) * unit for k, p in graph.populations.items()}
                energies.append(energy_of(network, x, states))
        run.run(schedule.steps - done, _ignore)
        free = {k: run.get(p.s_free) * unit for k, p in graph.populations.items()}
        nudged = {k: run.get(p.s) * unit for k, p in graph.populations.items()}
        settle = np.max([run.get(p.settle) for p in graph.populations.values()], axis=0)
        weights = {k: run.get(s.weight) for k, s in graph.synapses.items() if k in rates}
    updates = {}
    for name, after in weights.items():
        synapse = graph.synapses[name]
        before = np.asarray(synapse.weight.init)
        if fixed:
            shift = power_of_two_shift(rates[name] / (probe.beta * n))
            change = (after - before) * 2.0 ** (synapse.proc_params["weight_exponent"] + shift)
            updates[name] = change / (probe.beta * n)
        else:
            updates[name] = (after - before) / rates[name]
    return EPPhases(
        free, nudged, updates, {},
        settle_steps={"free": int(min(settle[0] or 1, probe.free_steps)),
                      "nudged": int(min(settle[1] or 1, probe.nudged_steps))},
        residual={"free": float(settle[2]), "nudged": float(settle[3])},
        energies=np.array(energies) if energies else None)


def _ignore(message: np.ndarray) -> None:
    """Readout messages are not needed: the probe reads the Vars."""
