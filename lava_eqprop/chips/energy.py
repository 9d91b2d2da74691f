"""Energy and latency per sample on a chip, from measured activity and a mapping.

The model charges each operation the chip performs its per-operation cost from the chip config
(Davies et al. 2018, Table 2, for Loihi 1). Per sample, with phases ph (load, free, nudged,
restore) of T_ph time steps:

    E = S·e_syn  +  Σ_ph [A_ph·e_act + (N·T_ph − A_ph)·e_inact]  +  Σ_P M_P·(r_P + x_P)  +  U·e_upd

* S synaptic operations (each message times the synapses it reaches, as the Lava models count);
* N neurons on the chip, A_ph of their updates active (a neuron that sent a message that step);
* M_P messages sent by population P; r_P the mean cost on chip of delivering one of its
  messages to every core it reaches: e_tile inside a tile, else Σ tile hops (e_x east-west,
  e_y north-south), tiles placed as in :class:`CoreLimits`; x_P the mean inter-chip cost of
  the same, e_chip per chip boundary crossed (:func:`chip_hops`: chips filled in core order,
  on a square grid), reported as its own term;
* U synaptic updates: every stored copy of a plastic synapse, once per sample (training only).

Time steps are synchronous (a barrier ends each), so a step lasts as long as its busiest core:

    L = Σ_ph T_ph·(max_c [s_ph·σ_c·t_syn + n_c·(a_c·t_act + (1 − a_c)·t_inact)] + t_route
                   + t_cross + t_sync) + max_c U_c·t_upd

with s_ph synaptic ops per step, σ_c core c's share of the synapses, n_c its neurons, a_c the
fraction of them active (their population's measured rate), t_route the on-chip part of the
slowest route used, t_cross the largest chip-crossing time of a route used (its own term) and
t_sync the barrier: interpolated between one tile and a whole chip, or the multi-chip barrier.

A network whose neurons need dendrites (:mod:`lava_eqprop.chips.dendrites`) is charged for
them too (:func:`with_dendrites`): their messages, their synaptic operations at the soma, and a
second time step per step of the dynamics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lava_eqprop.chips.config import CoreLimits, EnergyCosts
from lava_eqprop.chips.connectivity import slice_traffic
from lava_eqprop.chips.mapping import Mapping
from lava_eqprop.chips.pathways import ChipGraph, arranged_group
from lava_eqprop.errors import MappingError

FORMULA = ("E = S*e_syn + sum_ph[A_ph*e_act + (N*T_ph - A_ph)*e_inact] + sum_P M_P*(r_P + x_P)"
           " + U*e_upd;  L = sum_ph T_ph*(max_c[s_ph*sigma_c*t_syn + n_c*(a_c*t_act"
           " + (1-a_c)*t_inact)] + t_route + t_cross + t_sync) + max_c U_c*t_upd")


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


def chip_hops(chip_a: np.ndarray, chip_b: np.ndarray, chips: int) -> np.ndarray:
    """Chip boundaries a message crosses between chips ``chip_a`` and ``chip_b`` of a system
    of ``chips``, placed row by row on a square-ish grid ⌈√chips⌉ wide (an assumption: boards
    and systems join their chips in meshes whose shape is not published), Manhattan distance."""
    columns = max(1, math.ceil(math.sqrt(chips)))
    (ya, xa), (yb, xb) = np.divmod(chip_a, columns), np.divmod(chip_b, columns)
    return np.abs(xa - xb) + np.abs(ya - yb)


@dataclass(frozen=True)
class Routes:
    """What delivering messages costs on a mapping: per population, the mean energy (pJ) of
    delivering one of its messages to every core it reaches, on chip (``energy``: within a
    tile, or the tile hops) and between chips (``inter_chip``: the chip crossings); and the
    slowest route's on-chip part and chip-crossing part (ns)."""

    energy: dict[str, float]
    inter_chip: dict[str, float]
    slowest_ns: float
    slowest_crossing_ns: float


def route_costs(mapping: Mapping, costs: EnergyCosts) -> Routes:
    """The :class:`Routes` of ``mapping``, from the slice-to-slice traffic of every pair of
    groups (:func:`~lava_eqprop.chips.connectivity.slice_traffic`)."""
    cores = mapping.chip.cores
    first: dict[str, int] = {}
    for core in mapping.cores:
        first.setdefault(core.population, core.index)
    energy = {group.name: 0.0 for group in mapping.graph.groups}
    inter_chip = dict(energy)
    slowest = crossing = 0.0
    paths = mapping.graph.paths
    for source, target in dict.fromkeys((w.source, w.target) for w in paths):
        n_source = mapping.graph.group(source).size
        group = arranged_group([w for w in paths if (w.source, w.target) == (source, target)],
                               mapping.layouts)
        traffic = slice_traffic(
            [b for c in group
             for b in c.slice_blocks(mapping.layouts[target].cut(mapping.splits[target]))],
            mapping.layouts[source].cut(mapping.splits[source]))
        chip_s, tile_s, x_s, y_s = tile_position(
            first[source] + np.arange(mapping.splits[source])[None, :], cores)
        chip_t, tile_t, x_t, y_t = tile_position(
            first[target] + np.arange(mapping.splits[target])[:, None], cores)
        local = (chip_s == chip_t) & (tile_s == tile_t)
        crossings = chip_hops(chip_s, chip_t, mapping.chips_used)
        dx, dy = np.abs(x_s - x_t), np.abs(y_s - y_t)
        pj = np.where(local, costs.spike_in_tile_pj,
                      dx * costs.spike_hop_x_pj + dy * costs.spike_hop_y_pj)
        ns = np.where(local, costs.spike_in_tile_ns,
                      dx * costs.spike_hop_x_ns + dy * costs.spike_hop_y_ns)
        energy[source] += float(np.sum(traffic * pj)) / n_source
        inter_chip[source] += float(np.sum(traffic * crossings)) * costs.chip_crossing_pj / n_source
        used = traffic > 0
        if used.any():
            slowest = max(slowest, float(ns[used].max()))
            crossing = max(crossing, float(crossings[used].max()) * costs.chip_crossing_ns)
    return Routes(energy, inter_chip, slowest, crossing)


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


def with_dendrites(activity: Activity, graph: ChipGraph) -> tuple[Activity, int]:
    """``activity`` of the network as its chip graph does it, and the chip time steps per
    step of the dynamics. A dendrite (:mod:`lava_eqprop.chips.dendrites`) sends a partial sum
    as often as its soma sends (an assumption: the partial sum moves when the soma's drive
    does), each message one synaptic operation at the soma, and the soma's messages each
    reach its dendrites too; a graph with dendrites takes two time steps per step of the
    dynamics (the dendrites sum, then the somas update)."""
    events = dict(activity.events)
    synops = dict(activity.synops)
    for group in graph.groups:
        if group.dendrite_of is None:
            continue
        soma = activity.events.get(group.dendrite_of, {})
        events[group.name] = dict(soma)
        for phase, count in soma.items():
            synops[phase] = synops.get(phase, 0.0) + 2 * count
    stages = 2 if any(g.dendrite_of for g in graph.groups) else 1
    return Activity(activity.steps, events, synops, activity.learns), stages


def estimate(mapping: Mapping, activity: Activity, routes: Routes | None = None) -> dict:
    """Energy (pJ) and latency (ns) per sample, by term, with each term's share (see the module
    docstring for the formula); ``routes``: :func:`route_costs` of ``mapping``, when known."""
    costs, cores = mapping.chip.energy, mapping.chip.cores
    if costs is None or cores is None:
        raise MappingError(f"{mapping.chip.path}: chip {mapping.chip.name!r} has no [energy] "
                           "and [cores] sections, so no energy estimate")
    activity, stages = with_dendrites(activity, mapping.graph)
    neurons = np.array([c.neurons for c in mapping.cores], dtype=float)
    synapses = np.array([c.synapses for c in mapping.cores], dtype=float)
    share = synapses / synapses.sum() if synapses.sum() else synapses
    sizes = {group.name: group.size for group in mapping.graph.groups}
    routes = routes or route_costs(mapping, costs)
    sync = barrier_ns(mapping, costs)
    updates = np.array([c.plastic_synapses if activity.learns else 0 for c in mapping.cores],
                       dtype=float)

    total_steps = sum(activity.steps.values()) * stages
    active = sum(sum(by_phase.values()) for by_phase in activity.events.values())
    energy = {
        "synaptic_ops": sum(activity.synops.values()) * costs.synaptic_op_pj,
        "neuron_updates": (active * costs.neuron_update_active_pj
                           + (neurons.sum() * total_steps - active)
                           * costs.neuron_update_inactive_pj),
        "spike_routing": sum(sum(activity.events[name].values()) * routes.energy[name]
                             for name in activity.events),
        "inter_chip": sum(sum(activity.events[name].values()) * routes.inter_chip[name]
                          for name in activity.events),
        "learning": float(updates.sum()) * costs.synaptic_update_pj}
    compute = 0.0
    for phase, steps in activity.steps.items():
        if steps == 0:
            continue
        rate = {name: min(1.0, activity.events.get(name, {}).get(phase, 0.0)
                          / (sizes[name] * steps * stages)) for name in sizes}
        a = np.array([rate[c.population] for c in mapping.cores])
        per_core = (activity.synops.get(phase, 0.0) / steps * share * costs.synaptic_op_ns
                    + neurons * (a * costs.neuron_update_active_ns
                                 + (1 - a) * costs.neuron_update_inactive_ns))
        compute += steps * stages * float(per_core.max())
    latency = {"compute": compute, "routing": total_steps * routes.slowest_ns,
               "inter_chip": total_steps * routes.slowest_crossing_ns,
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
