"""Inference with the engine: the free phase alone, prediction = argmax of the output state."""

from __future__ import annotations

import numpy as np

from lava_eqprop.engine.relaxation import Relaxer
from lava_eqprop.engine.solvers import SolverSettings, solve_phase
from lava_eqprop.training.phase_tally import PhaseTally


def predict(relaxer: Relaxer, x: np.ndarray, steps: int, batch_size: int = 1000,
            solver: SolverSettings = SolverSettings(),
            particles: dict[str, np.ndarray] | None = None,
            tally: PhaseTally | None = None) -> np.ndarray:
    """Predicted class of every row of ``x`` after a free phase of ``steps`` (the cap of a
    ``solver`` with a tolerance), whose reports are added to ``tally`` if given.

    The free phase starts from zero, or from ``particles`` (persistent particles, one state per
    sample and free population), which are then overwritten with the new states: the test
    protocol of Scellier & Bengio's and Gammell et al.'s code.
    """
    input_name = relaxer.network.inputs[0].name
    out = relaxer.output.name
    labels = np.empty(x.shape[0], dtype=np.int64)
    for start in range(0, x.shape[0], batch_size):
        rows = slice(start, start + batch_size)
        clamped = relaxer.clamp({input_name: x[rows]})
        if particles is None:
            state = relaxer.zero_state(clamped)
        else:
            state = relaxer.state_from(clamped, {k: v[rows] for k, v in particles.items()})
        report = solve_phase(relaxer, state, clamped, steps, solver)
        if tally is not None:
            tally.add(report)
        if particles is not None:
            for name, arr in particles.items():
                arr[rows] = relaxer.arrays.to_numpy(state[name])
        labels[rows] = np.argmax(relaxer.arrays.to_numpy(state[out]), axis=1)
    return labels


def error_rate(relaxer: Relaxer, x: np.ndarray, y: np.ndarray, steps: int,
               batch_size: int = 1000, solver: SolverSettings = SolverSettings(),
               particles: dict[str, np.ndarray] | None = None,
               tally: PhaseTally | None = None) -> float:
    """Fraction of samples whose prediction differs from the label (see :func:`predict`)."""
    if x.shape[0] == 0:
        return float("nan")
    return float(np.mean(predict(relaxer, x, steps, batch_size, solver, particles, tally)
                         != y))
