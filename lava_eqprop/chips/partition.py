"""The search of :func:`~lava_eqprop.chips.mapping.map_network`: how many slices each
population is cut into, and in which layout, so that no core exceeds a limit (the model of a
core and of what it counts: :mod:`lava_eqprop.chips.mapping`)."""

from __future__ import annotations

import math

import numpy as np

from lava_eqprop.chips.config import ChipConfig, CoreLimits
from lava_eqprop.chips.connectivity import (
    CHANNEL_MAJOR,
    PIXEL_MAJOR,
    Block,
    Connectivity,
    Layout,
    slices_per_source,
    sources_per_slice,
    union_row_counts,
)
from lava_eqprop.chips.pathways import (
    ChipGraph,
    Pathway,
    arranged_group,
    channels_per_slice,
    pixel_major_allowed,
)
from lava_eqprop.errors import MappingError

RESOURCE_LABELS = {"neurons": "neurons", "synaptic_memory_bits": "synaptic memory",
                   "input_axons": "input axons", "output_axons": "output axons"}
MAX_ROUNDS = 1000
LAYOUT_CHOICES = ("best", "channels", "pixels")


def core_limits(cores: CoreLimits) -> dict[str, float]:
    """Per-core limit of every resource the mapping counts."""
    return {"neurons": cores.neurons_per_core, "synaptic_memory_bits": cores.synaptic_memory_bits,
            "input_axons": cores.input_axons_per_core,
            "output_axons": cores.output_axons_per_core}


class Partitioner:
    """Every population's incoming and outgoing pathways, its layout (channel-major until the
    search picks pixel-major), the costs that do not depend on the cut, and each pair of
    populations' blocks at their latest cut."""

    def __init__(self, graph: ChipGraph, chip: ChipConfig, weight_bits: int,
                 shared: bool, layout: str = "best") -> None:
        if layout not in LAYOUT_CHOICES:
            raise MappingError(f"layout {layout!r} is not one of {list(LAYOUT_CHOICES)}")
        self.graph, self.chip, self.shared, self.layout = graph, chip, shared, layout
        self.weight_bits = weight_bits
        self.limits = core_limits(chip.cores) if chip.cores else {}
        self.paths = graph.paths
        self.into = {g.name: [w for w in self.paths if w.target == g.name] for g in graph.groups}
        self.out_of = {g.name: [w for w in self.paths if w.source == g.name]
                       for g in graph.groups}
        self.layouts = {g.name: Layout(g.shape) for g in graph.groups}
        self._arranged: dict[tuple, Connectivity] = {}
        self._blocks: dict[tuple[str, str], tuple[tuple, list[Block]]] = {}
        self._groups: dict[tuple[str, str, str, str], list[Connectivity]] = {}

    # ---- one pathway or pair of populations in the current layouts -------------------
    def arranged(self, w: Pathway) -> Connectivity:
        key = (id(w), self.layouts[w.target].order, self.layouts[w.source].order)
        if key not in self._arranged:
            self._arranged[key] = w.synapses.arranged(self.layouts[w.target],
                                                      self.layouts[w.source])
        return self._arranged[key]

    def rows(self, w: Pathway) -> np.ndarray:
        """Synapses of ``w`` onto each target neuron, in the target's layout."""
        return self.arranged(w).row_counts()

    def stores_kernel(self, w: Pathway) -> bool:
        """Whether ``w`` is held as kernels shared within a core rather than unrolled."""
        return self.shared and w.kernel > 0

    def blocks(self, source: str, target: str, k: int) -> list[Block]:
        """The blocks (:meth:`Connectivity.slice_blocks`) of every pathway from ``source`` to
        ``target`` cut in ``k`` slices (the last cut asked per pair is kept: the search asks
        for the same cut many times)."""
        orders = (self.layouts[source].order, self.layouts[target].order)
        key = (k, *orders)
        known = self._blocks.get((source, target))
        if known is None or known[0] != key:
            group = self._groups.get((source, target, *orders))
            if group is None:
                paths = [w for w in self.into[target] if w.source == source]
                group = arranged_group(paths, self.layouts)
                self._groups[(source, target, *orders)] = group
            starts = self.layouts[target].cut(k)
            known = (key, [b for c in group for b in c.slice_blocks(starts)])
            self._blocks[(source, target)] = known
        return known[1]

    def memory(self, w: Pathway, k: int) -> np.ndarray:
        """Synaptic memory ``w`` takes on each of its target's ``k`` slices (bits), stored as
        the chip stores it."""
        return self.kernel_memory(w, k) if self.stores_kernel(w) else self.unrolled_memory(w, k)

    def unrolled_memory(self, w: Pathway, k: int) -> np.ndarray:
        """Per slice, ``w``'s synapses stored one weight each (its rows' bits)."""
        return np.add.reduceat(w.row_bits(self.rows(w), self.weight_bits),
                               self.layouts[w.target].cut(k))

    def kernel_memory(self, w: Pathway, k: int) -> np.ndarray:
        """Per slice, a conv ``w`` stored as shared kernels: one kernel slice per channel the
        slice holds."""
        layout = self.layouts[w.target]
        return channels_per_slice(layout, layout.cut(k)) * w.kernel * self.weight_bits

    # ---- loads of one population's slices -------------------------------------------
    def incoming_loads(self, name: str, k: int) -> dict[str, np.ndarray]:
        n = self.graph.group(name).size
        starts = self.layouts[name].cut(k)
        k = len(starts)
        loads = {"neurons": np.diff(np.append(starts, n)),
                 "synapses": np.zeros(k, dtype=np.int64),
                 "synaptic_memory_bits": np.zeros(k, dtype=np.int64),
                 "input_axons": np.zeros(k, dtype=np.int64)}
        for w in self.into[name]:
            loads["synapses"] += np.add.reduceat(self.rows(w), starts)
            loads["synaptic_memory_bits"] += self.memory(w, k)
        for source in {w.source for w in self.into[name]}:
            loads["input_axons"] += sources_per_slice(self.blocks(source, name, k))
        return loads

    def destinations(self, name: str, splits: dict[str, int]) -> np.ndarray:
        """Number of distinct cores each neuron of ``name`` (in its layout) sends to."""
        count = np.zeros(self.graph.group(name).size, dtype=np.int64)
        for target in {w.target for w in self.out_of[name]}:
            count += slices_per_source(self.blocks(name, target, splits[target]))
        return count

    def output_loads(self, name: str, splits: dict[str, int]) -> np.ndarray:
        starts = self.layouts[name].cut(splits[name])
        return np.add.reduceat(self.destinations(name, splits), starts)

    # ---- the search --------------------------------------------------------------------
    def check_single_neurons(self) -> None:
        """A neuron whose own synapses or input axons exceed a core: no cut can fix it (asked
        of every population before any is cut, in channel-major order)."""
        if not self.limits:
            return
        for pop in self.graph.groups:
            self._check_single_neuron(pop.name)

    def smallest_split(self, name: str) -> int:
        """Fewest slices of ``name`` whose neurons, memory and input axons fit a core, in the
        layout asked for (an image of several channels may be cut pixel-major; ``best``:
        whichever needs fewer cores, a tie keeping it channel-major); ``self.layouts`` keeps
        the layout chosen."""
        shape = self.graph.group(name).shape
        orders = {"best": (CHANNEL_MAJOR, PIXEL_MAJOR), "channels": (CHANNEL_MAJOR,),
                  "pixels": (PIXEL_MAJOR,)}[self.layout]
        if not pixel_major_allowed(shape):
            orders = (CHANNEL_MAJOR,)
        if not self.limits:
            self.layouts[name] = Layout(shape, orders[0])
            return 1
        splits = {}
        for order in orders:
            self.layouts[name] = Layout(shape, order)
            splits[order] = self._smallest_split(name)
        best = min(splits, key=lambda order: splits[order])      # the first of a tie
        self.layouts[name] = Layout(shape, best)
        return splits[best]

    def _smallest_split(self, name: str) -> int:
        """Fewest slices in the current layout: grown from a lower bound by the worst overuse,
        then bisected back (finer cuts never need more per core)."""
        n = self.graph.group(name).size
        bits = sum(int(self.memory(w, 1).sum()) for w in self.into[name])
        k = max(1, math.ceil(n / self.limits["neurons"]),
                math.ceil(bits / self.limits["synaptic_memory_bits"]))
        too_few = k - 1
        while (worst := self._worst_use(self.incoming_loads(name, k))) > 1.0:
            too_few, k = k, min(n, max(k + 1, math.floor(k * worst)))
        while k - too_few > 1:
            middle = (k + too_few) // 2
            if self._worst_use(self.incoming_loads(name, middle)) <= 1.0:
                k = middle
            else:
                too_few = middle
        return len(self.layouts[name].cut(k))

    def _worst_use(self, loads: dict[str, np.ndarray]) -> float:
        return max(float(loads[r].max()) / self.limits[r] for r in loads if r in self.limits)

    def _check_single_neuron(self, name: str) -> None:
        paths = self.into[name]
        if not paths:
            return
        n = self.graph.group(name).size
        need = {"synaptic_memory_bits": np.sum([self.memory(w, n) for w in paths], axis=0),
                "input_axons": np.zeros(n, dtype=np.int64)}
        for source in {w.source for w in paths}:
            need["input_axons"] += union_row_counts(
                arranged_group([w for w in paths if w.source == source], self.layouts))
        for resource, total in need.items():
            neuron, limit = int(np.argmax(total)), self.limits[resource]
            if total[neuron] <= limit:
                continue
            share = {w.projection: int(self.rows(w)[neuron]) for w in paths}
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
            for pop in self.graph.groups:
                worst = float(self.output_loads(pop.name, splits).max()) / limit
                if worst > 1.0:
                    over[pop.name] = worst
            if not over:
                return
            for name, worst in over.items():
                n = self.graph.group(name).size
                if splits[name] == n:
                    self._output_axon_error(name, splits, limit)
                finer = min(n, max(splits[name] + 1, math.floor(splits[name] * worst)))
                splits[name] = len(self.layouts[name].cut(finer))
        raise MappingError(f"{self.graph.name!r}: no cut of the populations onto "
                           f"{self.chip.name} cores keeps every output axon count under {limit} "
                           f"after {MAX_ROUNDS} rounds")

    def _output_axon_error(self, name: str, splits: dict[str, int], limit: float) -> None:
        count = self.destinations(name, splits)
        position = int(np.argmax(count))
        share = {w.projection: int(slices_per_source(self.arranged(w).slice_blocks(
            self.layouts[w.target].cut(splits[w.target])))[position])
            for w in self.out_of[name]}
        self._no_fit(name, int(self.layouts[name].positions[position]),
                     f"sends to {int(count[position])} cores", share, "cores",
                     f"{int(limit)} output axons", int(count[position] - limit), "")

    def _no_fit(self, name: str, neuron: int, need: str, share: dict[str, int], unit: str,
                limit: str, excess: int, tail: str) -> None:
        """The error for one neuron that needs more than a core has, naming the projection
        with the largest share of the need."""
        culprit = max(share, key=lambda projection: share[projection])
        raise MappingError(
            f"{self.graph.name!r} does not fit {self.chip.name}: neuron {neuron} of {name!r} "
            f"{need} (largest share: projection {culprit!r}, {share[culprit]} {unit}) but a "
            f"core has {limit}: {excess} over{tail}")


def _amount(resource: str, value: float) -> str:
    """``value`` of ``resource`` in words: '4100 input axons', '2.1e+06 bits of synaptic memory'."""
    if resource == "synaptic_memory_bits":
        return f"{int(value)} bits of synaptic memory"
    return f"{int(value)} {RESOURCE_LABELS[resource]}"
