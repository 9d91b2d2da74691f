"""The loihi2 graph as plain data and text, for ``lava-eqprop compile --target loihi2``, and
its traffic per sample.

Every process with its fully qualified class name, its kind (``neuron``: learning rate
populations; ``synapse``: stock Dense/LearningDense/Sparse/LearningSparse; ``io``: the
host-side sample source and readout; ``control``: the host-side phase codes), its ports and
Vars with their shapes and the widths known for it; then every connection, read from the ports
themselves.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from lava.magma.core.learning.constants import W_TAG_1_S, W_WEIGHTS_S
from lava.proc.dense.process import Dense
from lava.proc.sparse.process import Sparse

from lava_eqprop.lava_backend.graph import connection_lines, port_list
from lava_eqprop.lava_backend.loihi2.graph import Loihi2Graph
from lava_eqprop.lava_backend.procs.learning_population.process import (
    LearningRatePopulation,
    PhaseCodeSource,
)
from lava_eqprop.lava_backend.procs.loihi2_io.process import PredictionReadout, SampleSource
from lava_eqprop.lava_backend.protocol import PHASE_NAMES

KINDS = ((LearningRatePopulation, "neuron"), ((Dense, Sparse), "synapse"),
         ((SampleSource, PredictionReadout), "io"), (PhaseCodeSource, "control"))


def kind(proc: Any) -> str:
    """neuron, synapse, io or control (module docstring)."""
    return next(name for cls, name in KINDS if isinstance(proc, cls))


def widths(proc: Any, graph: Loihi2Graph) -> dict[str, Any]:
    """The widths known for a process: the arithmetic; a synapse's payload bits and weight
    exponent, and a learning synapse's rule scale (η/β = m·2^E, tag exponent K); in fixed point
    also Lava's learning-synapse weight and tag widths and the traces', a neuron's state,
    payload and trace widths and its drive shift."""
    fixed = graph.plan is not None and graph.settings.chip is not None
    known: dict[str, Any] = {"arithmetic": "fixed" if fixed else "float64"}
    if isinstance(proc, (Dense, Sparse)):
        known["num_message_bits"] = int(np.asarray(proc.num_message_bits.init).item())
        known["weight_exp"] = int(proc.proc_params.get("weight_exp", 0))
        projection = proc.name.rsplit(".", 1)[0]
        scale = graph.scales.get(projection)
        if scale is not None:
            known["rule"] = {"mantissa": scale.mantissa, "exponent": scale.exponent,
                             "tag_exponent": scale.tag_exponent, "t_epoch": 1}
            if fixed:
                known |= {"weight_bits": W_WEIGHTS_S, "tag_bits": W_TAG_1_S,
                          "trace_bits": graph.plan.learning.trace_bits}
    if isinstance(proc, LearningRatePopulation) and fixed:
        chip = graph.settings.chip
        known |= {"state_bits": chip.state_bits, "payload_bits": chip.activation_bits,
                  "trace_bits": graph.plan.learning.trace_bits,
                  "drive_shift": graph.plan.drive_shifts[proc.name]}
    return known


def connections(graph: Loihi2Graph) -> list[dict[str, Any]]:
    """Every connection out of a process of the graph, as ``{"from", "to", "shape"}``."""
    found = []
    for proc in graph.processes:
        for port in proc.out_ports.members:
            for dst in port.out_connections:
                found.append({"from": f"{proc.name}.{port.name}",
                              "to": f"{dst.process.name}.{dst.name}", "shape": list(port.shape)})
    return found


def loihi2_summary(graph: Loihi2Graph) -> dict[str, Any]:
    """The process graph as plain data (module docstring)."""
    return {
        "network": graph.network.name,
        "target": "loihi2",
        "precision": graph.settings.precision,
        "tag": graph.settings.tag,
        "rule_rates": {name: scale.rate for name, scale in graph.scales.items()},
        "processes": [{"name": proc.name,
                       "class": f"{type(proc).__module__}.{type(proc).__qualname__}",
                       "kind": kind(proc),
                       "in_ports": {p.name: list(p.shape) for p in proc.in_ports.members},
                       "out_ports": {p.name: list(p.shape) for p in proc.out_ports.members},
                       "vars": {v.name: list(v.shape) for v in proc.vars.members},
                       "widths": widths(proc, graph)}
                      for proc in graph.processes],
        "connections": connections(graph),
    }


def phase_steps(graph: Loihi2Graph) -> dict[str, int]:
    """Steps of one sample per phase (load, free, nudged, restore)."""
    schedule = graph.schedule
    nudged_phases = schedule.betas.shape[1]
    return {"load": 1, "free": schedule.free_steps,
            "nudged": nudged_phases * schedule.nudged_steps,
            "restore": max(nudged_phases - 1, 0)}


def traffic_per_sample(graph: Loihi2Graph) -> dict[str, dict[str, float]]:
    """Messages (``events``) and synaptic operations (``synops``) of one sample, by phase.

    Every neuron of the graph, and the sample source for the input, sends a graded payload
    every step (ρ = 0 as the smallest payload, :func:`~lava_eqprop.lava_backend.loihi2.rule.
    pre_payload`), so per step the events are the free neurons plus the inputs, and each
    synapse of every copy (a LearningDense's every entry, a LearningSparse's stored ones)
    receives one payload: synops = Σ synapses."""
    network = graph.network
    senders = sum(pop.size for pop in network.free) + network.inputs[0].size
    synapses = 0
    for name, mirror in graph.synapses.items():
        mask = graph.layouts[name].mask
        per_copy = (int(np.count_nonzero(mask)) if mask is not None
                    else int(np.prod(mirror.forward.weights.shape)))
        synapses += per_copy * (2 if mirror.backward is not None else 1)
    steps = phase_steps(graph)
    return {"events": {phase: float(senders * steps[phase]) for phase in PHASE_NAMES},
            "synops": {phase: float(synapses * steps[phase]) for phase in PHASE_NAMES}}


def describe_loihi2(graph: Loihi2Graph) -> str:
    """The process graph as text: processes by kind with their ports, then connections."""
    summary = loihi2_summary(graph)
    lines = [f"loihi2 process graph of {summary['network']!r}: {len(summary['processes'])} "
             f"processes, {len(summary['connections'])} connections, {summary['precision']} "
             f"precision ({summary['tag']} models), simulated by Lava on the CPU"]
    for proc in summary["processes"]:
        lines.append(f"  {proc['kind']:8s} {proc['class'].rsplit('.', 1)[1]:23s} "
                     f"{proc['name']:20s} {port_list(proc)}")
    return "\n".join(lines + connection_lines(summary))
