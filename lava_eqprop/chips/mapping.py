"""Partition a network onto the cores and chips of a Loihi-class target.

The model of a core (Davies et al. 2018, "Loihi", IEEE Micro 38(1), §Architecture and Table 1):
a core holds up to ``neurons_per_core`` neurons, ``synaptic_memory_kib`` of synapses, receives
on up to ``input_axons_per_core`` input axons and sends through up to ``output_axons_per_core``
output axons. What this module counts, per core:

* **neurons**: the slice of one population the core holds (populations are cut into ``k``
  contiguous, near-equal slices, one per core; a core never mixes populations, as Lava's
  compilers place one process per group of cores). An image population is cut channel-major
  (a channel's pixels together) or pixel-major (a pixel's channels together), whichever
  needs fewer cores: a conv's targets at neighbouring pixels share their sources, so
  pixel-major slices need fewer input axons, channel-major ones fewer kernel slices;
* **synaptic memory**: synapses live with their *receiving* neuron. Each
  :class:`~lava_eqprop.chips.pathways.Pathway` is one
  direction of drive: a symmetric projection between two free populations needs W on the post
  cores and Wᵀ on the pre cores (two copies, as a chip's synapses are one-way); a directed one,
  or one from a clamped input, needs one. A projection without a mask is stored as dense rows,
  ``weight_bits`` per source neuron; a masked one as sparse entries of ``weight_bits`` plus
  ⌈log₂ source size⌉ index bits per synapse that exists (an assumption of this model: Loihi's
  synapse encodings are richer, but both are documented as mantissa + index). A conv or
  identity projection is stored unrolled, as the sparse synapses it implies
  (:func:`~lava_eqprop.engine.unrolling.connectivity_factors`; a max-pooled conv as its
  windows' connectivity), on a chip without weight sharing; on one that shares
  (``shared_weights``, ``[cores] shared_conv_weights``) a conv direction takes, on each core,
  one kernel slice per channel the core holds (:func:`weight_sharing`), and no index;
* **input axons**: the distinct source neurons with at least one synapse onto the core (one
  axon however many projections join the two);
* **output axons**: Σ over the core's neurons of the number of distinct cores it sends to.

:func:`map_network` finds, for every population, the fewest slices for which no core exceeds
a limit (raising the count of a population whose output axons overflow, which depends on how
its targets are cut, until nothing overflows), then fills chips with cores in population
order. A single neuron that needs more than a whole core is a :class:`MappingError` naming the
projection, the resource and by how much, as is a network that needs more chips than allowed.

Every count is taken from the pathways' structure (:mod:`lava_eqprop.chips.connectivity`), so
time and memory grow with neurons, slices and kernels, not with neuron pairs; the search is
:class:`~lava_eqprop.chips.partition.Partitioner`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lava_eqprop.chips.config import ChipConfig
from lava_eqprop.chips.connectivity import Layout
from lava_eqprop.chips.dendrites import split_dendrites
from lava_eqprop.chips.partition import Partitioner, core_limits
from lava_eqprop.chips.pathways import ChipGraph, chip_graph
from lava_eqprop.errors import MappingError
from lava_eqprop.network.network import Network


@dataclass(frozen=True)
class CoreLoad:
    """One core: which slice of which population it holds (positions ``start`` to ``stop``
    in the population's layout), and what that uses; ``plastic_synapses`` are the stored
    synapses that learn (each direction's copy counts)."""

    index: int
    chip: int
    population: str
    start: int
    stop: int
    synapses: int
    synaptic_memory_bits: int
    input_axons: int
    output_axons: int
    plastic_synapses: int = 0

    @property
    def neurons(self) -> int:
        return self.stop - self.start


@dataclass
class Mapping:
    """A network placed on a chip: the slices and layout per population and every core's
    load."""

    network: str
    chip: ChipConfig
    splits: dict[str, int]
    cores: list[CoreLoad]
    layouts: dict[str, Layout]
    graph: ChipGraph
    weight_sharing: dict[str, dict[str, float]] = field(default_factory=dict)
    shared_weights: bool = False

    @property
    def limits(self) -> dict[str, float]:
        """Per-core limit of every resource (empty for an unconstrained target)."""
        return core_limits(self.chip.cores) if self.chip.cores else {}

    @property
    def chips_used(self) -> int:
        return 1 + max(core.chip for core in self.cores) if self.cores else 0

    def utilisation(self) -> dict[str, dict[str, float]]:
        """Per resource: the largest and the mean use over the cores, as a fraction of the
        limit (empty for an unconstrained target)."""
        out = {}
        for resource, limit in self.limits.items():
            use = np.array([getattr(core, resource) for core in self.cores], dtype=float) / limit
            worst = int(np.argmax(use))
            out[resource] = {"max": float(use[worst]), "mean": float(use.mean()),
                             "limit": limit, "worst_core": self.cores[worst].index}
        return out

    def binding(self) -> str | None:
        """The resource closest to its limit on some core (None: unconstrained)."""
        use = self.utilisation()
        return max(use, key=lambda r: use[r]["max"]) if use else None

    def neurons_of(self, core: CoreLoad) -> np.ndarray:
        """The neurons (indices in the network's channel-major order) ``core`` holds."""
        return self.layouts[core.population].positions[core.start:core.stop]

    def core_of(self, population: str) -> np.ndarray:
        """Global core index of every neuron of ``population``."""
        out = np.empty(self.layouts[population].channels * self.layouts[population].pixels,
                       dtype=np.int64)
        for core in self.cores:
            if core.population == population:
                out[self.neurons_of(core)] = core.index
        return out


def _cores(search: Partitioner, splits: dict[str, int]) -> list[CoreLoad]:
    """Every core's load, populations in network order, chips filled in core order."""
    per_chip = search.chip.cores.cores_per_chip if search.chip.cores else None
    cores: list[CoreLoad] = []
    for pop in search.graph.groups:
        k = splits[pop.name]
        loads = search.incoming_loads(pop.name, k)
        outputs = search.output_loads(pop.name, splits)
        starts = np.append(search.layouts[pop.name].cut(k), pop.size)
        plastic = sum((np.add.reduceat(search.rows(w), starts[:-1])
                       for w in search.into[pop.name] if w.plastic),
                      np.zeros(k, dtype=np.int64))
        for j in range(k):
            index = len(cores)
            cores.append(CoreLoad(
                index=index, chip=index // per_chip if per_chip else 0, population=pop.name,
                start=int(starts[j]), stop=int(starts[j + 1]),
                synapses=int(loads["synapses"][j]),
                synaptic_memory_bits=int(loads["synaptic_memory_bits"][j]),
                input_axons=int(loads["input_axons"][j]), output_axons=int(outputs[j]),
                plastic_synapses=int(plastic[j])))
    return cores


def weight_sharing(network: Network, search: Partitioner, splits: dict[str, int]
                   ) -> dict[str, dict[str, float]]:
    """Per conv projection: its synapses (:meth:`Network.connections`: one per kernel tap and
    position) and the synaptic memory its directions take on the cores of this cut, stored one
    weight per synapse (unrolled) and as kernels shared within each core: each core keeps the
    kernel slices of the channels it holds, W[o] (in channels × kh × kw) per output channel o
    on the post side, W[:, c] (out channels × kh × kw) per input channel c on the pre side
    (the feedback)."""
    report = {}
    for proj in network.projections:
        if proj.kind != "conv":
            continue
        paths = [w for w in search.paths if w.projection == proj.name]
        unrolled = sum(int(search.unrolled_memory(w, splits[w.target]).sum()) for w in paths)
        shared = sum(int(search.kernel_memory(w, splits[w.target]).sum()) for w in paths)
        report[proj.name] = {"synapses": network.connections(proj),
                             "kernel_entries": int(proj.weight.size),
                             "directions": len(paths), "unrolled_bits": unrolled,
                             "shared_bits": shared, "saving": unrolled / max(shared, 1)}
    return report


def map_network(network: Network, chip: ChipConfig, *, weight_bits: int | None = None,
                max_chips: int | None = None, shared_weights: bool | None = None,
                layout: str = "best") -> Mapping:
    """Place ``network`` on ``chip``'s cores (see the module docstring). ``weight_bits``
    overrides the chip's weight width; ``max_chips`` bounds the chips available (a board or
    system); exceeding it is a :class:`MappingError`. ``shared_weights`` stores convs as
    kernels shared within a core (default: what the chip config's ``[cores]
    shared_conv_weights`` says it can do). ``layout`` cuts every image of several channels
    ``channels``- or ``pixels``-major, or each the way that needs fewer cores (``best``)."""
    if weight_bits is None:
        if chip.arithmetic is None and chip.cores is not None:
            raise MappingError(f"{chip.path}: chip {chip.name!r} has [cores] but no [arithmetic] "
                               "weight width; pass weight_bits")
        weight_bits = chip.arithmetic.weight_bits if chip.arithmetic else 32
    if shared_weights is None:
        shared_weights = bool(chip.cores and chip.cores.shared_conv_weights)
    graph = chip_graph(network)
    if chip.cores is not None:
        graph = split_dendrites(graph, chip.cores.input_axons_per_core)
    search = Partitioner(graph, chip, weight_bits, shared_weights, layout)
    search.check_single_neurons()
    splits = {group.name: search.smallest_split(group.name) for group in graph.groups}
    search.fit_output_axons(splits)
    mapping = Mapping(network.name, chip, splits, _cores(search, splits), dict(search.layouts),
                      graph, weight_sharing(network, search, splits), shared_weights)
    if max_chips is not None and chip.cores is not None and mapping.chips_used > max_chips:
        raise MappingError(
            f"{network.name!r} needs {len(mapping.cores)} cores = {mapping.chips_used} "
            f"{chip.name} chips ({chip.cores.cores_per_chip} cores each) but only {max_chips} "
            f"{'is' if max_chips == 1 else 'are'} available: {mapping.chips_used - max_chips} "
            "chips over")
    return mapping
