"""The samples of a phase still moving, as a smaller batch of their own.

The solvers (:mod:`lava_eqprop.engine.solvers`, :mod:`lava_eqprop.engine.adaptive`) write a
sample back into the whole batch's state once it has settled, and take the settled samples out
of the batch once they are a quarter of it: settled samples stop costing, and the batch takes
only a few sizes (a relaxer prepares buffers per batch size).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lava_eqprop.engine.relaxation import Clamped, Relaxer, State


class Rows:
    """The samples of a phase still moving: their rows of the state, clamped inputs and
    target, as arrays of their own once some samples have left."""

    def __init__(self, relaxer: Relaxer, state: State, clamped: Clamped,
                 target: np.ndarray | None) -> None:
        self.relaxer, self.full = relaxer, state
        self.index = np.arange(state.batch)
        self.state, self.clamped, self.target = state, clamped, target

    def write(self, positions: np.ndarray, current: dict[str, Any]) -> None:
        """Write the active rows at ``positions`` of ``current`` (the solver's iterate) into
        the whole batch's state."""
        arrays = self.relaxer.arrays
        if self.state is self.full and current is self.full.values:
            return
        for name in self.full.free:
            arrays.put_rows(self.full.values[name], self.index[positions],
                            arrays.take_rows(current[name], positions))

    def keep(self, keep: np.ndarray, current: dict[str, Any]) -> None:
        """Narrow to the active rows at positions ``keep``, their free states taken from
        ``current``; the rows that leave must have been written (:meth:`write`)."""
        arrays = self.relaxer.arrays
        take = arrays.take_rows
        self.state = State({k: take(v, keep) for k, v in self.state.values.items()},
                           self.full.free, arrays)
        for name in self.full.free:
            self.state.values[name] = take(current[name], keep)
        self.clamped = Clamped({k: take(v, keep) for k, v in self.clamped.inputs.items()},
                               {k: take(v, keep) for k, v in self.clamped.constant.items()})
        if self.target is not None:
            self.target = self.target[keep]
        self.index = self.index[keep]
