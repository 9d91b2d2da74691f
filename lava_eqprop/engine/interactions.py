"""Interaction terms: what each projection kind contributes to the energy, the drives and ΔW.

A projection contributes one term to the energy (Scellier & Bengio 2017, eq. 1, written for
clip activations, see :mod:`lava_eqprop.network.activations`) and knows three things:

* its energy, per sample;
* its drive (input) to the post population and, when symmetric, to the pre population;
  the drive is −∂E_term/∂s;
* its *correlation* −∂E_term/∂W summed over the batch, from which every EP estimator builds
  its weight update.

Every kind is one class registered in :data:`INTERACTIONS` (the conv and identity kinds in
:mod:`lava_eqprop.engine.conv_interaction`), with the same methods: ``energy``, ``bind``,
``correlation``, ``contrast``, ``mask_correlation`` and ``dense_matrix``. States are
``(batch, size)`` arrays, each population flattened (an image in (channel, row, column) order).

What the relaxation and the estimators use of an interaction, in every backend, is the protocol
:class:`Interaction`; :class:`EnergyTerm` adds what only this engine's interactions have, the
energy and the matrix of the drive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np

from lava_eqprop.engine.conv_interaction import ConvInteraction, IdentityInteraction
from lava_eqprop.errors import NetworkError
from lava_eqprop.network.network import Network, Projection

Drive = Callable[[dict[str, np.ndarray], np.ndarray | None], np.ndarray]


class Interaction(Protocol):
    """The interaction term of a projection as the relaxation and the EP estimators use it,
    in any backend (the torch ones, :mod:`lava_eqprop.torch_backend.interactions`, too)."""

    projection: Projection

    def bind(self, direction: str) -> Drive:
        """The drive to ``direction`` ("post" or "pre") as ``f(values, out)``, ``values`` the
        states by population name, ``out`` a buffer for the result or None."""
        ...

    def contrast(self, pre_a: np.ndarray, post_a: np.ndarray, pre_b: np.ndarray,
                 post_b: np.ndarray, scale: float, out: np.ndarray | None = None) -> np.ndarray:
        """scale·[correlation(a) − correlation(b)], masked, as a NumPy array."""
        ...

    def mask_correlation(self, corr: np.ndarray) -> np.ndarray:
        """Zero, in place, the entries of a weight-shaped array where no synapse exists."""
        ...


@runtime_checkable
class EnergyTerm(Interaction, Protocol):
    """An interaction of this engine: also its energy term and the matrix of its drive."""

    def energy(self, s_pre: np.ndarray, s_post: np.ndarray) -> np.ndarray:
        """Per-sample energy term (shape ``(batch,)``)."""
        ...

    def dense_matrix(self) -> np.ndarray:
        """The (post size, pre size) matrix M with drive to post = M·s_pre."""
        ...


def energy_term(inter: Interaction) -> EnergyTerm:
    """``inter`` as an :class:`EnergyTerm`; :class:`NetworkError` for the interaction of a
    backend that has no energy or matrix (the torch backend's)."""
    if not isinstance(inter, EnergyTerm):
        raise NetworkError(f"projection {inter.projection.name!r}: the energy and the drive "
                           f"matrix are the NumPy engine's ({type(inter).__name__} has neither)")
    return inter


class DenseInteraction:
    """A dense (optionally masked) weight W of shape (post, pre).

    Between two populations: E_term = −s_postᵀ W s_pre, drive to post W·s_pre, drive to pre
    Wᵀ·s_post, correlation Σ_b s_post s_preᵀ (masked). Lateral (pre == post, W symmetric with a
    zero diagonal): E_term = −½ sᵀ W s, drive W·s, correlation Σ_b s sᵀ (masked); each
    unordered pair (i, j) is one parameter stored twice, and ∂E/∂w_ij = −s_i s_j.
    """

    def __init__(self, projection: Projection, network: Network | None = None) -> None:
        self.projection = projection

    @property
    def weight(self) -> np.ndarray:
        return self.projection.weight

    def dense_matrix(self) -> np.ndarray:
        """The (post size, pre size) matrix M with drive to post = M·s_pre: W itself."""
        return self.projection.weight

    def post_operator(self) -> np.ndarray:
        """M such that the drive to post is ``flat(s_pre) @ M``: a view of Wᵀ, never a copy."""
        return self.projection.weight.T

    def pre_operator(self) -> np.ndarray:
        """M such that the drive to pre is ``flat(s_post) @ M``."""
        return self.projection.weight

    def drive_to_post(self, s_pre: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """W·s_pre per sample, shape (batch, post size); written into ``out`` if given."""
        return np.matmul(_flat(s_pre), self.post_operator(), out=out)

    def drive_to_pre(self, s_post: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Wᵀ·s_post per sample, shape (batch, pre size); written into ``out`` if given."""
        return np.matmul(_flat(s_post), self.pre_operator(), out=out)

    def bind(self, direction: str) -> Drive:
        """The drive to ``direction`` ("post" or "pre") as ``f(values, out)``, ``values`` the
        states by population name, with the weight view taken once.

        For the relaxation's inner loop; valid while the weight is updated in place.
        """
        op = self.post_operator() if direction == "post" else self.pre_operator()
        source = self.projection.pre if direction == "post" else self.projection.post
        matmul = np.matmul
        return lambda values, out: matmul(values[source], op, out=out)

    def energy(self, s_pre: np.ndarray, s_post: np.ndarray) -> np.ndarray:
        """Per-sample energy term (shape ``(batch,)``)."""
        term = -np.einsum("bi,bi->b", self.drive_to_post(s_pre), _flat(s_post))
        return 0.5 * term if self.projection.lateral else term

    def correlation(self, s_pre: np.ndarray, s_post: np.ndarray) -> np.ndarray:
        """Σ_b −∂E_term/∂W, masked: the Hebbian term of the EP update."""
        return self.mask_correlation(_flat(s_post).T @ _flat(s_pre))

    def contrast(self, pre_a: np.ndarray, post_a: np.ndarray, pre_b: np.ndarray,
                 post_b: np.ndarray, scale: float, out: np.ndarray | None = None) -> np.ndarray:
        """scale·[correlation(a) − correlation(b)], as one matrix product.

        With a shared (clamped) pre state it is (scale·(post_a − post_b))ᵀ·pre; otherwise
        [scale·post_a, −scale·post_b]ᵀ·[pre_a; pre_b]. The scale multiplies the small operand,
        and ``out`` (a reused buffer) spares the allocation of a weight-sized array.
        """
        if pre_a is pre_b:
            left = _flat(post_a) - _flat(post_b)
            left *= scale
            right = _flat(pre_a)
        else:
            left = np.concatenate([_flat(post_a) * scale, _flat(post_b) * -scale])
            right = np.concatenate([_flat(pre_a), _flat(pre_b)])
        return self.mask_correlation(np.matmul(left.T, right, out=out))

    def mask_correlation(self, corr: np.ndarray) -> np.ndarray:
        """Zero, in place, the entries of a weight-shaped array where no synapse exists; a
        symmetric lateral projection's is first made exactly symmetric, ½(C + Cᵀ) (the
        stacked product of :meth:`contrast` is symmetric only up to rounding, and W must stay
        W = Wᵀ)."""
        if self.projection.lateral and self.projection.symmetric:
            np.add(corr, corr.T.copy(), out=corr)
            corr *= 0.5
        mask = self.projection.mask
        if mask is not None:
            corr *= mask
        elif self.projection.lateral:
            np.fill_diagonal(corr, 0.0)
        return corr


INTERACTIONS: dict[str, Callable[[Projection, Network], EnergyTerm]] = {
    "dense": DenseInteraction, "conv": ConvInteraction, "identity": IdentityInteraction}


def interaction_for(projection: Projection, network: Network) -> EnergyTerm:
    """The interaction term that implements ``projection.kind`` in ``network``."""
    return INTERACTIONS[projection.kind](projection, network)


def _flat(s: np.ndarray) -> np.ndarray:
    return s.reshape(s.shape[0], -1)
