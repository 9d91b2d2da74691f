"""Free and nudged phases run by PyTorch: :class:`TorchRelaxer`, the engine's
:class:`~lava_eqprop.engine.relaxation.Relaxer` with torch arrays and interactions.

The loop is the engine's (its module docstring gives the step, the schedules and the nudges);
this backend supplies the array namespace (:class:`~lava_eqprop.torch_backend.arrays.TorchArrays`)
and the interaction terms (:mod:`lava_eqprop.torch_backend.interactions`), and loads the
current weights onto the device at every clamp. It runs the energy nets' unit-leak dynamics;
Farinha et al.'s decays and trajectory rules stay in the NumPy engine. Results are read back
through ``arrays.to_numpy`` (:meth:`~lava_eqprop.engine.estimators.EPResult.to_numpy`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lava_eqprop.capabilities import refusal
from lava_eqprop.engine.loss import SquaredError
from lava_eqprop.engine.relaxation import Clamped, Dynamics, Relaxer, State
from lava_eqprop.errors import NetworkError
from lava_eqprop.network.network import Network, Projection
from lava_eqprop.torch_backend.arrays import TorchArrays
from lava_eqprop.torch_backend.interactions import TORCH_INTERACTIONS


class TorchRelaxer(Relaxer):
    """Runs free and nudged phases of one network with PyTorch on ``device``."""

    def __init__(self, network: Network, dynamics: Dynamics, loss: SquaredError,
                 dtype: type = np.float64, device: str = "cpu") -> None:
        arrays = TorchArrays(device, dtype)
        if not dynamics.unit_decay:
            raise NetworkError(refusal("torch", "decay", "general", f"network {network.name!r}"))
        self.torch, self.device = arrays.torch, arrays.device

        def interaction(proj: Projection, net: Network):
            return TORCH_INTERACTIONS[proj.kind](proj, net, arrays.device, arrays.dtype)

        super().__init__(network, dynamics, loss, dtype, arrays, interaction)

    def clamp(self, inputs: dict[str, np.ndarray],
              known: dict[str, np.ndarray] | None = None) -> Clamped:
        """Load the current weights onto the device, then clamp (as :meth:`Relaxer.clamp`)."""
        for inter in self.interactions.values():
            inter.load()
        return super().clamp(inputs, known)

    def run(self, state: State, clamped: Clamped, steps: int, beta: float = 0.0,
            target: np.ndarray | None = None, tol: float | None = None,
            check_every: int = 5, observer: Callable | None = None,
            exact: bool = False) -> int:
        """:meth:`Relaxer.run`, without observers."""
        if observer is not None:
            raise NetworkError(refusal("torch", "estimator", "deep", "a trajectory observer"))
        return super().run(state, clamped, steps, beta, target, tol, check_every, exact=exact)
