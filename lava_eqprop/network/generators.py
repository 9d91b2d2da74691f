"""Topology generators: each one builds a :class:`~lava_eqprop.network.network.Network`.

* :func:`layered` — the multilayer nets of Scellier & Bengio (2017): symmetric all-to-all
  projections between neighbouring layers only.
* :func:`small_world` — Gammell, Buckley, Nam & McCaughan (2021), "Layer-skipping connections
  improve the effectiveness of equilibrium propagation on layered networks": each connection of
  a layered net is removed with probability p and replaced by a random connection between a
  pair of neurons that are not connected yet.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lava_eqprop.errors import NetworkError
from lava_eqprop.network.init import glorot_bound, init_bias, init_weight
from lava_eqprop.network.network import Network, Population, Projection

REWIRE_POOLS = ("skip", "any")


def layer_names(num_layers: int) -> list[str]:
    """``input, h1, ..., hK, output`` for a net of ``num_layers`` populations."""
    return ["input"] + [f"h{i}" for i in range(1, num_layers - 1)] + ["output"]


def pair_name(pre: str, post: str) -> str:
    return f"{pre}-{post}"


def layered(sizes: Sequence[int], *, rng: np.random.Generator, name: str = "layered",
            activation: str = "hard_sigmoid", output_activation: str | None = None,
            weight_init: str = "glorot_uniform", weight_gain: float = 1.0,
            bias_init: str = "zeros") -> Network:
    """A layered net ``sizes[0] - ... - sizes[-1]`` with symmetric neighbour projections.

    Weights are drawn per layer pair with :func:`~lava_eqprop.network.init.init_weight`; the bias
    of layer k uses the fan-in of the projection from layer k-1 (PyTorch's ``nn.Linear``).
    """
    if len(sizes) < 2 or any(int(n) < 1 for n in sizes):
        raise NetworkError("layered: sizes must be at least two positive integers, got "
                           f"{list(sizes)}")
    names = layer_names(len(sizes))
    pops = []
    for k, (pname, n) in enumerate(zip(names, sizes)):
        role = "input" if k == 0 else ("output" if k == len(sizes) - 1 else "hidden")
        act = output_activation if (role == "output" and output_activation) else activation
        bias = (np.zeros(n) if k == 0 else
                init_bias(bias_init, int(sizes[k - 1]), (int(n),), rng, weight_gain))
        pops.append(Population(pname, (int(n),), act, role, bias, learn_bias=(k > 0)))
    projs = [Projection(pair_name(names[k], names[k + 1]), names[k], names[k + 1],
                        init_weight(weight_init, int(sizes[k]), int(sizes[k + 1]), rng,
                                    weight_gain))
             for k in range(len(sizes) - 1)]
    metadata = {"topology": "layered", "sizes": [int(n) for n in sizes]}
    return Network(name, pops, projs, metadata=metadata)


def small_world(base: Network, p: float, *, rng: np.random.Generator, pool: str = "skip",
                new_weight_bound: float | None = None, name: str | None = None) -> Network:
    """Gammell et al. (2021) small-world rewiring of a layered net.

    Every connection of ``base`` is, independently with probability ``p``, removed and replaced
    by a connection between a pair of neurons drawn uniformly from the pairs that are not
    connected at that moment and differ from the pair just removed. Never inside the input
    layer, never inside the output layer. ``pool`` says which pairs may be drawn:

    * ``"skip"`` — neurons of layers at least two apart, plus the neighbour-layer pairs removed
      earlier (the authors' code, topology ``SW_no_intra``, used for the paper);
    * ``"any"`` — every pair of neurons not both in the input or both in the output layer,
      pairs inside a hidden layer included.

    The total number of connections is unchanged. Surviving connections keep their weight; new
    ones are drawn from U(±``new_weight_bound``), by default the mean Glorot bound of the layer
    pairs (what the authors' initial skip weights amount to). Every block of the resulting
    global adjacency becomes one masked symmetric projection ``pre-post`` (``hK-hK`` for a
    lateral one).
    """
    if not 0.0 <= p <= 1.0:
        raise NetworkError(f"small_world: p must be in [0, 1], got {p}")
    if pool not in REWIRE_POOLS:
        raise NetworkError(f"small_world: pool {pool!r} is not one of {list(REWIRE_POOLS)}")
    if base.metadata.get("topology") != "layered":
        raise NetworkError("small_world: the base network must be a layered network")
    sizes = [pop.size for pop in base.populations]
    if new_weight_bound is None:
        new_weight_bound = float(np.mean([glorot_bound(a, b) for a, b in zip(sizes, sizes[1:])]))
    adjacency, weights = _global_adjacency(base)
    fresh = _rewire(adjacency, sizes, p, pool, rng)
    projs = _projections_from_adjacency(base, adjacency, fresh, weights, new_weight_bound, rng)
    metadata = dict(base.metadata, topology="small_world", p=float(p), pool=pool,
                    rewired=int(np.triu(fresh).sum()), new_weight_bound=float(new_weight_bound))
    return Network(name or f"{base.name}-small-world",
                   [_copy_population(q) for q in base.populations], projs, metadata=metadata)


def global_offsets(sizes: Sequence[int]) -> np.ndarray:
    """Index of each layer's first neuron in the global neuron numbering."""
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)


def _copy_population(pop: Population) -> Population:
    return Population(pop.name, pop.shape, pop.activation, pop.role, pop.bias.copy(),
                      pop.learn_bias)


def _global_adjacency(net: Network) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric N×N connection matrix and weight matrix of a net of symmetric dense projections."""
    sizes = [pop.size for pop in net.populations]
    off = global_offsets(sizes)
    n = int(off[-1])
    adjacency = np.zeros((n, n), dtype=bool)
    weights = np.zeros((n, n))
    for proj in net.projections:
        i, j = net.index(proj.pre), net.index(proj.post)
        rows, cols = slice(off[j], off[j + 1]), slice(off[i], off[i + 1])
        mask = proj.mask if proj.mask is not None else np.ones(proj.weight.shape, dtype=bool)
        adjacency[rows, cols] |= mask
        adjacency[cols, rows] |= mask.T
        weights[rows, cols] = proj.weight
        weights[cols, rows] = proj.weight.T
    return adjacency, weights


def _allowed_blocks(sizes: Sequence[int], pool: str) -> list[tuple[int, int, int]]:
    """Layer pairs (i <= j) a new connection may join, with their number of neuron pairs."""
    last = len(sizes) - 1
    blocks = []
    for i in range(len(sizes)):
        for j in range(i, len(sizes)):
            if i == j:
                if pool == "any" and 0 < i < last:
                    blocks.append((i, j, sizes[i] * (sizes[i] - 1) // 2))
            elif j - i >= 2 or pool == "any":
                blocks.append((i, j, sizes[i] * sizes[j]))
    return [b for b in blocks if b[2] > 0]


def _rewire(adjacency: np.ndarray, sizes: Sequence[int], p: float, pool: str,
            rng: np.random.Generator) -> np.ndarray:
    """Rewire ``adjacency`` in place (see :func:`small_world`); return the new connections.

    Candidates are the unconnected pairs of the allowed blocks plus the pairs removed so far
    that lie outside them (in the authors' code a removed pair rejoins the pool after its own
    replacement is drawn); one is drawn uniformly for every removed connection.
    """
    off = global_offsets(sizes)
    layer = np.repeat(np.arange(len(sizes)), sizes)
    us, vs = np.nonzero(np.triu(adjacency))
    removed = np.flatnonzero(rng.random(us.size) < p)
    fresh = np.zeros_like(adjacency)
    if removed.size == 0:
        return fresh
    blocks = _allowed_blocks(sizes, pool)
    in_blocks = {(i, j) for i, j, _ in blocks}
    free_in_blocks = int((_block_mask(adjacency.shape[0], off, blocks) & ~adjacency).sum())
    if removed.size > free_in_blocks:
        raise NetworkError(f"small_world: {removed.size} connections to place but only "
                           f"{free_in_blocks} unconnected pairs may receive one (pool {pool!r}); "
                           "lower p")
    weights = np.array([b[2] for b in blocks], dtype=float)
    candidates = _CandidateStream(blocks, off, weights / weights.sum(), rng)
    returned: list[tuple[int, int]] = []
    for e in removed:
        u, v = int(us[e]), int(vs[e])
        adjacency[u, v] = adjacency[v, u] = False
        fresh[u, v] = fresh[v, u] = False
        removed_in_blocks = (layer[u], layer[v]) in in_blocks
        pick = int(rng.integers(free_in_blocks + len(returned)))
        if pick < len(returned):
            returned[pick], returned[-1] = returned[-1], returned[pick]
            a, b = returned.pop()
        else:
            while True:
                a, b = candidates.next()
                if not adjacency[a, b] and (a, b) != (u, v):
                    break
            free_in_blocks -= 1
        adjacency[a, b] = adjacency[b, a] = True
        fresh[a, b] = fresh[b, a] = True
        if removed_in_blocks:
            free_in_blocks += 1
        else:
            returned.append((u, v))
    return fresh


def _block_mask(n: int, off: np.ndarray, blocks: list[tuple[int, int, int]]) -> np.ndarray:
    """Upper-triangular mask of the neuron pairs inside the allowed blocks."""
    mask = np.zeros((n, n), dtype=bool)
    for i, j, _ in blocks:
        mask[off[i]:off[i + 1], off[j]:off[j + 1]] = True
    return np.triu(mask, 1)


class _CandidateStream:
    """Uniform random neuron pairs (a < b) from the allowed blocks, drawn in vectorised chunks."""

    def __init__(self, blocks: list[tuple[int, int, int]], off: np.ndarray, probs: np.ndarray,
                 rng: np.random.Generator, chunk: int = 4096) -> None:
        self.blocks, self.off, self.probs, self.rng, self.chunk = blocks, off, probs, rng, chunk
        self.pairs: list[tuple[int, int]] = []

    def next(self) -> tuple[int, int]:
        while not self.pairs:
            self._refill()
        return self.pairs.pop()

    def _refill(self) -> None:
        which = self.rng.choice(len(self.blocks), size=self.chunk, p=self.probs)
        lo = np.array([self.off[b[0]] for b in self.blocks])[which]
        hi = np.array([self.off[b[1]] for b in self.blocks])[which]
        n_lo = np.array([self.off[b[0] + 1] - self.off[b[0]] for b in self.blocks])[which]
        n_hi = np.array([self.off[b[1] + 1] - self.off[b[1]] for b in self.blocks])[which]
        a = lo + self.rng.integers(0, n_lo)
        b = hi + self.rng.integers(0, n_hi)
        keep = a != b
        a, b = np.minimum(a, b)[keep], np.maximum(a, b)[keep]
        self.pairs = list(zip(a.tolist(), b.tolist()))[::-1]


def _projections_from_adjacency(base: Network, adjacency: np.ndarray, fresh: np.ndarray,
                                weights: np.ndarray, bound: float,
                                rng: np.random.Generator) -> list[Projection]:
    """The rewired net's projections: the ``fresh`` connections get U(±bound) weights, drawn
    one block of the adjacency at a time (those that hold a connection, pre layer first)."""
    off = global_offsets([pop.size for pop in base.populations])
    merged = weights.copy()
    for i, j in _connected_blocks(adjacency, off):
        rows, cols = slice(off[j], off[j + 1]), slice(off[i], off[i + 1])
        new: np.ndarray = rng.uniform(-bound, bound, size=(rows.stop - rows.start,
                                                           cols.stop - cols.start))
        if i == j:
            new = np.triu(new, 1) + np.triu(new, 1).T
        merged[rows, cols] = np.where(fresh[rows, cols], new, weights[rows, cols])
        merged[cols, rows] = merged[rows, cols].T
    return projections_from_matrices(base.populations, adjacency, merged)


def _connected_blocks(adjacency: np.ndarray, off: np.ndarray) -> list[tuple[int, int]]:
    """Layer pairs (i <= j) whose block of the global adjacency holds a connection."""
    layers = len(off) - 1
    return [(i, j) for i in range(layers) for j in range(i, layers)
            if adjacency[off[j]:off[j + 1], off[i]:off[i + 1]].any()]


def projections_from_matrices(populations: Sequence[Population], adjacency: np.ndarray,
                              weights: np.ndarray) -> list[Projection]:
    """One masked symmetric projection ``pre-post`` per block of a symmetric global
    connection matrix (neurons numbered layer by layer) that holds a connection, with the
    weights of the symmetric global weight matrix (``hK-hK`` for a lateral block)."""
    off = global_offsets([pop.size for pop in populations])
    projs = []
    for i, j in _connected_blocks(adjacency, off):
        pre, post = populations[i], populations[j]
        rows, cols = slice(off[j], off[j + 1]), slice(off[i], off[i + 1])
        mask = adjacency[rows, cols].copy()
        projs.append(Projection(pair_name(pre.name, post.name), pre.name, post.name,
                                weights[rows, cols] * mask, mask=None if mask.all() else mask))
    return projs
