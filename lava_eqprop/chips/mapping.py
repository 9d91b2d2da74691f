"""Partition a network onto the cores and chips of a Loihi-class target.

The model of a core (Davies et al. 2018, "Loihi", IEEE Micro 38(1), §Architecture and Table 1):
a core holds up to ``neurons_per_core`` neurons, ``synaptic_memory_kib`` of synapses, receives
on up to ``input_axons_per_core`` input axons and sends through up to ``output_axons_per_core``
output axons. What this module counts, per core:

* **neurons**: the slice of one population the core holds (populations are cut into ``k``
  contiguous, near-equal slices, one per core; a core never mixes populations, as Lava's
  compilers place one process per group of cores);
* **synaptic memory**: synapses live with their *receiving* neuron. Each :class:`Pathway` is one
  direction of drive: a symmetric projection between two free populations needs W on the post
  cores and Wᵀ on the pre cores (two copies, as a chip's synapses are one-way); a directed one,
  or one from a clamped input, needs one. A projection without a mask is stored as dense rows,
  ``weight_bits`` per source neuron; a masked one as sparse entries of ``weight_bits`` plus
  ⌈log₂ source size⌉ index bits per synapse that exists (an assumption of this model: Loihi's
  synapse encodings are richer, but both are documented as mantissa + index). A conv or
  identity projection is stored unrolled, as the sparse synapses it implies
  (:func:`~lava_eqprop.engine.unrolling.synapse_pattern`; a max-pooled conv as its windows'
  connectivity): a chip without weight sharing. :func:`weight_sharing` says what a chip that
  shares a kernel among its synapses would save;
* **input axons**: the distinct source neurons with at least one synapse onto the core (one
  axon however many projections join the two);
* **output axons**: Σ over the core's neurons of the number of distinct cores it sends to.

:func:`map_network` finds, for every population, the fewest slices for which no core exceeds
a limit (raising the count of a population whose output axons overflow, which depends on how
its targets are cut, until nothing overflows), then fills chips with cores in population
order. A single neuron that needs more than a whole core is a :class:`MappingError` naming the
projection, the resource and by how much, as is a network that needs more chips than allowed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lava_eqprop.chips.config import ChipConfig, CoreLimits
from lava_eqprop.engine.unrolling import synapse_pattern
from lava_eqprop.errors import MappingError
from lava_eqprop.network.network import Network

RESOURCE_LABELS = {"neurons": "neurons", "synaptic_memory_bits": "synaptic memory",
                   "input_axons": "input axons", "output_axons": "output axons"}
MAX_ROUNDS = 1000
MAX_PATHWAY_PAIRS = 200_000_000


@dataclass(frozen=True)
class Pathway:
    """One direction of synaptic drive: ``source`` neurons onto ``target`` neurons through
    ``projection``; ``synapses`` is the (target size, source size) boolean matrix of the
    synapses that exist; ``sparse`` says they are stored as sparse entries."""

    projection: str
    source: str
    target: str
    synapses: np.ndarray
    sparse: bool

    def row_bits(self, weight_bits: int) -> np.ndarray:
        """Synaptic memory each target neuron needs for this pathway (bits)."""
        if self.sparse:
            index_bits = max(1, math.ceil(math.log2(self.synapses.shape[1])))
            return self.synapses.sum(axis=1) * (weight_bits + index_bits)
        return np.where(self.synapses.any(axis=1), self.synapses.shape[1] * weight_bits, 0)


def pathways(network: Network) -> list[Pathway]:
    """Every direction of drive a chip must store (see the module docstring)."""
    out = []
    for proj in network.projections:
        pairs = network.population(proj.post).size * network.population(proj.pre).size
        if pairs > MAX_PATHWAY_PAIRS:
            raise MappingError(f"{network.name!r}, projection {proj.name!r}: {pairs:,} neuron "
                               f"pairs; the mapping model holds a projection's synapses as a "
                               f"boolean matrix of at most {MAX_PATHWAY_PAIRS:,} pairs")
        exists = synapse_pattern(proj, network)
        sparse = proj.mask is not None or proj.lateral or proj.kind != "dense"
        directions = [(proj.pre, proj.post, exists)]
        if proj.symmetric and not proj.lateral:
            directions.append((proj.post, proj.pre, exists.T))
        for source, target, synapses in directions:
            if not network.population(target).clamped:
                out.append(Pathway(proj.name, source, target, np.ascontiguousarray(synapses),
                                   sparse))
    return out


def reached_slices(paths: list[Pathway], splits: dict[str, int]) -> dict[str, np.ndarray]:
    """Per target population, a (target slices, source neurons) boolean: which slices each
    neuron of the (common) source has a synapse on, over all ``paths`` between the two."""
    reached: dict[str, np.ndarray] = {}
    for w in paths:
        hit = np.logical_or.reduceat(w.synapses, slice_starts(w.synapses.shape[0],
                                                              splits[w.target]), axis=0)
        reached[w.target] = reached[w.target] | hit if w.target in reached else hit
    return reached


def slice_starts(n: int, k: int) -> np.ndarray:
    """First neuron of each of ``k`` contiguous, near-equal slices of ``n`` neurons."""
    return (np.arange(k) * n) // k


@dataclass(frozen=True)
class CoreLoad:
    """One core: which slice of which population it holds, and what that uses."""

    index: int
    chip: int
    population: str
    start: int
    stop: int
    synapses: int
    synaptic_memory_bits: int
    input_axons: int
    output_axons: int

    @property
    def neurons(self) -> int:
        return self.stop - self.start


@dataclass
class Mapping:
    """A network placed on a chip: the slices per population and every core's load."""

    network: str
    chip: ChipConfig
    splits: dict[str, int]
    cores: list[CoreLoad]
    weight_sharing: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def limits(self) -> dict[str, float]:
        """Per-core limit of every resource (empty for an unconstrained target)."""
        return _limits(self.chip.cores) if self.chip.cores else {}

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

    def core_of(self, population: str) -> np.ndarray:
        """Global core index of every neuron of ``population``."""
        cores = [c for c in self.cores if c.population == population]
        return np.concatenate([np.full(c.neurons, c.index) for c in cores])


def _limits(cores: CoreLimits) -> dict[str, float]:
    return {"neurons": cores.neurons_per_core, "synaptic_memory_bits": cores.synaptic_memory_bits,
            "input_axons": cores.input_axons_per_core,
            "output_axons": cores.output_axons_per_core}


class _Partitioner:
    """The search of :func:`map_network`; keeps every population's incoming and outgoing
    pathways and the row costs that do not depend on the cut."""

    def __init__(self, network: Network, chip: ChipConfig, weight_bits: int) -> None:
        self.network, self.chip = network, chip
        self.paths = pathways(network)
        self.into = {p.name: [w for w in self.paths if w.target == p.name]
                     for p in network.populations}
        self.out_of = {p.name: [w for w in self.paths if w.source == p.name]
                       for p in network.populations}
        self.weight_bits = weight_bits
        self.row_bits = {id(w): w.row_bits(weight_bits) for w in self.paths}
        self.limits = _limits(chip.cores) if chip.cores else {}

    # ---- loads of one population's slices -------------------------------------------
    def incoming_loads(self, name: str, k: int) -> dict[str, np.ndarray]:
        n = self.network.population(name).size
        starts = slice_starts(n, k)
        loads = {"neurons": np.diff(np.append(starts, n)),
                 "synapses": np.zeros(k, dtype=np.int64),
                 "synaptic_memory_bits": np.zeros(k, dtype=np.int64),
                 "input_axons": np.zeros(k, dtype=np.int64)}
        axons: dict[str, np.ndarray] = {}     # per source population: sources reaching a slice
        for w in self.into[name]:
            loads["synapses"] += np.add.reduceat(w.synapses.sum(axis=1), starts)
            loads["synaptic_memory_bits"] += np.add.reduceat(self.row_bits[id(w)], starts)
            reach = np.logical_or.reduceat(w.synapses, starts, axis=0)
            axons[w.source] = axons[w.source] | reach if w.source in axons else reach
        for reach in axons.values():
            loads["input_axons"] += reach.sum(axis=1)
        return loads

    def destinations(self, name: str, splits: dict[str, int]) -> np.ndarray:
        """Number of distinct cores each neuron of ``name`` sends to, given the cuts."""
        count = np.zeros(self.network.population(name).size, dtype=np.int64)
        for reached in reached_slices(self.out_of[name], splits).values():
            count += reached.sum(axis=0)
        return count

    def output_loads(self, name: str, splits: dict[str, int]) -> np.ndarray:
        starts = slice_starts(self.network.population(name).size, splits[name])
        return np.add.reduceat(self.destinations(name, splits), starts)

    # ---- the search --------------------------------------------------------------------
    def smallest_split(self, name: str) -> int:
        """Fewest slices of ``name`` whose neurons, memory and input axons fit a core: grown from
        a lower bound by the worst overuse, then bisected back (finer cuts never need more per
        core)."""
        n = self.network.population(name).size
        if not self.limits:
            return 1
        self._check_single_neuron(name)
        bits = sum((self.row_bits[id(w)] for w in self.into[name]), np.zeros(n, dtype=np.int64))
        k = max(1, math.ceil(n / self.limits["neurons"]),
                math.ceil(int(bits.sum()) / self.limits["synaptic_memory_bits"]))
        too_few = k - 1
        while (worst := self._worst_use(self.incoming_loads(name, k))) > 1.0:
            too_few, k = k, min(n, max(k + 1, math.floor(k * worst)))
        while k - too_few > 1:
            middle = (k + too_few) // 2
            if self._worst_use(self.incoming_loads(name, middle)) <= 1.0:
                k = middle
            else:
                too_few = middle
        return k

    def _worst_use(self, loads: dict[str, np.ndarray]) -> float:
        return max(float(loads[r].max()) / self.limits[r] for r in loads if r in self.limits)

    def _check_single_neuron(self, name: str) -> None:
        """A neuron whose own synapses or input axons exceed a core: no cut can fix it."""
        paths = self.into[name]
        if not paths:
            return
        sources: dict[str, np.ndarray] = {}
        for w in paths:
            known = sources.get(w.source)
            sources[w.source] = w.synapses if known is None else known | w.synapses
        need = {"synaptic_memory_bits": sum(self.row_bits[id(w)] for w in paths),
                "input_axons": sum(rows.sum(axis=1) for rows in sources.values())}
        for resource, total in need.items():
            neuron, limit = int(np.argmax(total)), self.limits[resource]
            if total[neuron] <= limit:
                continue
            share = {w.projection: int(w.synapses[neuron].sum()) for w in paths}
            self._no_fit(name, neuron, f"needs {_amount(resource, total[neuron])}", share,
                         "synapses", f"{int(limit)}", int(total[neuron] - limit),
                         f", and no split of {name!r} can fix that")

    def fit_output_axons(self, splits: dict[str, int]) -> None:
        """Cut populations whose cores send through too many output axons more finely."""
        if not self.limits:
            return
        limit = self.limits["output_axons"]
        for _ in range(MAX_ROUNDS):
            over = {}
            for pop in self.network.populations:
                worst = float(self.output_loads(pop.name, splits).max()) / limit
                if worst > 1.0:
                    over[pop.name] = worst
            if not over:
                return
            for name, worst in over.items():
                n = self.network.population(name).size
                if splits[name] == n:
                    self._output_axon_error(name, splits, limit)
                splits[name] = min(n, max(splits[name] + 1, math.floor(splits[name] * worst)))
        raise MappingError(f"{self.network.name!r}: no cut of the populations onto "
                           f"{self.chip.name} cores keeps every output axon count under {limit} "
                           f"after {MAX_ROUNDS} rounds")

    def _output_axon_error(self, name: str, splits: dict[str, int], limit: float) -> None:
        count = self.destinations(name, splits)
        neuron = int(np.argmax(count))
        share = {w.projection: int(np.logical_or.reduceat(
            w.synapses[:, neuron], slice_starts(w.synapses.shape[0], splits[w.target])).sum())
            for w in self.out_of[name]}
        self._no_fit(name, neuron, f"sends to {int(count[neuron])} cores", share, "cores",
                     f"{int(limit)} output axons", int(count[neuron] - limit), "")

    def _no_fit(self, name: str, neuron: int, need: str, share: dict[str, int], unit: str,
                limit: str, excess: int, tail: str) -> None:
        """The error for one neuron that needs more than a core has, naming the projection
        with the largest share of the need."""
        culprit = max(share, key=share.get)
        raise MappingError(
            f"{self.network.name!r} does not fit {self.chip.name}: neuron {neuron} of {name!r} "
            f"{need} (largest share: projection {culprit!r}, {share[culprit]} {unit}) but a "
            f"core has {limit}: {excess} over{tail}")

    def cores(self, splits: dict[str, int]) -> list[CoreLoad]:
        per_chip = self.chip.cores.cores_per_chip if self.chip.cores else None
        cores: list[CoreLoad] = []
        for pop in self.network.populations:
            k = splits[pop.name]
            loads = self.incoming_loads(pop.name, k)
            outputs = self.output_loads(pop.name, splits)
            starts = np.append(slice_starts(pop.size, k), pop.size)
            for j in range(k):
                index = len(cores)
                cores.append(CoreLoad(
                    index=index, chip=index // per_chip if per_chip else 0, population=pop.name,
                    start=int(starts[j]), stop=int(starts[j + 1]),
                    synapses=int(loads["synapses"][j]),
                    synaptic_memory_bits=int(loads["synaptic_memory_bits"][j]),
                    input_axons=int(loads["input_axons"][j]), output_axons=int(outputs[j])))
        return cores


def _amount(resource: str, value: float) -> str:
    """``value`` of ``resource`` in words: '4100 input axons', '2.1e+06 bits of synaptic memory'."""
    if resource == "synaptic_memory_bits":
        return f"{int(value)} bits of synaptic memory"
    return f"{int(value)} {RESOURCE_LABELS[resource]}"


def weight_sharing(network: Network, search: "_Partitioner", splits: dict[str, int]
                   ) -> dict[str, dict[str, float]]:
    """Per conv projection: its synapses (:meth:`Network.connections`: one per kernel tap and
    position), the synaptic memory they take stored one weight per synapse as mapped here,
    and what a chip that shares weights would need instead: each core keeps the kernel slices
    of the channels it holds, W[o] (in channels × kh × kw) per output channel o on the post
    side, W[:, c] (out channels × kh × kw) per input channel c on the pre side (the feedback)."""
    report = {}
    for proj in network.projections:
        if proj.kind != "conv":
            continue
        out_ch, in_ch, kh, kw = proj.weight.shape
        paths = [w for w in search.paths if w.projection == proj.name]
        unrolled = sum(int(search.row_bits[id(w)].sum()) for w in paths)
        shared = 0
        for w in paths:
            per_channel = (in_ch if w.target == proj.post else out_ch) * kh * kw
            shared += (_channels_per_slice(network.population(w.target).shape, splits[w.target])
                       * per_channel * search.weight_bits)
        report[proj.name] = {"synapses": network.connections(proj),
                             "kernel_entries": int(proj.weight.size),
                             "directions": len(paths), "unrolled_bits": unrolled,
                             "shared_bits": shared, "saving": unrolled / max(shared, 1)}
    return report


def _channels_per_slice(shape: tuple[int, ...], k: int) -> int:
    """Σ over the k slices of an image population (channel-major) of the channels each holds."""
    plane = shape[1] * shape[2]
    starts = slice_starts(math.prod(shape), k)
    stops = np.append(starts[1:], math.prod(shape))
    return int(np.sum((stops - 1) // plane - starts // plane + 1))


def map_network(network: Network, chip: ChipConfig, *, weight_bits: int | None = None,
                max_chips: int | None = None) -> Mapping:
    """Place ``network`` on ``chip``'s cores (see the module docstring). ``weight_bits``
    overrides the chip's weight width; ``max_chips`` bounds the chips available (a board or
    system); exceeding it is a :class:`MappingError`."""
    if weight_bits is None:
        if chip.arithmetic is None and chip.cores is not None:
            raise MappingError(f"{chip.path}: chip {chip.name!r} has [cores] but no [arithmetic] "
                               "weight width; pass weight_bits")
        weight_bits = chip.arithmetic.weight_bits if chip.arithmetic else 32
    search = _Partitioner(network, chip, weight_bits)
    splits = {pop.name: search.smallest_split(pop.name) for pop in network.populations}
    search.fit_output_axons(splits)
    mapping = Mapping(network.name, chip, splits, search.cores(splits),
                      weight_sharing(network, search, splits))
    if max_chips is not None and chip.cores is not None and mapping.chips_used > max_chips:
        raise MappingError(
            f"{network.name!r} needs {len(mapping.cores)} cores = {mapping.chips_used} "
            f"{chip.name} chips ({chip.cores.cores_per_chip} cores each) but only {max_chips} "
            f"{'is' if max_chips == 1 else 'are'} available: {mapping.chips_used - max_chips} "
            "chips over")
    return mapping
