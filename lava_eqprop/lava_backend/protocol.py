"""The phase protocol of a compiled EP graph: what the controller broadcasts every time step.

Every process of the graph receives, first thing in every step, one control vector from the
:class:`~lava_eqprop.lava_backend.procs.controller.process.PhaseController` (which has no
inputs, so this can never deadlock). Its fields, in order (:data:`CTRL_FIELDS`):

``phase``
    LOAD (populations reset to zero, the data source sends the next batch), FREE (β = 0),
    NUDGE (β ≠ 0 on the output) or RESTORE (populations go back to the state they saved at the
    end of the free phase, so that a second nudged phase starts from it).
``beta``
    β of this step (0 outside NUDGE).
``snap``
    0, or the slot (:data:`SLOT_A`, :data:`SLOT_B`) into which plastic elements copy the
    activity they received this step: the two states whose correlations EP contrasts.
``free_end``
    1 on the last free step: populations save their state for RESTORE, the readout predicts.
``learn``
    0, or the scale s of the local update at this step: ΔW = η·s·[c(A) − c(B)] / n_valid, with
    c the correlation of a slot (Scellier & Bengio 2017, eq. 13).
``batch``
    index of the batch being processed (the data source's row of its sample order).
``n_valid``
    number of real samples in the batch; the remaining rows are padding and do not learn.

One sample (or batch) takes ``1 + T1 + T2`` steps with the one-sided estimator and
``1 + T1 + T2 + 1 + T2`` with the symmetric one (LOAD, free phase, nudged phase(s)). A step of
the graph is one synchronous (Jacobi) iteration of the engine: synapses send the drive computed
from the states they received in the previous step, then receive this step's states.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LOAD, FREE, NUDGE, RESTORE = 0, 1, 2, 3
PHASE_NAMES = ("load", "free", "nudged", "restore")
SLOT_A, SLOT_B = 1, 2
CTRL_FIELDS = ("phase", "beta", "snap", "free_end", "learn", "batch", "n_valid")
CTRL_SIZE = len(CTRL_FIELDS)
(PHASE, BETA, SNAP, FREE_END, LEARN, BATCH, N_VALID) = range(CTRL_SIZE)


@dataclass(frozen=True)
class PhasePlan:
    """The phases of one batch: T1 free steps, then one nudged phase per entry of ``betas``.

    ``betas = ()`` is inference (the free phase alone); ``(β,)`` the one-sided estimator,
    contrasting the nudged state (slot A) with the free state (slot B), scale 1/β;
    ``(β, −β)`` the symmetric estimator, contrasting +β (A) with −β (B), scale 1/(2β).
    """

    free_steps: int
    nudged_steps: int
    betas: tuple[float, ...]

    def __post_init__(self) -> None:
        if self.free_steps < 1:
            raise ValueError(f"free_steps must be >= 1, got {self.free_steps}")
        if self.betas and self.nudged_steps < 1:
            raise ValueError(f"nudged_steps must be >= 1, got {self.nudged_steps}")
        if len(self.betas) > 2 or any(b == 0 for b in self.betas):
            raise ValueError(f"betas must be (), (β,) or (β, −β) with β ≠ 0, got {self.betas}")

    @property
    def steps(self) -> int:
        """Time steps per batch."""
        nudged = len(self.betas) * self.nudged_steps + max(len(self.betas) - 1, 0)
        return 1 + self.free_steps + nudged

    def messages(self, batch: int, n_valid: int) -> np.ndarray:
        """The control vectors of every step of one batch, shape (steps, CTRL_SIZE)."""
        rows = [_ctrl(LOAD)]
        rows += [_ctrl(FREE) for _ in range(self.free_steps)]
        one_sided = len(self.betas) == 1
        rows[-1][FREE_END] = 1
        if one_sided:
            rows[-1][SNAP] = SLOT_B
        for k, beta in enumerate(self.betas):
            if k:
                rows.append(_ctrl(RESTORE))
            rows += [_ctrl(NUDGE, beta) for _ in range(self.nudged_steps)]
            rows[-1][SNAP] = SLOT_A if k == 0 else SLOT_B
        if self.betas:
            rows[-1][LEARN] = 1.0 / beta if one_sided else 1.0 / (self.betas[0] - self.betas[1])
        table = np.array(rows)
        table[:, BATCH], table[:, N_VALID] = batch, n_valid
        return table


def _ctrl(phase: int, beta: float = 0.0) -> list[float]:
    row = [0.0] * CTRL_SIZE
    row[PHASE], row[BETA] = phase, beta
    return row
