"""Costs C(s_out, y) whose gradient nudges the output in the nudged phase (F = E + βC)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SquaredError:
    """C = (scale/2)·‖s_out − y‖², per sample.

    ``scale = 1``: ½‖y − s‖², the cost of Scellier & Bengio (2017, eq. 6) and of Laborieux
    et al.'s code. ``scale = 2``: ‖y − s‖², what the code of Scellier & Bengio and of Gammell et
    al. actually computes (no ½), so that their β and learning rates carry over unchanged.
    """

    name: str
    scale: float

    def cost(self, s_out: np.ndarray, target: np.ndarray) -> np.ndarray:
        diff = (s_out - target).reshape(s_out.shape[0], -1)
        return 0.5 * self.scale * np.einsum("bi,bi->b", diff, diff)

    def add_nudge(self, drive: np.ndarray, s_out: np.ndarray, target: np.ndarray,
                  beta: float) -> None:
        """drive += −β ∂C/∂s_out = β·scale·(y − s_out), in place."""
        drive += (beta * self.scale) * (target - s_out)


LOSSES = {
    "half_squared_error": SquaredError("half_squared_error", 1.0),
    "squared_error": SquaredError("squared_error", 2.0),
}


def get_loss(name: str) -> SquaredError:
    try:
        return LOSSES[name]
    except KeyError:
        raise KeyError(f"unknown loss {name!r}; allowed: {', '.join(LOSSES)}") from None
