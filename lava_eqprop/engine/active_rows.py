"""The samples of a phase still moving, as a smaller batch of their own.

The solvers (:mod:`lava_eqprop.engine.solvers`, :mod:`lava_eqprop.engine.adaptive`) take a
sample out of the batch once it has settled, so that settled samples stop costing; this holds
the rows still moving and writes each leaving sample back into the whole batch's state.
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

    def keep(self, keep: np.ndarray, current: dict[str, Any]) -> None:
        """Write the rows that leave (not in ``keep``, positions in the active rows) back to
        the full state from ``current`` (the solver's iterate), and narrow to ``keep``."""
        arrays = self.relaxer.arrays
        leaving = np.setdiff1d(np.arange(self.index.size), keep)
        if self.state is not self.full or current is not self.full.values:
            for name in self.full.free:
                arrays.put_rows(self.full.values[name], self.index[leaving],
                                arrays.take_rows(current[name], leaving))
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
