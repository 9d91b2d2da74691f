"""What the loihi2 training graph stores on Loihi 2 (``lava-eqprop map --target loihi2``),
counted from the network and the chip config alone.

The graph (:mod:`lava_eqprop.lava_backend.loihi2.graph`, its module docstring) has one learning
neuron per free neuron and, per symmetric projection pre → post, two stock learning synapses:
the forward copy W (post, pre), into post, and the backward mirror Wᵀ (pre, post), into pre; a
projection from the clamped input has the forward copy only. An unmasked projection's copies
are ``LearningDense`` (every post × pre entry is a synapse), a masked one's ``LearningSparse``
(one synapse per mask entry), an unrolled conv's ``LearningSparse`` too (one synapse per pair
it connects: the chip shares no kernel), an identity skip's a fixed ``Sparse`` (weights and
indices only). Counted, in bits:

* per synapse: its weight, ``W_WEIGHTS_S`` = 9 bits, and its tag t, ``W_TAG_1_S`` = 9 bits
  (``lava/magma/core/learning/constants.py``: 8 bits and sign, weights in [−256, 255], the tag
  in [−257, 255]; the graph holds the chip's ``weight_bits`` mantissa m as M = 2m in the weight
  and the rule's free term in the tag); a sparse synapse also its source index,
  ⌈log₂ source size⌉ bits, the sparse encoding :mod:`lava_eqprop.chips.mapping` assumes;
* per copy and source neuron of the copy: the pre trace x1, ``[learning] trace_bits``;
* per learning neuron: the post traces y1, y2, y3 it writes (y3 is always 0 but the neuron keeps
  it), ``[learning] trace_bits`` each, and its state s, saved free state s_free, saved −β
  state s_minus (the symmetric estimator's bias update) and bias, ``[arithmetic] state_bits``
  each.

Not counted: what the rule never reads although Lava's learning synapses allocate it (the trace
x2 and the second tag, the delay d), the clamped input (the host's sample source sends it) and
the host processes (phase codes, readout).

The synaptic variables (weights, tags, indices) live with the receiving neuron, as in
:mod:`lava_eqprop.chips.mapping`, whose partition with :func:`synapse_bits` bits per synapse
places the training graph on cores, each within ``[cores] synaptic_memory_kib``. The
traces and the neuron state are totals only: a chip config gives no per-core limit for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lava_eqprop.chips.config import ChipConfig
from lava_eqprop.chips.connectivity import Connectivity
from lava_eqprop.errors import MappingError
from lava_eqprop.lava_compat import import_lava
from lava_eqprop.network.network import Network, Projection

Y_TRACES = ("y1", "y2", "y3")
NEURON_STATE = ("s", "s_free", "s_minus", "bias")


def lava_synapse_widths() -> tuple[int, int]:
    """(weight, tag) widths of Lava's fixed-point learning synapses: W_WEIGHTS_S, W_TAG_1_S."""
    import_lava()
    from lava.magma.core.learning.constants import W_TAG_1_S, W_WEIGHTS_S

    return W_WEIGHTS_S, W_TAG_1_S


def synapse_bits() -> int:
    """Bits of one learning synapse before its sparse index: weight + tag."""
    return sum(lava_synapse_widths())


@dataclass(frozen=True)
class StorageWidths:
    """The widths counted (module docstring): ``weight`` and ``tag`` per synapse, ``trace`` per
    x1 and y trace, ``state`` per neuron state variable."""

    weight: int
    tag: int
    trace: int
    state: int


@dataclass(frozen=True)
class SynapseCopy:
    """One learning synapse of the graph, a copy of ``projection`` (forward W or backward
    mirror Wᵀ): its ``process``, ``synapses`` stored, ``source_neurons`` (one x1 each) and
    ``index_bits`` per synapse (0 when dense); a fixed copy (``Sparse``, an identity skip) has
    no tag and no trace."""

    projection: str
    process: str
    synapses: int
    source_neurons: int
    index_bits: int
    learning: bool = True


@dataclass(frozen=True)
class LearningStorage:
    """What the training graph of ``network`` stores on ``chip`` (module docstring)."""

    network: str
    chip: str
    widths: StorageWidths
    copies: list[SynapseCopy]
    neurons: dict[str, int]

    def projection_bits(self) -> dict[str, dict[str, Any]]:
        """Per projection: its synapse process, copies, synapses (all copies), and the bits of
        weights, tags, sparse indices and x1 traces, with their total."""
        w = self.widths
        out: dict[str, dict[str, Any]] = {}
        for c in self.copies:
            row = out.setdefault(c.projection, {
                "process": c.process, "copies": 0, "synapses": 0, "weight_bits": 0,
                "tag_bits": 0, "index_bits": 0, "x1_trace_bits": 0})
            row["copies"] += 1
            row["synapses"] += c.synapses
            row["weight_bits"] += c.synapses * w.weight
            row["tag_bits"] += c.synapses * w.tag * c.learning
            row["index_bits"] += c.synapses * c.index_bits
            row["x1_trace_bits"] += c.source_neurons * w.trace * c.learning
        for row in out.values():
            row["total_bits"] = sum(row[k] for k in ("weight_bits", "tag_bits", "index_bits",
                                                     "x1_trace_bits"))
        return out

    def population_bits(self) -> dict[str, dict[str, int]]:
        """Per free population: its neurons and the bits of their y traces and state."""
        w = self.widths
        out = {}
        for name, n in self.neurons.items():
            y, state = n * len(Y_TRACES) * w.trace, n * len(NEURON_STATE) * w.state
            out[name] = {"neurons": n, "y_trace_bits": y, "state_bits": state,
                         "total_bits": y + state}
        return out

    def totals(self) -> dict[str, int]:
        """Everything summed; ``synaptic_variable_bits`` = weights + tags + indices, what the
        synaptic memory holds."""
        projections, populations = self.projection_bits(), self.population_bits()
        total = {key: sum(row[key] for row in projections.values())
                 for key in ("copies", "synapses", "weight_bits", "tag_bits", "index_bits",
                             "x1_trace_bits")}
        total |= {key: sum(row[key] for row in populations.values())
                  for key in ("neurons", "y_trace_bits", "state_bits")}
        total["synaptic_variable_bits"] = (total["weight_bits"] + total["tag_bits"]
                                           + total["index_bits"])
        total["total_bits"] = (total["synaptic_variable_bits"] + total["x1_trace_bits"]
                               + total["y_trace_bits"] + total["state_bits"])
        return total

    def summary(self) -> dict[str, Any]:
        """All of it as plain data."""
        return {"network": self.network, "chip": self.chip,
                "widths": {"weight_bits": self.widths.weight, "tag_bits": self.widths.tag,
                           "trace_bits": self.widths.trace, "state_bits": self.widths.state},
                "projections": self.projection_bits(), "populations": self.population_bits(),
                "total": self.totals()}


def check_training_graph(network: Network) -> None:
    """Refuse, naming the projection, what the loihi2 training graph has no synapses for: a
    max-pooled conv, or a projection that is not symmetric, between two populations and into a
    free one."""
    for proj in network.projections:
        max_pooled = proj.kind == "conv" and proj.conv_geometry.pool == "max"
        refusals = [
            (max_pooled, "a max-pooled conv drives by a max, not a weighted sum"),
            (proj.lateral, "it is lateral"),
            (not proj.symmetric, "it is directed (asymmetric)"),
            (network.population(proj.post).clamped, "its post population is clamped"),
        ]
        for refused, why in refusals:
            if refused:
                raise MappingError(f"projection {proj.name!r}: the loihi2 training graph has "
                                   f"no learning synapses for it: {why}")


def learning_storage(network: Network, chip: ChipConfig) -> LearningStorage:
    """Count what the loihi2 training graph of ``network`` stores (module docstring), with the
    trace width of ``chip``'s [learning] and the state width of its [arithmetic]."""
    if chip.learning is None or chip.arithmetic is None:
        missing = " and ".join(name for name, section in (("[arithmetic]", chip.arithmetic),
                                                          ("[learning]", chip.learning))
                               if section is None)
        raise MappingError(f"{chip.path}: chip {chip.name!r} has no {missing} section: the "
                           "loihi2 training graph needs its state and trace widths")
    check_training_graph(network)
    weight, tag = lava_synapse_widths()
    widths = StorageWidths(weight, tag, chip.learning.trace_bits, chip.arithmetic.state_bits)
    copies = []
    for proj in network.projections:
        copies.append(_copy(proj, network, source=proj.pre, target=proj.post))
        if not network.population(proj.pre).clamped:
            copies.append(_copy(proj, network, source=proj.post, target=proj.pre))
    return LearningStorage(network.name, chip.name, widths, copies,
                           {pop.name: pop.size for pop in network.free})


def _copy(proj: Projection, network: Network, *, source: str, target: str) -> SynapseCopy:
    """The copy of ``proj`` driving ``target`` from ``source``: every target × source entry
    (dense), or one synapse per mask entry (sparse), or per pair an unrolled conv or identity
    connects (:class:`~lava_eqprop.chips.connectivity.Connectivity`; an identity skip does not
    learn: a fixed ``Sparse``)."""
    n_source = network.population(source).size
    if proj.kind == "dense" and proj.mask is None:
        return SynapseCopy(proj.name, "LearningDense",
                           n_source * network.population(target).size, n_source, 0)
    synapses = Connectivity.of(proj, network).total()
    learning = proj.plastic
    return SynapseCopy(proj.name, "LearningSparse" if learning else "Sparse", synapses,
                       n_source, max(1, math.ceil(math.log2(n_source))), learning)
