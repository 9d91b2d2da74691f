"""What a compiled graph runs: which samples in which batch, and the β of each nudged phase.

The training schedule draws from the same random stream, in the same order, as the engine's
trainer (:class:`lava_eqprop.training.trainer.Trainer`): one permutation of the training set per
epoch, then, with ``beta_sign = "random"``, one sign per batch. Given the same seed, the Lava
backend therefore sees the same batches and the same β signs as the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lava_eqprop.engine.estimators import EPSettings


@dataclass(frozen=True)
class Schedule:
    """``order`` (batches, batch): sample index of each row, −1 for padding; ``betas``
    (batches, k): the β of each nudged phase (k = 0 for inference); ``n_valid`` (batches,)."""

    free_steps: int
    nudged_steps: int
    order: np.ndarray
    betas: np.ndarray
    n_valid: np.ndarray

    @property
    def batches(self) -> int:
        return len(self.order)

    @property
    def steps_per_batch(self) -> int:
        k = self.betas.shape[1]
        return 1 + self.free_steps + k * self.nudged_steps + max(k - 1, 0)

    @property
    def steps(self) -> int:
        return self.batches * self.steps_per_batch

    def steps_by_phase(self) -> dict[str, int]:
        """Time steps of one batch in each phase of :data:`~.protocol.PHASE_NAMES`."""
        k = self.betas.shape[1]
        return {"load": 1, "free": self.free_steps, "nudged": k * self.nudged_steps,
                "restore": max(k - 1, 0)}


def batch_order(indices: np.ndarray, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut ``indices`` into rows of ``batch``, padding the last row with −1."""
    n_batches = -(-len(indices) // batch)
    order = np.full((n_batches, batch), -1, dtype=int)
    order.reshape(-1)[:len(indices)] = indices
    n_valid = (order >= 0).sum(axis=1)
    return order, n_valid


def training_schedule(n_samples: int, batch: int, settings: EPSettings,
                      rng: np.random.Generator) -> Schedule:
    """One epoch of training, drawing the permutation and β signs as the engine does."""
    order, n_valid = batch_order(rng.permutation(n_samples), batch)
    beta = settings.beta
    if settings.estimator == "symmetric":
        betas = np.tile([beta, -beta], (len(order), 1))
    else:
        signs = [(-1.0 if settings.beta_sign == "random" and rng.integers(2) == 0 else 1.0)
                 for _ in range(len(order))]
        betas = (beta * np.array(signs)).reshape(-1, 1)
    return Schedule(settings.free_steps, settings.nudged_steps, order, betas, n_valid)


def inference_schedule(n_samples: int, batch: int, free_steps: int) -> Schedule:
    """The free phase alone, over the samples in their order."""
    order, n_valid = batch_order(np.arange(n_samples), batch)
    return Schedule(free_steps, 0, order, np.zeros((len(order), 0)), n_valid)
