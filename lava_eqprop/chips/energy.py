"""Energy and latency per sample on a chip, from measured activity and a mapping.

The model charges each operation the chip performs its per-operation cost from the chip config
(Davies et al. 2018, Table 2, for Loihi 1). Per sample, with phases ph (load, free, nudged,
restore) of T_ph time steps:

    E = S·e_syn  +  Σ_ph [A_ph·e_act + (N·T_ph − A_ph)·e_inact]  +  Σ_P M_P·r_P  +  U·e_upd

* S synaptic operations (each message times the synapses it reaches, as the Lava models count);
* N neurons on the chip, A_ph of their updates active (a neuron that sent a message that step);
* M_P messages sent by population P; r_P the mean cost of delivering one of its messages to
  every core it reaches: e_tile inside a tile, else Σ tile hops (e_x east-west, e_y
  north-south) plus e_chip per chip boundary crossed, tiles placed as in :class:`CoreLimits`;
* U synaptic updates: every stored copy of a plastic synapse, once per sample (training only).

Time steps are synchronous (a barrier ends each), so a step lasts as long as its busiest core:

    L = Σ_ph T_ph·(max_c [s_ph·σ_c·t_syn + n_c·(a_c·t_act + (1 − a_c)·t_inact)] + t_route + t_sync)
        + max_c U_c·t_upd

with s_ph synaptic ops per step, σ_c core c's share of the synapses, n_c its neurons, a_c the
fraction of them active (their population's measured rate), t_route the slowest route used and
t_sync the barrier: interpolated between one tile and a whole chip, or the multi-chip barrier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lava_eqprop.chips.config import CoreLimits, EnergyCosts
from lava_eqprop.chips.mapping import Mapping, pathways, reached_slices
from lava_eqprop.errors import MappingError
from lava_eqprop.network.network import Network

FORMULA = ("E = S*e_syn + sum_ph[A_ph*e_act + (N*T_ph - A_ph)*e_inact] + sum_P M_P*r_P + U*e_upd;"
           "  L = sum_ph T_ph*(max_c[s_ph*sigma_c*t_syn + n_c*(a_c*t_act + (1-a_c)*t_inact)]"
           " + t_route + t_sync) + max_c U_c*t_upd")


@dataclass(frozen=True)
class Activity:
    """What one sample does (per sample): ``steps`` and ``synops`` per phase, ``events`` per
    population and phase, and whether the sample learns (training) or not (inference)."""

    steps: dict[str, int]
    events: dict[str, dict[str, float]]
    synops: dict[str, float]
    learns: bool


def tile_position(core: np.ndarray, cores: CoreLimits) -> tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray, np.ndarray]:
    """(chip, tile, x, y) of global core indices: cores fill a chip tile by tile, tiles fill the
    mesh row by row, ``mesh_columns`` tiles to a row."""
    chip, local = np.divmod(core, cores.cores_per_chip)
    tile = local // cores.cores_per_tile
    y, x = np.divmod(tile, cores.mesh_columns)
    return chip, tile, x, y


def route_costs(mapping: Mapping, network: Network, costs: EnergyCosts
                ) -> tuple[dict[str, float], float]:
    """Per population, the mean energy (pJ) of delivering one of its messages to every core
    it reaches; and the slowest single route in the network (ns)."""
    cores = mapping.chip.cores
    paths = pathways(network)
    energy = {pop.name: 0.0 for pop in network.populations}
    slowest = 0.0
    for pop in network.populations:
        outgoing = [w for w in paths if w.source == pop.name]
        chip_s, tile_s, x_s, y_s = tile_position(mapping.core_of(pop.name)[None, :], cores)
        for target, reached in reached_slices(outgoing, mapping.splits).items():
            first = min(c.index for c in mapping.cores if c.population == target)
            target_core = first + np.arange(len(reached))[:, None]
            chip_t, tile_t, x_t, y_t = tile_position(target_core, cores)
            local = (chip_s == chip_t) & (tile_s == tile_t)
            crossings = np.abs(chip_s - chip_t)
            dx, dy = np.abs(x_s - x_t), np.abs(y_s - y_t)
            pj = np.where(local, costs.spike_in_tile_pj, dx * costs.spike_hop_x_pj
                          + dy * costs.spike_hop_y_pj + crossings * costs.chip_crossing_pj)
            ns = np.where(local, costs.spike_in_tile_ns, dx * costs.spike_hop_x_ns
                          + dy * costs.spike_hop_y_ns + crossings * costs.chip_crossing_ns)
            energy[pop.name] += float(np.mean(np.sum(pj * reached, axis=0)))
            if reached.any():
                slowest = max(slowest, float(ns[reached].max()))
    return energy, slowest


def barrier_ns(mapping: Mapping, costs: EnergyCosts) -> float:
    """Barrier time per step: one tile to a whole chip, interpolated in the tiles in use."""
    cores = mapping.chip.cores
    if mapping.chips_used > 1:
        return costs.multi_chip_barrier_ns
    tiles = len({int(c.index) // cores.cores_per_tile for c in mapping.cores})
    per_chip = cores.cores_per_chip // cores.cores_per_tile
    fraction = (tiles - 1) / (per_chip - 1) if per_chip > 1 else 0.0
    return costs.barrier_sync_min_ns + fraction * (costs.barrier_sync_max_ns
                                                   - costs.barrier_sync_min_ns)


def plastic_synapses(mapping: Mapping, network: Network) -> np.ndarray:
    """Stored plastic synapses on every core (each direction's copy counts)."""
    per_core = np.zeros(len(mapping.cores))
    for path in pathways(network):
        if not network.projection(path.projection).plastic:
            continue
        rows = path.synapses.sum(axis=1)
        for core in mapping.cores:
            if core.population == path.target:
                per_core[core.index] += rows[core.start:core.stop].sum()
    return per_core


def estimate(mapping: Mapping, network: Network, activity: Activity) -> dict:
    """Energy (pJ) and latency (ns) per sample, by term, with each term's share (see the module
    docstring for the formula)."""
    costs, cores = mapping.chip.energy, mapping.chip.cores
    if costs is None or cores is None:
        raise MappingError(f"{mapping.chip.path}: chip {mapping.chip.name!r} has no [energy] "
                           "and [cores] sections, so no energy estimate")
    neurons = np.array([c.neurons for c in mapping.cores], dtype=float)
    synapses = np.array([c.synapses for c in mapping.cores], dtype=float)
    share = synapses / synapses.sum() if synapses.sum() else synapses
    sizes = {pop.name: pop.size for pop in network.populations}
    routes, slowest = route_costs(mapping, network, costs)
    sync = barrier_ns(mapping, costs)
    updates = plastic_synapses(mapping, network) if activity.learns else np.zeros(len(neurons))

    total_steps = sum(activity.steps.values())
    active = sum(sum(by_phase.values()) for by_phase in activity.events.values())
    energy = {
        "synaptic_ops": sum(activity.synops.values()) * costs.synaptic_op_pj,
        "neuron_updates": (active * costs.neuron_update_active_pj
                           + (neurons.sum() * total_steps - active)
                           * costs.neuron_update_inactive_pj),
        "spike_routing": sum(sum(activity.events[name].values()) * routes[name]
                             for name in activity.events),
        "learning": float(updates.sum()) * costs.synaptic_update_pj}
    compute = 0.0
    for phase, steps in activity.steps.items():
        if steps == 0:
            continue
        rate = {name: min(1.0, activity.events.get(name, {}).get(phase, 0.0)
                          / (sizes[name] * steps)) for name in sizes}
        a = np.array([rate[c.population] for c in mapping.cores])
        per_core = (activity.synops.get(phase, 0.0) / steps * share * costs.synaptic_op_ns
                    + neurons * (a * costs.neuron_update_active_ns
                                 + (1 - a) * costs.neuron_update_inactive_ns))
        compute += steps * float(per_core.max())
    latency = {"compute": compute, "routing": total_steps * slowest,
               "barrier": total_steps * sync,
               "learning": float(updates.max()) * costs.synaptic_update_ns}
    return {"energy_pj": _with_total(energy), "energy_share": _shares(energy),
            "latency_ns": _with_total(latency), "latency_share": _shares(latency),
            "steps": total_steps, "messages": active, "synops": sum(activity.synops.values()),
            "synaptic_updates": float(updates.sum()), "formula": FORMULA}


def _with_total(terms: dict[str, float]) -> dict[str, float]:
    return {k: float(v) for k, v in terms.items()} | {"total": float(sum(terms.values()))}


def _shares(terms: dict[str, float]) -> dict[str, float]:
    total = sum(terms.values())
    return {k: float(v / total) if total else 0.0 for k, v in terms.items()}
