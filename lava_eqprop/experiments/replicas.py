"""Several seeds of one net trained at once as one net: Farinha et al. (2020) count how many
of 20 seeds learn each logic task.

The replica net of k nets (same populations and projections, different weights) puts every
copy's population p side by side and makes every projection block-diagonal:

    W = diag(W⁽¹⁾, …, W⁽ᵏ⁾),    b = (b⁽¹⁾, …, b⁽ᵏ⁾),

with the mask block-diagonal too, so no connection joins two copies. Every rule of the engine
is local to a neuron and its connections (the dynamics, the EP estimators, SGD with its L1
term, the pruning), so copy c of the replica evolves exactly as net c would alone, and the
engine steps all k in the same array operations. Inputs and targets are the task's, tiled
k times along the feature axis.
"""

from __future__ import annotations

import numpy as np

from lava_eqprop.network.network import Network
from lava_eqprop.training.pruning import existing


def replicas(nets: list[Network]) -> Network:
    """One net holding ``nets`` (same shapes) as disconnected copies: population p of the
    result is every copy's population p side by side, each projection block-diagonal."""
    first = nets[0]
    populations = []
    for p, pop in enumerate(first.populations):
        populations.append(type(pop)(pop.name, (pop.size * len(nets),), pop.activation,
                                     pop.role,
                                     np.concatenate([n.populations[p].bias for n in nets]),
                                     pop.learn_bias))
    projections = []
    for p, proj in enumerate(first.projections):
        copies = [n.projections[p] for n in nets]
        weight = block_diagonal([c.weight for c in copies])
        mask = block_diagonal([existing(c).astype(float) for c in copies]).astype(bool)
        projections.append(type(proj)(proj.name, proj.pre, proj.post, weight, mask=mask,
                                      symmetric=False))
    return Network(f"{first.name} x{len(nets)}", populations, projections)


def block_diagonal(blocks: list[np.ndarray]) -> np.ndarray:
    """diag(B₁, …, B_k) of k blocks of one shape (zeros off the diagonal blocks)."""
    rows, cols = blocks[0].shape
    out = np.zeros((rows * len(blocks), cols * len(blocks)))
    for i, block in enumerate(blocks):
        out[i * rows:(i + 1) * rows, i * cols:(i + 1) * cols] = block
    return out


def copy_back(replica: Network, nets: list[Network]) -> None:
    """Give each of ``nets`` the weights and biases of its copy in ``replica`` (the diagonal
    blocks W⁽ᶜ⁾ and the slices b⁽ᶜ⁾), in place."""
    for p, proj in enumerate(replica.projections):
        for c, net in enumerate(nets):
            rows, cols = net.projections[p].weight.shape
            net.projections[p].weight = proj.weight[c * rows:(c + 1) * rows,
                                                     c * cols:(c + 1) * cols].copy()
    for p, pop in enumerate(replica.populations):
        for c, net in enumerate(nets):
            n = net.populations[p].size
            net.populations[p].bias = pop.bias[c * n:(c + 1) * n].copy()
