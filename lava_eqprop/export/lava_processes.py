"""A projection's weights in a stock Lava synapse process (``lava.proc.dense.process.Dense``,
or ``lava.proc.sparse.process.Sparse`` where most pairs are unconnected), for use in Lava
graphs of one's own: each step it sends a_out = M·s_in of the s_in it received the step
before (Lava's one-step synaptic delay), with graded (real-valued) messages.

M is the projection's matrix (post, pre): a dense projection's W with unconnected pairs zero,
or a conv or identity projection unrolled (:class:`~lava_eqprop.engine.unrolling.Unrolled`);
``feedback=True`` gives Mᵀ, the drive a symmetric projection sends back to its pre
population. Max pooling is not linear, so a max-pooled conv has no such matrix and is refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lava_eqprop.engine.unrolling import Unrolled
from lava_eqprop.errors import NetworkError
from lava_eqprop.network.network import Network

MESSAGE_BITS = 24
"""Graded messages: Lava's Dense and Sparse then multiply by the received value (with 0 they
would treat s_in as binary spikes)."""
SPARSE_BELOW = 0.5
"""A matrix with fewer non-zero entries than this share becomes a Sparse process."""


def projection_matrix(network: Network, name: str, feedback: bool = False) -> np.ndarray:
    """The (post, pre) matrix M of projection ``name`` (its transpose with ``feedback``)."""
    projection = network.projection(name)
    geometry = projection.geometry
    if projection.kind == "conv" and geometry is not None and geometry.pool == "max":
        raise NetworkError(f"projection {name!r} is a max-pooled conv: max pooling is not "
                           "linear, so no synapse matrix computes it")
    if feedback and not projection.symmetric:
        raise NetworkError(f"projection {name!r} is directed: it sends no feedback")
    matrix = Unrolled(projection, network).matrix()
    return matrix.T.copy() if feedback else matrix


def lava_synapse(network: Network, name: str, *, feedback: bool = False) -> Any:
    """A stock Lava ``Dense`` (or ``Sparse``, for a sparse M) computing M·s_in of projection
    ``name`` (module docstring)."""
    from lava_eqprop.lava_compat import import_lava

    import_lava()
    from lava.proc.dense.process import Dense
    from lava.proc.sparse.process import Sparse
    from scipy.sparse import csr_matrix

    matrix = projection_matrix(network, name, feedback)
    label = f"{name}{'.T' if feedback else ''}"
    if np.count_nonzero(matrix) < SPARSE_BELOW * matrix.size:
        return Sparse(weights=csr_matrix(matrix), num_message_bits=MESSAGE_BITS, name=label)
    return Dense(weights=matrix, num_message_bits=MESSAGE_BITS, name=label)
