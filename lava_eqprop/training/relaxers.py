"""The relaxer a trainer runs its phases with: the NumPy engine's, or with a device the torch
backend's; and the parameters cast to its dtype."""

from __future__ import annotations

import copy

import numpy as np

from lava_eqprop.engine.loss import SquaredError
from lava_eqprop.engine.relaxation import Dynamics, Relaxer
from lava_eqprop.network.network import Network


def make_relaxer(network: Network, dynamics: Dynamics, loss: SquaredError, dtype: type,
                 device: str | None = None) -> Relaxer:
    """The NumPy engine's relaxer, or with ``device`` ("cpu", "cuda") the torch backend's."""
    if device is None:
        return Relaxer(network, dynamics, loss, dtype)
    from lava_eqprop.torch_backend.relaxation import TorchRelaxer

    return TorchRelaxer(network, dynamics, loss, dtype, device)


def cast_parameters(network: Network, dtype: type) -> None:
    """Give every weight and bias the engine's dtype (the engine updates them in place)."""
    for proj in network.projections:
        proj.weight = np.ascontiguousarray(proj.weight, dtype=dtype)
    for pop in network.populations:
        pop.bias = np.ascontiguousarray(pop.bias, dtype=dtype)


def in_dtype(network: Network, dtype: type) -> Network:
    """``network`` if its weights and biases are already contiguous ``dtype`` arrays, else a
    copy cast with :func:`cast_parameters`: the caller's network is never changed."""
    arrays = [p.weight for p in network.projections] + [p.bias for p in network.populations]
    if all(a.dtype == dtype and a.flags.c_contiguous for a in arrays):
        return network
    network = copy.deepcopy(network)
    cast_parameters(network, dtype)
    return network
