"""Directed-graph topologies (Farinha et al. 2020): complete and arbitrary directed nets.

Farinha, Pequito, Santos & Figueiredo, "Equilibrium Propagation for Complete Directed Neural
Networks" (ESANN 2020). The neurons are numbered globally, inputs first, then hidden, then
outputs; an adjacency matrix A (A[i, j] true for a connection i → j) says which connections
exist. Every block of A between two of the three populations becomes one *directed* projection
``pre-post`` whose mask is that block (transposed to the (post, pre) layout); blocks inside the
hidden or the output population are lateral projections with a zero diagonal. No projection
enters the input population (inputs are clamped). Nothing here is a special code path: the
engine, Lava and Brian2 read these projections like any other.

* :func:`complete_adjacency` — every ordered pair of distinct neurons except into an input
  (input → output included): the authors' complete directed graph.
* :func:`adjacency_from_edges` — an edge list ``[[i, j], ...]`` as an adjacency matrix.
* :func:`random_adjacency` — a sparse random directed graph: a uniform, seeded choice of a
  given number of the complete graph's connections.
* :func:`directed_network` — the network of an adjacency matrix, weights N(0, std²) on the
  connections that exist (the authors' initialisation, std = 0.05).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lava_eqprop.errors import NetworkError
from lava_eqprop.network.generators import pair_name
from lava_eqprop.network.network import Network, Population, Projection

ROLE_NAMES = (("input", "input"), ("hidden", "hidden"), ("output", "output"))


def complete_adjacency(sizes: Sequence[int]) -> np.ndarray:
    """A (N, N) bool matrix of the complete directed graph on ``sizes = (inputs, hidden,
    outputs)`` neurons: every i → j with i ≠ j and j not an input."""
    n_in, total = int(sizes[0]), int(sum(sizes))
    adjacency = ~np.eye(total, dtype=bool)
    adjacency[:, :n_in] = False
    return adjacency


def random_adjacency(sizes: Sequence[int], connections: int,
                     rng: np.random.Generator) -> np.ndarray:
    """``connections`` connections drawn uniformly without replacement from those of
    :func:`complete_adjacency` (so none enters an input and none is a self-loop)."""
    complete = complete_adjacency(sizes)
    allowed = np.flatnonzero(complete)
    if not 1 <= connections <= allowed.size:
        raise NetworkError(f"random directed net: connections = {connections}, but {list(sizes)} "
                           f"neurons allow 1 to {allowed.size}")
    adjacency = np.zeros_like(complete)
    adjacency.flat[rng.choice(allowed, size=connections, replace=False)] = True
    return adjacency


def adjacency_from_edges(sizes: Sequence[int], edges: Sequence[Sequence[int]]) -> np.ndarray:
    """The adjacency matrix of an edge list ``[[i, j], ...]`` (connection i → j, global
    indices: inputs, then hidden, then outputs); repeated edges are errors."""
    total = int(sum(sizes))
    adjacency = np.zeros((total, total), dtype=bool)
    for k, edge in enumerate(edges):
        if len(edge) != 2 or not all(isinstance(v, (int, np.integer)) for v in edge):
            raise NetworkError(f"edge {k} = {list(edge)!r}: expected [i, j], two neuron indices")
        i, j = int(edge[0]), int(edge[1])
        if not (0 <= i < total and 0 <= j < total):
            raise NetworkError(f"edge {k} = [{i}, {j}]: indices must be in [0, {total - 1}] "
                               f"for {list(sizes)} neurons (inputs, hidden, outputs)")
        if adjacency[i, j]:
            raise NetworkError(f"edge {k} = [{i}, {j}] appears twice")
        adjacency[i, j] = True
    return adjacency


def directed_network(sizes: Sequence[int], adjacency: np.ndarray, *,
                     rng: np.random.Generator, name: str = "directed",
                     activation: str = "hard_sigmoid", weight_std: float = 0.05,
                     bias_std: float = 0.05, topology: str = "directed") -> Network:
    """The directed net of ``adjacency`` on ``sizes = (inputs, hidden, outputs)`` neurons.

    Weights and biases are drawn from N(0, std²) (Farinha et al.'s weights; their bias is the
    weight from a bias neuron clamped at 1, here the population bias, which the same rules
    update). ``hidden`` may be 0. Raises :class:`NetworkError` for a connection into an input,
    a self-connection, or a matrix of the wrong shape.
    """
    sizes = [int(n) for n in sizes]
    if len(sizes) != 3 or sizes[0] < 1 or sizes[2] < 1 or sizes[1] < 0:
        raise NetworkError(f"directed net: sizes must be (inputs >= 1, hidden >= 0, outputs >= 1), "
                           f"got {sizes}")
    total = sum(sizes)
    adjacency = np.asarray(adjacency)
    if adjacency.shape != (total, total):
        raise NetworkError(f"directed net: adjacency has shape {adjacency.shape}, expected "
                           f"({total}, {total}) for {sizes} neurons")
    adjacency = adjacency.astype(bool)
    if adjacency[:, :sizes[0]].any():
        i, j = np.argwhere(adjacency[:, :sizes[0]])[0]
        raise NetworkError(f"directed net: connection {i} -> {j} enters an input neuron "
                           "(inputs are clamped)")
    if adjacency.diagonal().any():
        i = int(np.flatnonzero(adjacency.diagonal())[0])
        raise NetworkError(f"directed net: neuron {i} connects to itself")
    bounds = np.cumsum([0] + sizes)
    pops, spans = [], {}
    for k, ((pname, role), n) in enumerate(zip(ROLE_NAMES, sizes)):
        if n == 0:
            continue
        bias = np.zeros(n) if role == "input" else rng.normal(0.0, bias_std, n)
        pops.append(Population(pname, (n,), activation, role, bias, learn_bias=role != "input"))
        spans[pname] = slice(bounds[k], bounds[k + 1])
    projs = []
    for pre, pre_span in spans.items():
        for post, post_span in spans.items():
            mask = adjacency[pre_span, post_span].T
            if not mask.any():
                continue
            weight = rng.normal(0.0, weight_std, mask.shape) * mask
            full = mask.all() and pre != post
            projs.append(Projection(pair_name(pre, post), pre, post, weight,
                                    mask=None if full else mask, symmetric=False))
    return Network(name, pops, projs, metadata={"topology": topology, "sizes": sizes})
