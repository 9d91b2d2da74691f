"""Compile a network of the core description into a Lava process graph (not yet running).

One process per population (:class:`RatePopulation`), one per projection
(:class:`PlasticSynapse`), plus a :class:`PhaseController`, a :class:`DataSource` (the clamped
input population and the targets) and a :class:`Readout`. Connections:

    controller.ctrl_out ─► ctrl_in of every other process
    data.x_out          ─► pre_in/post_in of the synapses touching the input population
    data.t_out          ─► output population's tgt_in
    population.s_out    ─► pre_in/post_in of its synapses (and the readout, for the output)
    synapse.fwd_out     ─► post population's a_in;  synapse.bwd_out ─► pre population's a_in
                           (symmetric, non-lateral projections whose pre end is not clamped)

Fan-in to ``a_in`` is summed by Lava, so a population receives Σ_projections drive.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lava_eqprop.capabilities import check_network
from lava_eqprop.chips.fixed_point import activation_frac_bits
from lava_eqprop.errors import NetworkError
from lava_eqprop.lava_backend.procs.controller.process import PhaseController
from lava_eqprop.lava_backend.procs.data_source.process import DataSource
from lava_eqprop.lava_backend.procs.plastic_synapse.process import PlasticSynapse
from lava_eqprop.lava_backend.procs.rate_population.process import (
    RatePopulation,
    check_fixed_point_population,
)
from lava_eqprop.lava_backend.procs.readout.process import Readout
from lava_eqprop.lava_backend.schedule import Schedule
from lava_eqprop.lava_backend.settings import LavaSettings
from lava_eqprop.network.network import Network, Projection


@dataclass
class EPGraph:
    """The Lava processes of one compiled network, by name, and their connections."""

    network: Network
    settings: LavaSettings
    controller: PhaseController
    data: DataSource
    readout: Readout
    populations: dict[str, RatePopulation]
    synapses: dict[str, PlasticSynapse]
    connections: list[tuple[str, str, tuple[int, ...]]] = field(default_factory=list)

    @property
    def process_models(self) -> dict:
        """No process needs a model other than Lava's choice by tag."""
        return {}

    @property
    def processes(self) -> list:
        return ([self.controller, self.data] + list(self.populations.values())
                + list(self.synapses.values()) + [self.readout])

    def connect(self, src, src_port: str, dst, dst_port: str) -> None:
        out = getattr(src, src_port)
        getattr(dst, dst_port).connect_from(out)
        self.connections.append((f"{src.name}.{src_port}", f"{dst.name}.{dst_port}", out.shape))


def check_supported(network: Network, settings: LavaSettings) -> None:
    """Refuse, before anything is compiled, what the Lava backend of ``settings`` (its target
    and precision) does not implement."""
    settings.validate()
    where = f"network {network.name!r}"
    if len(network.inputs) != 1 or len(network.outputs) != 1:
        raise NetworkError(f"{where}: the Lava backend needs exactly one input and one output "
                           f"population, found inputs {[p.name for p in network.inputs]} and "
                           f"outputs {[p.name for p in network.outputs]}")
    if settings.precision == "fixed":
        for pop in network.populations:
            try:
                check_fixed_point_population(f"{where}, population {pop.name!r}", pop.act.lo,
                                             pop.act.hi, settings.dynamics.epsilon)
            except ValueError as exc:
                raise NetworkError(str(exc)) from None
    check_network(settings.backend, network)


def synapse_weight(projection: Projection, network: Network) -> tuple[np.ndarray, dict | None]:
    """The weight a PlasticSynapse holds for ``projection`` and its ``conv`` parameters (None
    for a dense weight). An identity skip g·I becomes the fixed 1×1 conv with kernel g·I over
    the channels between image populations, the dense g·I between flat ones."""
    pre, post = network.population(projection.pre), network.population(projection.post)
    if projection.kind == "dense":
        return projection.weight, None
    if projection.kind == "identity":
        gain = float(projection.weight)
        if len(pre.shape) != 3:
            return gain * np.eye(pre.size), None
        kernel = gain * np.eye(pre.shape[0])[:, :, None, None]
        return kernel, {"pre_shape": pre.shape, "post_shape": post.shape, "stride": 1,
                        "padding": 0, "pool": None, "pool_size": 2}
    geo = projection.geometry
    return projection.weight, {"pre_shape": pre.shape, "post_shape": post.shape,
                               "stride": geo.stride, "padding": geo.padding, "pool": geo.pool,
                               "pool_size": geo.pool_size}


def drives_pre(projection: Projection, network: Network) -> bool:
    """Whether a projection also drives its pre population (bwd_out = Wᵀ·ŝ_post): symmetric,
    not lateral, and the pre end is a free population (a clamped input needs no drive)."""
    return (projection.symmetric and not projection.lateral
            and not network.population(projection.pre).clamped)


def build_graph(network: Network, settings: LavaSettings, schedule: Schedule,
                x: np.ndarray, targets: np.ndarray) -> EPGraph:
    """Instantiate and connect the processes for ``schedule`` over the data ``x``/``targets``.

    ``settings.rates`` gives each projection's and population's learning rate (0: no learning).
    """
    check_supported(network, settings)
    batch, dense_events = settings.batch, settings.event_threshold == 0
    chip = settings.chip if settings.precision == "fixed" else None
    arithmetic = dataclasses.asdict(chip) if chip else None
    frac = {pop.name: (activation_frac_bits(pop.act.hi, chip.activation_bits) if chip else 0)
            for pop in network.populations}
    clamped = network.inputs[0]
    controller = PhaseController(free_steps=schedule.free_steps, nudged_steps=schedule.nudged_steps,
                                 betas=schedule.betas, n_valid=schedule.n_valid)
    data = DataSource(x=x, targets=targets, order=schedule.order, dense_events=dense_events,
                      input_frac_bits=frac[clamped.name] if chip else None,
                      activation_bits=chip.activation_bits if chip else None)
    output = network.outputs[0]
    pops = {
        pop.name: RatePopulation(
            batch=batch, size=pop.size, bias=pop.flat_bias(), lo=pop.act.lo, hi=pop.act.hi,
            epsilon=settings.dynamics.epsilon, nudged=pop is output, nudge=settings.dynamics.nudge,
            loss_scale=settings.loss_scale, bias_lr=settings.bias_rates.get(pop.name, 0.0),
            event_threshold=settings.event_threshold, arithmetic=arithmetic,
            settle_tol=settings.settle_tol, channels=pop.shape[0] if pop.channel_bias else 0,
            name=pop.name)
        for pop in network.free}
    synapses = {}
    for proj in network.projections:
        weight, conv = synapse_weight(proj, network)
        synapses[proj.name] = PlasticSynapse(
            batch=batch, weight=weight, mask=proj.mask, drives_pre=drives_pre(proj, network),
            lateral=proj.lateral,
            learning_rate=settings.weight_rates.get(proj.name, 0.0) if proj.plastic else 0.0,
            pre_dense=dense_events and proj.pre in pops,
            post_dense=dense_events and proj.post in pops,
            arithmetic=arithmetic, pre_frac_bits=frac[proj.pre], post_frac_bits=frac[proj.post],
            weight_exponent=settings.weight_exponents.get(proj.name), conv=conv, name=proj.name)
    readout = Readout(batch=batch, size=output.size)
    graph = EPGraph(network, settings, controller, data, readout, pops, synapses)

    for proc in graph.processes[1:]:
        graph.connect(controller, "ctrl_out", proc, "ctrl_in")
    senders = {name: (pop, "s_out") for name, pop in pops.items()} | {clamped.name: (data, "x_out")}
    for proj in network.projections:
        syn = synapses[proj.name]
        graph.connect(*senders[proj.pre], syn, "pre_in")
        graph.connect(*senders[proj.post], syn, "post_in")
        if proj.post in pops:
            graph.connect(syn, "fwd_out", pops[proj.post], "a_in")
        if syn.proc_params["drives_pre"]:
            graph.connect(syn, "bwd_out", pops[proj.pre], "a_in")
    graph.connect(data, "t_out", pops[output.name], "tgt_in")
    graph.connect(pops[output.name], "s_out", readout, "out_in")
    return graph


def graph_summary(graph: EPGraph) -> dict:
    """The process graph as plain data (for ``lava-eqprop compile``'s JSON file)."""
    return {
        "network": graph.network.name,
        "batch": graph.settings.batch,
        "precision": graph.settings.precision,
        "tag": graph.settings.tag,
        "event_threshold": graph.settings.event_threshold,
        "arithmetic": (dataclasses.asdict(graph.settings.chip)
                       if graph.settings.precision == "fixed" else "float64"),
        "processes": [{"name": proc.name, "type": type(proc).__name__,
                       "in_ports": {p.name: list(p.shape) for p in proc.in_ports.members},
                       "out_ports": {p.name: list(p.shape) for p in proc.out_ports.members},
                       "vars": {v.name: list(v.shape) for v in proc.vars.members}}
                      for proc in graph.processes],
        "connections": [{"from": src, "to": dst, "shape": list(shape)}
                        for src, dst, shape in graph.connections],
    }


def describe(graph: EPGraph) -> str:
    """The process graph as text: processes with their ports and shapes, then connections."""
    summary = graph_summary(graph)
    lines = [f"process graph of {summary['network']!r}: {len(summary['processes'])} processes, "
             f"{len(summary['connections'])} connections, batch {summary['batch']}, "
             f"{summary['precision']} precision ({summary['tag']} models)"]
    for proc in summary["processes"]:
        lines.append(f"  {proc['type']:15s} {proc['name']:22s} {port_list(proc)}")
    return "\n".join(lines + connection_lines(summary))


def port_list(proc: dict[str, Any]) -> str:
    """A summarised process's ports with their shapes, as one line of text."""
    return ", ".join(f"{name} {tuple(shape)}"
                     for name, shape in {**proc["in_ports"], **proc["out_ports"]}.items())


def connection_lines(summary: dict[str, Any]) -> list[str]:
    """The connections of a graph summary as text lines, under a heading."""
    return ["connections:"] + [f"  {c['from']:28s} -> {c['to']:28s} {tuple(c['shape'])}"
                               for c in summary["connections"]]
