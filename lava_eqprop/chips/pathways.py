"""What a chip holds of a network (:class:`ChipGraph`): its groups of neurons and every
direction of synaptic drive between them (:class:`Pathway`), and how a group is cut into
contiguous slices, one per core, in its layout."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from lava_eqprop.chips.connectivity import PIXEL_MAJOR, Connectivity, Layout, counted_together
from lava_eqprop.network.network import Network


@dataclass(frozen=True)
class Pathway:
    """One direction of synaptic drive: ``source`` neurons onto ``target`` neurons through
    ``projection``; ``synapses`` the pairs that exist, as their structure, both sides
    channel-major (:class:`~lava_eqprop.chips.connectivity.Connectivity`); ``sparse`` says they
    are stored as sparse entries; ``kernel`` is, for a conv, the kernel entries one target
    channel uses (in channels × kh × kw into post, out channels × kh × kw into pre), else 0."""

    projection: str
    source: str
    target: str
    synapses: Connectivity
    sparse: bool
    kernel: int = 0
    plastic: bool = False

    def row_bits(self, rows: np.ndarray, weight_bits: int) -> np.ndarray:
        """Synaptic memory each target neuron with ``rows`` synapses of this pathway needs,
        stored unrolled (bits): sparse entries of weight and source index, or a dense row."""
        if self.sparse:
            index_bits = max(1, math.ceil(math.log2(self.synapses.shape[1])))
            return rows * (weight_bits + index_bits)
        return np.where(rows > 0, self.synapses.shape[1] * weight_bits, 0)


def pathways(network: Network) -> list[Pathway]:
    """Every direction of drive a chip must store: a symmetric projection between two free
    populations drives both ends (W on the post cores, Wᵀ on the pre cores: a chip's
    synapses are one-way), a directed one or one from a clamped input only its post."""
    out = []
    for proj in network.projections:
        exists = Connectivity.of(proj, network)
        sparse = proj.mask is not None or proj.lateral or proj.kind != "dense"
        directions = [(proj.pre, proj.post, exists)]
        if proj.symmetric and not proj.lateral:
            directions.append((proj.post, proj.pre, exists.T))
        for source, target, synapses in directions:
            if network.population(target).clamped:
                continue
            kernel = 0
            if proj.kind == "conv":
                out_ch, in_ch, kh, kw = proj.weight.shape
                kernel = (in_ch if target == proj.post else out_ch) * kh * kw
            out.append(Pathway(proj.name, source, target, synapses, sparse, kernel,
                               proj.plastic))
    return out


@dataclass(frozen=True)
class Group:
    """Neurons the chip holds together: a population of the network, or a dendrite of one
    (``dendrite_of``): relay neurons, one per neuron of that population, each summing a share
    of its inputs (:mod:`lava_eqprop.chips.dendrites`)."""

    name: str
    shape: tuple[int, ...]
    dendrite_of: str | None = None

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class ChipGraph:
    """The groups of neurons of network ``name`` on a chip, in placement order, and the
    pathways between them."""

    name: str
    groups: list[Group]
    paths: list[Pathway]

    def group(self, name: str) -> Group:
        return self._by_name[name]

    @functools.cached_property
    def _by_name(self) -> dict[str, Group]:
        return {g.name: g for g in self.groups}

    def dendrites(self, soma: str) -> list[Group]:
        return [g for g in self.groups if g.dendrite_of == soma]


def chip_graph(network: Network) -> ChipGraph:
    """The network as the chip holds it before any dendrite is split off."""
    return ChipGraph(network.name, [Group(p.name, p.shape) for p in network.populations],
                     pathways(network))


def arranged_group(paths: list[Pathway], layouts: dict[str, Layout]) -> list[Connectivity]:
    """The pathways joining one source population to one target, in their layouts' orders, as
    the structures to count together (a source neuron is one input axon of a core however
    many pathways join it to the core); pathways whose factors then differ in shape (a dense
    one beside a conv) are counted in their materialised form."""
    return counted_together([w.synapses.arranged(layouts[w.target], layouts[w.source])
                             for w in paths])


def pixel_major_allowed(shape: tuple[int, ...]) -> bool:
    """Whether a population of ``shape`` has two layouts: an image of several channels and
    several pixels."""
    return len(shape) == 3 and shape[0] > 1 and shape[1] * shape[2] > 1


def channels_per_slice(layout: Layout, starts: np.ndarray) -> np.ndarray:
    """How many channels of an image population each slice beginning at ``starts`` holds (a
    slice ends where the next begins): channel-major, the channels it touches; pixel-major,
    every channel once it spans as many neurons as there are channels."""
    stops = np.append(starts[1:], layout.channels * layout.pixels)
    if layout.order == PIXEL_MAJOR:
        return np.minimum(stops - starts, layout.channels)
    return (stops - 1) // layout.pixels - starts // layout.pixels + 1
