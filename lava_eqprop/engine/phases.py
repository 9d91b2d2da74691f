"""One free and one nudged phase on a set of samples, and what every backend reports about them.

The cross-check (:mod:`lava_eqprop.crosscheck`) asks each backend the same question: from the
zero state, run T1 free steps and then T2 nudged steps at β > 0 from the free state, and report

* the free and nudged equilibria, per population, shape (samples, size);
* the EP update from them (Scellier & Bengio 2017, eq. 13, one-sided β), averaged over samples
  (the engine's :func:`~lava_eqprop.engine.estimators.contrast`):

      ΔW_kj = (1/β) · mean_b [ s_k^β s_j^β − s_k^0 s_j^0 ],
      Δb_k = (1/β) · mean_b [ s_k^β − s_k^0 ];

* the steps each phase took to settle (1 + the last step in which a free unit of any sample
  moved by more than ``tol``; the phase length if it never stopped moving that much);
* the energy E (eq. 1) along the free phase, every ``check_every`` steps (symmetric nets);
* how far each phase still moved in its last step (the cross-check's settling residual).

:func:`engine_phases` is the NumPy engine's answer, the reference of the cross-check.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lava_eqprop.engine.estimators import contrast
from lava_eqprop.engine.loss import SquaredError, get_loss
from lava_eqprop.engine.relaxation import Dynamics, Relaxer, State
from lava_eqprop.network.network import Network


@dataclass(frozen=True)
class ProbeSettings:
    """β, the phase lengths T1/T2 in engine steps, the settling tolerance and the energy grid."""

    beta: float
    free_steps: int
    nudged_steps: int
    tol: float = 1e-3
    check_every: int = 5

    def __post_init__(self) -> None:
        if not self.beta > 0:
            raise ValueError(f"beta must be > 0 (the nudged phase needs a nudge), got {self.beta}")
        if self.free_steps < 1 or self.nudged_steps < 1:
            raise ValueError(f"phases need >= 1 step, got free_steps={self.free_steps}, "
                             f"nudged_steps={self.nudged_steps}")
        if self.tol <= 0 or self.check_every < 1:
            raise ValueError(f"tol must be > 0 and check_every >= 1, got {self.tol}, "
                             f"{self.check_every}")

    def checks(self) -> list[int]:
        """The free-phase steps at which the energy is recorded: 0, every ``check_every``, T1."""
        points = list(range(0, self.free_steps, self.check_every))
        return points + [self.free_steps]


@dataclass
class EPPhases:
    """What one backend computed for a set of samples (see the module docstring).

    ``energies``: (checks, samples), E at :meth:`ProbeSettings.checks` (None without an energy);
    ``residual``: per phase ("free", "nudged"), the largest change of a free unit in the last step.
    """

    free: dict[str, np.ndarray]
    nudged: dict[str, np.ndarray]
    weight_updates: dict[str, np.ndarray]
    bias_updates: dict[str, np.ndarray]
    settle_steps: dict[str, int] = field(default_factory=dict)
    residual: dict[str, float] = field(default_factory=dict)
    energies: np.ndarray | None = None


def energy_of(network: Network, x: np.ndarray, free_values: dict[str, np.ndarray]) -> np.ndarray:
    """E(s) per sample of a backend's state (the engine's formula, Scellier & Bengio eq. 1)."""
    relaxer = Relaxer(network, Dynamics(), get_loss("half_squared_error"))
    values = dict(free_values)
    values[network.inputs[0].name] = np.asarray(x, dtype=float).reshape(len(x), -1)
    return relaxer.energy(State(values, list(free_values)))


def engine_phases(network: Network, dynamics: Dynamics, loss: SquaredError, x: np.ndarray,
                  targets: np.ndarray, settings: ProbeSettings) -> EPPhases:
    """The NumPy engine's free and nudged phases on all samples at once (float64)."""
    relaxer = Relaxer(network, dynamics, loss)
    clamped = relaxer.clamp({network.inputs[0].name: np.asarray(x, dtype=float)})
    state = relaxer.zero_state(clamped)
    checks = settings.checks()
    energies = [relaxer.energy(state)] if network.symmetric else None
    settle, residual = {}, {}
    for phase, steps, beta in (("free", settings.free_steps, 0.0),
                               ("nudged", settings.nudged_steps, settings.beta)):
        last_moving = 0
        for t in range(1, steps + 1):
            relaxer.run(state, clamped, 1, beta=beta, target=targets)
            moved = relaxer.moved(state)
            if moved > settings.tol:
                last_moving = t
            if phase == "free" and energies is not None and t in checks:
                energies.append(relaxer.energy(state))
        settle[phase] = min(last_moving + 1, steps)
        residual[phase] = moved
        if phase == "free":
            free_state = state.copy()
    weights, biases = contrast(relaxer, state, free_state, 1.0 / (settings.beta * len(x)))
    free = {name: free_state[name] for name in relaxer.free_names}
    nudged = {name: state[name] for name in relaxer.free_names}
    return EPPhases(free, nudged, weights, biases, settle, residual,
                    np.array(energies) if energies is not None else None)
