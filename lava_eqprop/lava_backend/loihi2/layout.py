"""How a projection becomes synapses in the loihi2 graph.

A dense projection is its weight W (post, pre), all of it (``LearningDense``) or its mask's
entries (``LearningSparse``). Lava has no learning conv synapse, so a conv projection, and an
identity skip, is unrolled (:class:`~lava_eqprop.engine.unrolling.Unrolled`) into the sparse
synapses it implies, M(θ)[k, j] = Σ coefficient·θ_tap over the (post k, pre j) pairs it
connects: a chip without weight sharing. A max-pooled conv is refused (its drive is a max, not
a weighted sum), and so is an unrolling whose (post, pre) matrix exceeds
:data:`MAX_UNROLLED_ENTRIES`: the sparse learning models of
:mod:`~lava_eqprop.lava_backend.loihi2.sparse` apply the rule on dense views of that matrix
every step.

Learning an unrolled conv: every synapse runs the EP rule on its own pair, so within a run the
synapses of one kernel tap move apart (a locally connected layer). When the host reads the
weights back, the kernel takes the chain rule of their changes through the unrolling,
Δθ_t = Σ coefficient·ΔM[k, j] over the tap's synapses (:meth:`SynapseLayout.fold`): after one
sample exactly the engine's update of θ, after a run the sum of the run's per-synapse updates.
An identity skip does not learn; it becomes a fixed ``Sparse`` pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lava_eqprop.engine.unrolling import Unrolled, synapse_pattern
from lava_eqprop.errors import NetworkError
from lava_eqprop.network.network import Network, Projection

MAX_UNROLLED_ENTRIES = 2 ** 22      # (post × pre) of an unrolled projection: 32 MiB float64


@dataclass(frozen=True)
class SynapseLayout:
    """The synapses of one projection: ``weights`` (post, pre), ``mask`` (None: every entry,
    a LearningDense) and, for a conv or identity projection, its ``unrolled`` form."""

    weights: np.ndarray
    mask: np.ndarray | None
    unrolled: Unrolled | None = None

    def fold(self, change: np.ndarray) -> np.ndarray:
        """The projection's own weight change from a (post, pre) change of its synapses."""
        if self.unrolled is None:
            return change
        return self.unrolled.fold(change[self.unrolled.post_index, self.unrolled.pre_index])


def synapse_layout(proj: Projection, network: Network) -> SynapseLayout:
    """The synapses of ``proj`` (module docstring), refused by name where none are built."""
    if proj.kind == "dense":
        return SynapseLayout(np.asarray(proj.weight, dtype=float), proj.mask)
    where = f"projection {proj.name!r}"
    if proj.kind == "conv" and proj.conv_geometry.pool == "max":
        raise NetworkError(f"{where}: a max-pooled conv drives by a max, not a weighted sum, so "
                           "it has no synapses to unroll into (Lava has no learning conv "
                           "synapse)")
    post, pre = network.population(proj.post).size, network.population(proj.pre).size
    if post * pre > MAX_UNROLLED_ENTRIES:
        synapses = int(np.count_nonzero(synapse_pattern(proj, network)))
        raise NetworkError(f"{where}: Lava has no learning conv synapse, and unrolled it is "
                           f"{synapses:,} synapses in a {post:,} x {pre:,} matrix, above the "
                           f"{MAX_UNROLLED_ENTRIES:,} entries the sparse learning models "
                           "handle (they learn on dense views of it every step)")
    unrolled = Unrolled(proj, network)
    return SynapseLayout(unrolled.matrix(), synapse_pattern(proj, network), unrolled)
