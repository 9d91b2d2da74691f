"""Projections as plain synapses: a conv or identity projection unrolled into the (post, pre)
pairs it connects, for backends without weight sharing (Brian2 here).

Every projection kind is linear in its weight θ (no max pooling): its drive to post is M(θ)·s_pre
with M(θ) = Σ_t θ_t M(e_t), e_t the t-th unit weight. The unrolling lists the non-zeros of
every M(e_t) as triples (synapse, tap t, coefficient): a conv's post pixel (o, i, j) and tap
(o, c, u, v) meet pre pixel (c, s·i + u − p, s·j + v − p) when it lies inside the image, with
coefficient 1, or 1/size² for each conv output of an average-pooling window; an identity skip
joins neuron i to neuron i with coefficient 1. So

    synapse weight M(θ)[k, j] = Σ_triples of (k, j) coefficient · θ_t,
    Δθ_t = Σ_triples of t coefficient · ΔM[k, j]      (the chain rule through a linear map),

which folds an update computed per synapse back onto the shared kernel. A dense projection is
its own unrolling (its mask, or every pair but the diagonal of a lateral one).
"""

from __future__ import annotations

import math

import numpy as np

from lava_eqprop.errors import NetworkError
from lava_eqprop.network.network import Network, Projection, conv_output_size


class Unrolled:
    """One projection as synapses: the connected (post, pre) pairs, the current weight of each,
    and the fold of a per-synapse update back onto the projection's own weight."""

    def __init__(self, projection: Projection, network: Network) -> None:
        self.projection = projection
        self.shape = (network.population(projection.post).size,
                      network.population(projection.pre).size)
        if projection.kind == "dense":
            self.post_index, self.pre_index = np.nonzero(_dense_pattern(projection))
            self.triples = None
            return
        post, pre, self.tap, self.coefficient = _triples(projection, network)
        pairs, self.synapse = np.unique(post * self.shape[1] + pre, return_inverse=True)
        self.post_index, self.pre_index = np.divmod(pairs, self.shape[1])
        self.triples = len(self.tap)

    def synapse_weights(self) -> np.ndarray:
        """M(θ)[k, j] at every connected pair, in the order of ``post_index``/``pre_index``."""
        weight = self.projection.weight
        if self.triples is None:
            return weight[self.post_index, self.pre_index]
        values = self.coefficient * np.reshape(weight, -1)[self.tap]
        return np.bincount(self.synapse, weights=values, minlength=len(self.post_index))

    def matrix(self) -> np.ndarray:
        """M(θ), the (post size, pre size) matrix of the projection's current weight."""
        dense = np.zeros(self.shape)
        dense[self.post_index, self.pre_index] = self.synapse_weights()
        return dense

    def fold(self, per_synapse: np.ndarray) -> np.ndarray:
        """Δθ from one update value per connected pair (see the module docstring)."""
        if self.triples is None:
            dense = np.zeros(self.shape)
            dense[self.post_index, self.pre_index] = per_synapse
            return dense
        weight = self.projection.weight
        folded = np.bincount(self.tap, weights=self.coefficient * per_synapse[self.synapse],
                             minlength=np.size(weight))
        return folded.reshape(np.shape(weight))


def _dense_pattern(projection: Projection) -> np.ndarray:
    """The existing synapses of a dense projection: its mask, else all (lateral: no diagonal)."""
    if projection.mask is not None:
        return projection.mask.astype(bool)
    pattern = np.ones(projection.weight.shape, dtype=bool)
    if projection.lateral:
        np.fill_diagonal(pattern, False)
    return pattern


def synapse_pattern(projection: Projection, network: Network) -> np.ndarray:
    """The (post size, pre size) boolean matrix of the pairs a projection connects, any kind:
    ``np.kron`` of its :func:`connectivity_factors`. A max-pooled conv connects each pooled
    neuron to every pre neuron of its window's patches (its drive is the max over them, not a
    weighted sum: the connectivity, not the weights)."""
    channels, plane = connectivity_factors(projection, network)
    return np.kron(channels, plane)


def connectivity_factors(projection: Projection, network: Network
                         ) -> tuple[np.ndarray, np.ndarray]:
    """The pairs a projection connects as a Kronecker product C ⊗ S: post neuron (o, p) meets
    pre neuron (c, q), in channel-major order (p, q the pixels of a plane), iff C[o, c] and
    S[p, q]. A conv connects every channel pair (C all true) through the pixel pattern of its
    taps, S; an identity skip has C = S = the identity; a dense projection is C = [[true]] and
    S its own pattern (mask, or all pairs but a lateral one's diagonal). The factors hold
    channels² + pixels² entries where the pattern holds their product."""
    if projection.kind == "dense":
        return np.ones((1, 1), dtype=bool), _dense_pattern(projection)
    if projection.kind == "identity":
        shape = network.population(projection.pre).shape
        n_channels, n_pixels = ((shape[0], math.prod(shape[1:])) if len(shape) == 3
                                else (1, shape[0]))
        return np.eye(n_channels, dtype=bool), np.eye(n_pixels, dtype=bool)
    out_ch, in_ch = projection.weight.shape[:2]
    post_shape = network.population(projection.post).shape
    pre_shape = network.population(projection.pre).shape
    post_pixel, pre_pixel, _, _, _ = _plane_triples(projection, network, max_as_window=True)
    plane = np.zeros((post_shape[1] * post_shape[2], pre_shape[1] * pre_shape[2]), dtype=bool)
    plane[post_pixel, pre_pixel] = True
    return np.ones((out_ch, in_ch), dtype=bool), plane


def _triples(projection: Projection, network: Network) -> tuple[np.ndarray, ...]:
    """(post neuron, pre neuron, tap, coefficient) of every non-zero of every M(e_t): the
    plane's triples (:func:`_plane_triples`) repeated for every (out, in) channel pair."""
    if projection.kind == "identity":
        size = network.population(projection.pre).size
        index = np.arange(size)
        return index, index, np.zeros(size, dtype=np.int64), np.ones(size)
    post_pixel, pre_pixel, u, v, coefficient = _plane_triples(projection, network)
    out_ch, in_ch, kh, kw = projection.weight.shape
    post_plane = math.prod(network.population(projection.post).shape[1:])
    pre_plane = math.prod(network.population(projection.pre).shape[1:])
    o, c = (a.reshape(-1, 1) for a in np.meshgrid(np.arange(out_ch), np.arange(in_ch),
                                                   indexing="ij"))
    post = (o * post_plane + post_pixel).ravel()
    pre = (c * pre_plane + pre_pixel).ravel()
    tap = (((o * in_ch + c) * kh + u) * kw + v).ravel()
    return post, pre, tap, np.broadcast_to(coefficient, (len(o), len(u))).ravel()


def _plane_triples(projection: Projection, network: Network,
                   max_as_window: bool = False) -> tuple[np.ndarray, ...]:
    """(post pixel, pre pixel, tap row u, tap column v, coefficient) of one channel pair of a
    conv: post pixel (i, j) and tap (u, v) meet pre pixel (s·i + u − p, s·j + v − p) when it
    lies inside the image, with coefficient 1, or 1/size² for each conv output of an
    average-pooling window (which feeds pooled pixel (i, j) // size). With ``max_as_window``,
    a max-pooled conv's window connectivity (coefficients meaningless)."""
    geo = projection.conv_geometry
    if geo.pool == "max" and not max_as_window:
        raise NetworkError(f"projection {projection.name!r}: a max-pooled conv is not linear in "
                           "its input, so it has no fixed synapses to unroll into")
    kh, kw = projection.weight.shape[2:]
    _, height, width = network.population(projection.pre).shape
    post_shape = network.population(projection.post).shape
    ho = conv_output_size(height, kh, geo.stride, geo.padding)
    wo = conv_output_size(width, kw, geo.stride, geo.padding)
    i, j, u, v = (a.ravel() for a in np.meshgrid(np.arange(ho), np.arange(wo), np.arange(kh),
                                                  np.arange(kw), indexing="ij"))
    y, x = geo.stride * i + u - geo.padding, geo.stride * j + v - geo.padding
    inside = (y >= 0) & (y < height) & (x >= 0) & (x < width)
    i, j, u, v, y, x = (a[inside] for a in (i, j, u, v, y, x))
    coefficient = np.ones(len(i))
    if geo.pool:
        size = geo.pool_size
        i, j = i // size, j // size
        keep = (i < post_shape[1]) & (j < post_shape[2])   # windows that fit
        i, j, u, v, y, x = (a[keep] for a in (i, j, u, v, y, x))
        coefficient = np.full(len(i), 1.0 / (size * size))
    return i * post_shape[2] + j, y * width + x, u, v, coefficient
