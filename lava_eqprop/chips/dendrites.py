"""Dendrites split off the neurons whose fan-in needs more input axons than a core has.

A core receives at most ``input_axons_per_core`` distinct sources, and a neuron of a deep conv
net can need more: a 256-channel neuron of Hopfield-ResNet13 draws on 256 × 9 sources below
it and 512 × 9 above (its feedback), 7,552 against Loihi's 4,096, and no cut of its population
changes that. A dendritic tree does: the neuron's synapses are shared among relay neurons on
other cores, each summing its share of the drive, Σ_{j ∈ share} W_ij s_j, and sending the
partial sum to the neuron (its soma), one message and one synapse per relay. A graded spike
carries the partial sum on Loihi 2 (payloads of up to 24 bits, Orchard et al. 2021); on
Loihi 1, whose spikes are binary, it would have to be rate-coded, an assumption of this model
as it is for the activations.

The split, for a population T whose neurons need more than the limit L:

1. per source population S, the sources each neuron of T draws from S (the union over the
   pathways S → T), whose largest is S's share;
2. a share above L − 1 is cut into g contiguous groups of S's channels (of its neurons, for
   a dense pathway, whose groups are then stored as sparse entries), g grown until every
   group's share fits; even groups rather than full ones, so that a core of several relays
   keeps room for their somas' states;
3. the shares are packed first-fit-decreasing into dendrites D_1 … D_d of T, each taking no
   more than L − 1 sources into any relay (the soma's state, below, is the L-th);
4. dendrite D_j holds the shares' pathways S → D_j (their synapses, which learn where they
   learnt), D_j → T (one fixed synapse per neuron: the partial sum) and T → D_j (one per
   neuron: the soma's state, which a learning rule at the dendrite reads).

One level of dendrites, cut by channel, is modelled: a soma that would need more dendrites
than L, or whose sources in one channel alone exceed L − 1, stays over the limit, and the
mapping says so. The relays are neurons like any other to the mapping: they take neurons,
memory and axons on their cores, and the energy model counts their messages
(:mod:`lava_eqprop.chips.energy`).
"""

from __future__ import annotations

import math

import numpy as np

from lava_eqprop.chips.connectivity import Connectivity, counted_together, union_row_counts
from lava_eqprop.chips.pathways import ChipGraph, Group, Pathway


def split_dendrites(graph: ChipGraph, limit: int) -> ChipGraph:
    """``graph`` with dendrites split off every group whose neurons need more than ``limit``
    input axons (module docstring); dendrites are placed just before their soma. A limit
    below 2 leaves no room for a relay: the graph is returned as it is."""
    if limit < 2:
        return graph
    groups: list[Group] = []
    paths = list(graph.paths)
    for group in graph.groups:
        into = [w for w in paths if w.target == group.name]
        shares = _shares(group, into, limit)
        if shares is None:
            groups.append(group)
            continue
        dendrites = _pack(shares, limit - 1)
        paths = [w for w in paths if w.target != group.name]
        for index, members in enumerate(dendrites, start=1):
            dendrite = Group(f"{group.name}/dendrite{index}", group.shape, group.name)
            groups.append(dendrite)
            paths += [_moved(w, dendrite.name) for share in members for w in share.paths]
            relay = _identity(group.shape)
            paths += [Pathway(dendrite.name, dendrite.name, group.name, relay, True),
                      Pathway(dendrite.name, group.name, dendrite.name, relay, True)]
        groups.append(group)
    return ChipGraph(graph.name, groups, paths)


class _Share:
    """The pathways from one source's group of channels into a soma, and the sources each
    soma neuron draws through them."""

    def __init__(self, paths: list[Pathway], need: np.ndarray) -> None:
        self.paths, self.need = paths, need


def _shares(group: Group, into: list[Pathway], limit: int) -> list[_Share] | None:
    """The shares of ``group``'s sources, each within ``limit`` − 1; None when its neurons
    already fit ``limit``, or when one source channel alone is over (the mapping then
    reports the neuron over the limit)."""
    by_source: dict[str, list[Pathway]] = {}
    for w in into:
        by_source.setdefault(w.source, []).append(w)
    needs = {source: _need(ws) for source, ws in by_source.items()}
    if not needs or int(np.sum(list(needs.values()), axis=0).max()) <= limit:
        return None
    shares = []
    for source, ws in by_source.items():
        units = ws[0].synapses.source_units
        pieces = max(1, math.ceil(needs[source].max() / (limit - 1)))
        while True:
            edges = (np.arange(pieces + 1) * units) // pieces
            cut = [[_cut(w, int(a), int(b), units) for w in ws]
                   for a, b in zip(edges[:-1], edges[1:]) if b > a]
            need = [_need(piece) for piece in cut]
            if max(int(n.max()) for n in need) <= limit - 1:
                break
            if pieces >= units:
                return None      # one channel alone is over: no split of this kind helps
            pieces += 1
        shares += [_Share(piece, n) for piece, n in zip(cut, need)]
    return shares


def _need(paths: list[Pathway]) -> np.ndarray:
    """Distinct sources per target neuron over ``paths`` (one source population)."""
    return union_row_counts(counted_together([w.synapses for w in paths]))


def _cut(w: Pathway, start: int, stop: int, units: int) -> Pathway:
    """``w``'s synapses from source channels (or dense sources) [start, stop)."""
    return Pathway(w.projection, w.source, w.target, w.synapses.source_share(start, stop),
                   True, w.kernel * (stop - start) // units, w.plastic)


def _pack(shares: list[_Share], limit: int) -> list[list[_Share]]:
    """First-fit-decreasing: each share into the first dendrite whose neurons stay within
    ``limit`` sources with it."""
    dendrites: list[tuple[list[_Share], np.ndarray]] = []
    for share in sorted(shares, key=lambda s: -int(s.need.max())):
        for members, need in dendrites:
            if int((need + share.need).max()) <= limit:
                members.append(share)
                need += share.need
                break
        else:
            dendrites.append(([share], share.need.copy()))
    return [members for members, _ in dendrites]


def _moved(w: Pathway, target: str) -> Pathway:
    return Pathway(w.projection, w.source, target, w.synapses, w.sparse, w.kernel, w.plastic)


def _identity(shape: tuple[int, ...]) -> Connectivity:
    """One synapse from each neuron to the same neuron of a group of ``shape``."""
    channels, pixels = (shape[0], math.prod(shape[1:])) if len(shape) == 3 else (1, shape[0])
    return Connectivity(np.eye(channels, dtype=bool), np.eye(pixels, dtype=bool))
