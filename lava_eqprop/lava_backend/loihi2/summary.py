"""The loihi2 graph as plain data and text, for ``lava-eqprop compile --target loihi2``.

Every process with its fully qualified class name, its kind (``neuron``: learning rate
populations; ``synapse``: stock Dense/LearningDense; ``io``: the host-side sample source and
readout; ``control``: the host-side phase codes), its ports and Vars with their shapes and the
widths known for it; then every connection, read from the ports themselves.
"""

from __future__ import annotations

from typing import Any

from lava.proc.dense.process import Dense

from lava_eqprop.lava_backend.graph import connection_lines, port_list
from lava_eqprop.lava_backend.loihi2.graph import Loihi2Graph
from lava_eqprop.lava_backend.procs.learning_population.process import (
    LearningRatePopulation,
    PhaseCodeSource,
)
from lava_eqprop.lava_backend.procs.loihi2_io.process import PredictionReadout, SampleSource

KINDS = ((LearningRatePopulation, "neuron"), (Dense, "synapse"),
         ((SampleSource, PredictionReadout), "io"), (PhaseCodeSource, "control"))


def kind(proc: Any) -> str:
    """neuron, synapse, io or control (module docstring)."""
    return next(name for cls, name in KINDS if isinstance(proc, cls))


def widths(proc: Any, graph: Loihi2Graph) -> dict[str, Any]:
    """The widths known for a process: the arithmetic, and a synapse's payload bits."""
    known: dict[str, Any] = {"arithmetic": "float64" if graph.settings.precision == "float"
                             else "fixed"}
    if isinstance(proc, Dense):
        known["num_message_bits"] = int(proc.num_message_bits.init)
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
