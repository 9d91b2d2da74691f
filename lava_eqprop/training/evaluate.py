"""Inference with the engine: the free phase alone, prediction = argmax of the output state."""

from __future__ import annotations

import numpy as np

from lava_eqprop.engine.relaxation import Relaxer


def predict(relaxer: Relaxer, x: np.ndarray, steps: int, batch_size: int = 1000,
            tol: float | None = None) -> np.ndarray:
    """Predicted class of every row of ``x`` after a free phase of ``steps`` from zero."""
    input_name = relaxer.network.inputs[0].name
    out = relaxer.output.name
    labels = np.empty(x.shape[0], dtype=np.int64)
    for start in range(0, x.shape[0], batch_size):
        clamped = relaxer.clamp({input_name: x[start:start + batch_size]})
        state = relaxer.zero_state(clamped)
        relaxer.run(state, clamped, steps, tol=tol)
        labels[start:start + batch_size] = np.argmax(state[out], axis=1)
    return labels


def error_rate(relaxer: Relaxer, x: np.ndarray, y: np.ndarray, steps: int,
               batch_size: int = 1000, tol: float | None = None) -> float:
    """Fraction of samples whose prediction differs from the label."""
    if x.shape[0] == 0:
        return float("nan")
    return float(np.mean(predict(relaxer, x, steps, batch_size, tol) != y))
