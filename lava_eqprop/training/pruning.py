"""Sparsity by pruning (Farinha et al. 2020): remove small incoming weights at random.

Once per epoch, for every neuron j, the connections i → j whose weight is small, |W_ij| ≤ θ
(θ = 0.01 in the paper), are removed at random, each with the probability

    p_ij = exp(−|W_ij|/T) / Σ_k exp(−|W_kj|/T),  the softmax over j's live incoming weights,

with the temperature T = 5 of the paper (so that a small weight's chance is about 1/fan-in).
A live connection exists in the projection's mask and has a non-zero weight. Removing sets the
weight to zero; the learning rule may grow it again, unless the pruning is *permanent*, which
also clears the mask (a persistent mask: the connection no longer exists for any backend).

Only nets whose plastic projections are all directed are pruned; a symmetric projection is
refused (both of its directions would have to go together, and the paper prunes directed nets).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lava_eqprop.errors import NetworkError
from lava_eqprop.network.network import Network, Projection
from lava_eqprop.spec.sections import LearningSection


@dataclass(frozen=True)
class Pruning:
    """θ (weights with |W| ≤ θ are candidates), the softmax temperature T, and permanence."""

    threshold: float = 0.01
    temperature: float = 5.0
    permanent: bool = False

    def __post_init__(self) -> None:
        if not self.threshold > 0 or not self.temperature > 0:
            raise ValueError(f"pruning needs threshold > 0 and temperature > 0, got "
                             f"{self.threshold}, {self.temperature}")


def pruning_from(learning: LearningSection) -> Pruning | None:
    """The spec's per-epoch pruning, or None when ``prune_threshold`` is 0 (off)."""
    if not learning.prune_threshold:
        return None
    return Pruning(learning.prune_threshold, learning.prune_temperature,
                   learning.prune_permanent)


def existing(projection: Projection) -> np.ndarray:
    """Where a projection has synapses: its mask, or everything but a lateral diagonal."""
    if projection.mask is not None:
        return projection.mask
    exists = np.ones(projection.weight.shape, dtype=bool)
    if projection.lateral:
        np.fill_diagonal(exists, False)
    return exists


def live_connections(network: Network) -> int:
    """Connections that exist and carry a non-zero weight."""
    return sum(int(np.count_nonzero(p.weight * existing(p))) for p in network.projections)


def prune(network: Network, settings: Pruning, rng: np.random.Generator) -> int:
    """Prune every free population's incoming directed weights in place; return how many."""
    if any(p.symmetric and p.plastic for p in network.projections):
        raise NetworkError(f"network {network.name!r}: pruning removes directed connections; "
                           "its symmetric projections cannot be pruned one direction at a time")
    removed = 0
    for pop in network.free:
        incoming = [p for p in network.projections if p.post == pop.name and p.plastic]
        if incoming:
            removed += _prune_incoming(incoming, settings, rng)
    return removed


def _prune_incoming(incoming: list[Projection], settings: Pruning,
                    rng: np.random.Generator) -> int:
    """The softmax over each post neuron's live incoming weights, across its projections."""
    weights = np.concatenate([p.weight for p in incoming], axis=1)
    live = np.concatenate([existing(p) for p in incoming], axis=1) & (weights != 0)
    magnitude = np.abs(weights)
    logits = np.where(live, -magnitude / settings.temperature, -np.inf)
    peak = np.max(logits, axis=1, keepdims=True)
    peak[~np.isfinite(peak)] = 0.0
    odds = np.exp(logits - peak)
    totals = odds.sum(axis=1, keepdims=True)
    probability = np.divide(odds, totals, out=np.zeros_like(odds), where=totals > 0)
    remove = live & (magnitude <= settings.threshold) & (rng.random(weights.shape) < probability)
    start = 0
    for proj in incoming:
        block = remove[:, start:start + proj.weight.shape[1]]
        start += proj.weight.shape[1]
        proj.weight[block] = 0.0
        if settings.permanent:
            proj.mask = existing(proj) & ~block
    return int(remove.sum())
