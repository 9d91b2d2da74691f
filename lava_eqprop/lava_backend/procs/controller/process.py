"""PhaseController: the clock of an EP graph (see :mod:`lava_eqprop.lava_backend.protocol`)."""

import numpy as np
from lava.magma.core.process.ports.ports import OutPort
from lava.magma.core.process.variable import Var

from lava_eqprop.lava_backend.procs.base import EPProcess
from lava_eqprop.lava_backend.protocol import CTRL_SIZE


class PhaseController(EPProcess):
    """Broadcasts the control vector of every step; has no inputs.

    Parameters: ``free_steps`` T1, ``nudged_steps`` T2, ``betas`` of shape (batches, k) with
    k = 0 (inference), 1 (one-sided) or 2 (symmetric: β, −β), and ``n_valid`` (batches,), the
    number of real samples in each batch. After the last batch it sends idle LOAD steps with
    batch −1. ``step`` counts the steps sent.
    """

    def __init__(self, *, free_steps: int, nudged_steps: int, betas: np.ndarray,
                 n_valid: np.ndarray, name: str = "controller") -> None:
        betas = np.asarray(betas, dtype=float)
        n_valid = np.asarray(n_valid, dtype=int)
        if betas.ndim != 2 or betas.shape[1] > 2 or len(betas) != len(n_valid):
            raise ValueError(f"{name}: betas must be (batches, 0|1|2) and n_valid (batches,), got "
                             f"{betas.shape} and {n_valid.shape}")
        if np.any(n_valid < 1):
            raise ValueError(f"{name}: every batch needs at least one valid sample")
        super().__init__(free_steps=int(free_steps), nudged_steps=int(nudged_steps), betas=betas,
                         n_valid=n_valid, name=name)
        self.ctrl_out = OutPort(shape=(CTRL_SIZE,))
        self.step = Var(shape=(1,), init=0)
