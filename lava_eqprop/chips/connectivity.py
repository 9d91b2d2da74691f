"""The synapses of one direction of drive, counted from their structure, never listed.

A projection's pairs factor as a Kronecker product C ⊗ S
(:func:`~lava_eqprop.engine.unrolling.connectivity_factors`): target neuron (o, p) meets source
neuron (c, q) iff C[o, c] and S[p, q], o and c channels, p and q pixels (a dense projection
has one channel and its whole pattern as S). Everything the mapping asks of the synapses
follows from the two factors, in memory that grows with channels² + pixels² (a conv's kernel
shape and its image) rather than with the neuron pairs:

* synapses per target neuron: (row sums of C) ⊗ (row sums of S), and per source neuron the
  same with column sums;
* the sources that reach a contiguous slice of the targets: in either order of an image's
  neurons on the cores (its :class:`Layout`: channel-major, or pixel-major, all channels of
  a pixel together) a slice is at most three blocks, each a set of channels O times a set of
  pixels P (the end of its first channel or pixel, whole ones, the start of its last), and a
  block reaches (∨_{o∈O} C[o]) ⊗ (∨_{p∈P} S[p]), each OR read off cumulative counts of the
  factor's rows;
* unions (of a slice's blocks, or of the pathways between two populations) by
  inclusion-exclusion: the intersection of two Kronecker products is the product of the
  intersections, (C₁ ⊗ S₁) ∧ (C₂ ⊗ S₂) = (C₁ ∧ C₂) ⊗ (S₁ ∧ S₂).

A dense factor (one channel) between a pixel-major image and another population has its
pattern's rows or columns put in the layout's order instead (:meth:`Connectivity.arranged`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from lava_eqprop.engine.unrolling import connectivity_factors
from lava_eqprop.network.network import Network, Projection

CHANNEL_MAJOR, PIXEL_MAJOR = "channels", "pixels"


@dataclass(frozen=True)
class Layout:
    """The order of a population's neurons on its cores: ``channel-major`` (a channel's
    pixels together, the network's own order) or ``pixel-major`` (a pixel's channels
    together), for a population of ``shape`` (channels, height, width) or (n,)."""

    shape: tuple[int, ...]
    order: str = CHANNEL_MAJOR

    @property
    def channels(self) -> int:
        return self.shape[0] if len(self.shape) == 3 else 1

    @property
    def pixels(self) -> int:
        return math.prod(self.shape[1:]) if len(self.shape) == 3 else self.shape[0]

    @property
    def positions(self) -> np.ndarray:
        """The neuron (channel-major index) at each position of the layout."""
        index = np.arange(self.channels * self.pixels)
        if self.order == PIXEL_MAJOR:
            return index.reshape(self.channels, self.pixels).T.ravel()
        return index

    def cut(self, k: int) -> np.ndarray:
        """First positions of the slices of a cut into about ``k``, aligned to the layout's
        units (channels channel-major, pixels pixel-major): up to one slice per unit, whole
        units near-equally grouped; beyond, every unit cut into the same number of near-equal
        parts (so the slices number a multiple of the units, and ``cut(len(cut(k)))`` is
        ``cut(k)``). A slice then never mixes parts of two units, whose sources differ."""
        units, per_unit = ((self.channels, self.pixels) if self.order == CHANNEL_MAJOR
                           else (self.pixels, self.channels))
        n = units * per_unit
        if units == 1 or per_unit == 1:
            return (np.arange(min(k, n)) * n) // min(k, n)
        if k <= units:
            return (np.arange(k) * units // k) * per_unit
        parts = min(per_unit, -(-k // units))
        return (np.arange(units)[:, None] * per_unit
                + (np.arange(parts) * per_unit // parts)[None, :]).ravel()


class Connectivity:
    """The pairs C ⊗ S of one pathway (module docstring), target rows by source columns; each
    side in channel-major or pixel-major order (``orders``, target then source)."""

    def __init__(self, channels: np.ndarray, plane: np.ndarray,
                 orders: tuple[str, str] = (CHANNEL_MAJOR, CHANNEL_MAJOR)) -> None:
        self.channels = np.asarray(channels, dtype=bool)
        self.plane = np.asarray(plane, dtype=bool)
        self.orders = orders
        self._cumulative: tuple[np.ndarray, np.ndarray] | None = None

    @classmethod
    def of(cls, projection: Projection, network: Network) -> Connectivity:
        """``projection``'s pairs, post neurons by pre neurons, both channel-major."""
        return cls(*connectivity_factors(projection, network))

    @property
    def T(self) -> Connectivity:  # noqa: N802 (the transpose, as NumPy spells it)
        """The other direction: source rows by target columns."""
        return Connectivity(self.channels.T, self.plane.T, self.orders[::-1])

    def arranged(self, target: Layout, source: Layout) -> Connectivity:
        """The same pairs with each side in its population's layout order (module
        docstring). ``self`` must be channel-major on both sides."""
        channels, plane, orders = self.channels, self.plane, [CHANNEL_MAJOR, CHANNEL_MAJOR]
        if target.order == PIXEL_MAJOR:
            if channels.shape[0] > 1:
                orders[0] = PIXEL_MAJOR
            else:
                plane = plane[target.positions]
        if source.order == PIXEL_MAJOR:
            if channels.shape[1] > 1:
                orders[1] = PIXEL_MAJOR
            else:
                plane = plane[:, source.positions]
        return Connectivity(channels, plane, (orders[0], orders[1]))

    @property
    def shape(self) -> tuple[int, int]:
        return (self.channels.shape[0] * self.plane.shape[0],
                self.channels.shape[1] * self.plane.shape[1])

    @property
    def factor_shapes(self) -> tuple[tuple[int, ...], tuple[int, ...], tuple[str, str]]:
        return self.channels.shape, self.plane.shape, self.orders

    def row_counts(self) -> np.ndarray:
        """Synapses onto each target neuron, in the target's order."""
        return _ordered(np.outer(self.channels.sum(axis=1), self.plane.sum(axis=1)),
                        self.orders[0])

    def column_counts(self) -> np.ndarray:
        """Synapses out of each source neuron, in the source's order."""
        return _ordered(np.outer(self.channels.sum(axis=0), self.plane.sum(axis=0)),
                        self.orders[1])

    def total(self) -> int:
        """All synapses."""
        return int(self.channels.sum()) * int(self.plane.sum())

    def dense(self) -> np.ndarray:
        """The full (targets, sources) boolean matrix in the sides' orders: for small pathways
        and tests only."""
        a, b = self.channels.shape
        p, q = self.plane.shape
        pairs = np.kron(self.channels, self.plane).reshape(a, p, b, q)
        if self.orders[0] == PIXEL_MAJOR:
            pairs = pairs.transpose(1, 0, 2, 3)
        if self.orders[1] == PIXEL_MAJOR:
            pairs = pairs.transpose(0, 1, 3, 2)
        return pairs.reshape(a * p, b * q)

    def source_share(self, start: int, stop: int) -> Connectivity:
        """The pairs whose source lies in channels [start, stop) (a dense factor: sources
        [start, stop)), both sides channel-major."""
        channels, plane = self.channels.copy(), self.plane.copy()
        keep = channels if channels.shape[1] > 1 else plane
        keep[:, :start] = False
        keep[:, stop:] = False
        return Connectivity(channels, plane)

    @property
    def source_units(self) -> int:
        """What :meth:`source_share` cuts: source channels, or a dense factor's sources."""
        return self.channels.shape[1] if self.channels.shape[1] > 1 else self.plane.shape[1]

    def materialised(self) -> Connectivity:
        """The same pairs with a trivial channel factor, C = [[true]] and S the whole pattern."""
        return Connectivity(np.ones((1, 1), dtype=bool), self.dense())

    def slice_blocks(self, starts: np.ndarray) -> list[Block]:
        """The contiguous target slices beginning at ``starts`` (the last ends with the targets)
        as three blocks each, what each block's targets reach as a Kronecker product of a
        channel set and a pixel set (module docstring); a block a slice lacks is empty."""
        cum_channels, cum_plane = self._cumulatives()
        starts = np.asarray(starts, dtype=np.int64)
        blocks = []
        for ranges in slice_ranges(starts, self.channels.shape[0], self.plane.shape[0],
                                   self.orders[0]):
            o0, o1, q0, q1 = (np.broadcast_to(r, starts.shape) for r in ranges)
            blocks.append(Block(_any_rows(cum_channels, o0, o1), _any_rows(cum_plane, q0, q1),
                                self.orders[1]))
        return blocks

    def _cumulatives(self) -> tuple[np.ndarray, np.ndarray]:
        """Cumulative counts of the rows of C and of S, a zero row first."""
        if self._cumulative is None:
            self._cumulative = (_cumulative_rows(self.channels), _cumulative_rows(self.plane))
        return self._cumulative


def _cumulative_rows(factor: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros((1, factor.shape[1]), dtype=np.int32),
                           np.cumsum(factor, axis=0, dtype=np.int32)])


def _any_rows(cumulative: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per slice, which columns have a true entry in rows [lo, hi) of the factor whose
    ``cumulative`` row counts are given; each distinct row range is read once (slices of a
    cut aligned to its units share most ranges)."""
    keys, slot = np.unique(lo.astype(np.int64) * len(cumulative) + hi, return_inverse=True)
    first, stop = np.divmod(keys, len(cumulative))
    return ((cumulative[stop] - cumulative[first]) > 0)[slot]


def _ordered(per_channel_and_pixel: np.ndarray, order: str) -> np.ndarray:
    """A (channels, pixels) array flattened in ``order``."""
    if order == PIXEL_MAJOR:
        return per_channel_and_pixel.T.ravel()
    return per_channel_and_pixel.ravel()


def slice_ranges(starts: np.ndarray, channels: int, pixels: int, order: str) -> list[tuple]:
    """Contiguous slices (beginning at ``starts``) of images of ``channels`` × ``pixels``
    neurons in ``order`` as three blocks each, as (first channel, stop channel, first pixel,
    stop pixel), each an array over the slices or a number (a block a slice lacks is empty).
    Channel-major: the end of the first channel, the whole channels, the start of the last;
    pixel-major: the same with pixels."""
    major, minor = (channels, pixels) if order == CHANNEL_MAJOR else (pixels, channels)
    stops = np.append(starts[1:], channels * pixels)
    first, m0 = np.divmod(starts, minor)
    last, m1 = np.divmod(stops - 1, minor)
    m1 = m1 + 1
    single = first == last
    blocks = [(first, first + 1, m0, np.where(single, m1, minor)),
              (first + 1, np.maximum(last, first + 1), 0, minor),
              (last, np.where(single, last, last + 1), 0, m1)]
    if order == CHANNEL_MAJOR:
        return blocks
    return [(c0, c1, p0, p1) for p0, p1, c0, c1 in blocks]


@dataclass(frozen=True)
class Block:
    """Per target slice, the sources one block of its targets reaches: those of channels
    ``channels[slice]`` at pixels ``pixels[slice]`` ((slices, source channels) and (slices,
    source pixels) booleans), the sources in ``order``."""

    channels: np.ndarray
    pixels: np.ndarray
    order: str = CHANNEL_MAJOR

    def __and__(self, other: Block) -> Block:
        return Block(self.channels & other.channels, self.pixels & other.pixels, self.order)


def _intersections(blocks: list[Block]) -> Iterator[tuple[int, Block]]:
    """(sign, intersection) of every non-empty subset of ``blocks``, the terms of
    inclusion-exclusion, skipping subsets whose intersection is empty for every slice."""
    pending = [(1, block, i) for i, block in enumerate(blocks)]
    while pending:
        sign, block, last = pending.pop()
        if not (block.channels.any(axis=1) & block.pixels.any(axis=1)).any():
            continue        # every superset of an empty intersection is empty too
        yield sign, block
        pending += [(-sign, block & blocks[j], j) for j in range(last + 1, len(blocks))]


def sources_per_slice(blocks: list[Block]) -> np.ndarray:
    """Distinct sources reaching each target slice: |∪ blocks| by inclusion-exclusion."""
    total = np.zeros(len(blocks[0].channels), dtype=np.int64)
    for sign, block in _intersections(blocks):
        total += sign * block.channels.sum(axis=1) * block.pixels.sum(axis=1)
    return total


def slices_per_source(blocks: list[Block]) -> np.ndarray:
    """Number of target slices each source neuron (in the sources' order) reaches: Σ over
    slices of its membership in ∪ blocks, by inclusion-exclusion, each term a product
    (channels)ᵀ·(pixels) over the slices."""
    channels, pixels = blocks[0].channels.shape[1], blocks[0].pixels.shape[1]
    total = np.zeros((channels, pixels))
    for sign, block in _intersections(blocks):
        total += sign * (block.channels.T.astype(float) @ block.pixels.astype(float))
    return _ordered(np.rint(total).astype(np.int64), blocks[0].order)


def slice_traffic(blocks: list[Block], source_starts: np.ndarray) -> np.ndarray:
    """(target slices, source slices): how many neurons of each contiguous source slice
    (beginning at ``source_starts``, in the sources' order) reach each target slice. A source
    slice is itself at most three blocks of channels × pixels, over which a term's count is a
    product of two sums read off cumulative sums."""
    channels, pixels = blocks[0].channels.shape[1], blocks[0].pixels.shape[1]
    ranges = slice_ranges(np.asarray(source_starts, dtype=np.int64), channels, pixels,
                          blocks[0].order)
    total = np.zeros((len(blocks[0].channels), len(source_starts)))
    for sign, block in _intersections(blocks):
        cum_c = np.concatenate([np.zeros((len(block.channels), 1)),
                                np.cumsum(block.channels, axis=1)], axis=1)
        cum_p = np.concatenate([np.zeros((len(block.pixels), 1)),
                                np.cumsum(block.pixels, axis=1)], axis=1)
        for four in ranges:
            c0, c1, q0, q1 = (np.broadcast_to(r, (len(source_starts),)) for r in four)
            total += sign * (cum_c[:, c1] - cum_c[:, c0]) * (cum_p[:, q1] - cum_p[:, q0])
    return np.rint(total).astype(np.int64)


def counted_together(group: list[Connectivity]) -> list[Connectivity]:
    """Pathways between the same two populations, to be counted together: as they are when
    their factors agree in shape and order, else (a dense one beside a conv) materialised."""
    if len({c.factor_shapes for c in group}) > 1:
        return [c.materialised() for c in group]
    return group


def union_row_counts(pathways: list[Connectivity]) -> np.ndarray:
    """Distinct sources of each target neuron (in the target's order) over pathways that
    share their two ends, the shapes of their factors and their orders, by
    inclusion-exclusion over their intersections (module docstring)."""
    if len(pathways) == 1:
        return pathways[0].row_counts()
    total = np.zeros(pathways[0].shape[0], dtype=np.int64)
    for size in range(1, len(pathways) + 1):
        for subset in itertools.combinations(pathways, size):
            both = Connectivity(np.logical_and.reduce([c.channels for c in subset]),
                                np.logical_and.reduce([c.plane for c in subset]),
                                pathways[0].orders)
            total += (-1) ** (size + 1) * both.row_counts()
    return total
