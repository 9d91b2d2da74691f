"""An adaptive integrator for the phases' ODE, in place of thousands of explicit Euler steps.

The Euler steps of :mod:`lava_eqprop.engine.relaxation` discretise ds/dt = v(s) =
b + Σ drive(s) − a∘s − β ∂C/∂s on the activations' box (:meth:`Relaxer.velocity`). Farinha
et al.'s DEEP nets run 1,000 + 1,000 such steps of dt = 0.05 per sample, and their trajectory
learning rule reads the whole nudged trajectory, not only its end. This integrator follows the
same trajectory over the same time, cap·ε (the phase's steps times ε), with the embedded
Runge–Kutta 3(2) pair of Bogacki & Shampine (1989, Appl. Math. Lett. 2:321–325):

    k1 = v(s),  k2 = v(Π(s + ½h k1)),  k3 = v(Π(s + ¾h k2)),
    s' = Π(s + h(2/9 k1 + 1/3 k2 + 4/9 k3)),  k4 = v(s')   (the next step's k1),
    error = h(−5/72 k1 + 1/12 k2 + 1/9 k3 − 1/8 k4),

with Π the projection onto the box (the clip of the Euler steps) and v projected there too. A
step is accepted when max |error| / (ode_tol·(1 + |s'|)) ≤ 1 over the batch, and the next h is
scaled by 0.9·(that ratio)^(−1/3), within [0.2, 5]. It starts at h = ε, the Euler step.

* Without an observer, a sample stops once its residual R = ‖Π(s + ε v(s)) − s‖∞/ε is at most
  ``tol`` (from k4, no extra evaluation), as in :mod:`lava_eqprop.engine.solvers`, and the
  samples still moving go on alone.
* With an observer (the trajectory rule), every sample runs the whole time, and the observer
  receives each accepted step with its length h/ε in Euler steps
  (:class:`~lava_eqprop.engine.trajectory.TrajectoryRule`).

A step costs three velocity evaluations; the reported steps count evaluations, so that they
compare with Euler's steps one to one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lava_eqprop.engine.active_rows import Rows
from lava_eqprop.engine.relaxation import Clamped, Relaxer, State

GROWTH_LIMITS = (0.2, 5.0)


def integrate_phase(relaxer: Relaxer, state: State, clamped: Clamped, cap: int, tol: float,
                    ode_tol: float, beta: float = 0.0, target: np.ndarray | None = None,
                    observer: Callable[..., None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Integrate ``state`` in place over cap·ε (module docstring); returns each sample's
    velocity evaluations and its residual at the end."""
    arrays, eps = relaxer.arrays, relaxer.dynamics.epsilon
    clips = relaxer.box_clips(state.batch)
    rows = Rows(relaxer, state, clamped, target)
    steps = np.zeros(state.batch, dtype=np.int64)
    residual = np.full(state.batch, np.inf)
    names = relaxer.free_names

    def velocity(values: dict[str, Any]) -> dict[str, Any]:
        probe = State(dict(rows.state.values) | values, names, arrays)
        return relaxer.velocity(probe, rows.clamped, beta, rows.target)

    def moved(base: dict[str, Any], h: float, terms: list[tuple[float, dict[str, Any]]],
              clip_for: dict[str, Callable | None]) -> dict[str, Any]:
        out = {}
        for n in names:
            new = arrays.copy(base[n])
            for c, k in terms:
                new += (h * c) * k[n]
            clip = clip_for[n]
            if clip is not None:
                clip(new)
            out[n] = new
        return out

    s = {n: rows.state.values[n] for n in names}
    k1 = velocity(s)
    steps += 1
    time, horizon, h = 0.0, cap * eps, eps
    while time < horizon * (1 - 1e-12) and rows.index.size:
        h = min(h, horizon - time)
        clip_for = clips if rows.index.size == state.batch else relaxer.box_clips(rows.index.size)
        k2 = velocity(moved(s, h, [(0.5, k1)], clip_for))
        k3 = velocity(moved(s, h, [(0.75, k2)], clip_for))
        new = moved(s, h, [(2 / 9, k1), (1 / 3, k2), (4 / 9, k3)], clip_for)
        k4 = velocity(new)
        steps[rows.index] += 3
        ratio = max(float(np.max(np.abs(h * (-5 / 72 * k1[n] + 1 / 12 * k2[n] + 1 / 9 * k3[n]
                                             - 1 / 8 * k4[n]))
                                 / (ode_tol * (1.0 + np.abs(new[n]))))) for n in names)
        if ratio <= 1.0:
            if observer is not None:
                step_state = State(dict(rows.state.values) | new, names, arrays)
                step_state.scratch = {n: s[n] for n in names}
                observer(step_state, h / eps)
            s, k1, time = new, k4, time + h
            for n in names:
                rows.state.values[n] = s[n]
            if observer is None and tol > 0:
                r = _residual(relaxer, s, k1, clip_for, eps)
                settled = np.flatnonzero(r <= tol)
                if settled.size:
                    residual[rows.index[settled]] = r[settled]
                    rows.write(settled, s)
                    keep = np.setdiff1d(np.arange(rows.index.size), settled)
                    rows.keep(keep, s)
                    s = {n: rows.state.values[n] for n in names}
                    k1 = {n: arrays.take_rows(v, keep) for n, v in k1.items()}
        growth = 0.9 * ratio ** (-1.0 / 3.0) if ratio > 0 else GROWTH_LIMITS[1]
        h *= min(GROWTH_LIMITS[1], max(GROWTH_LIMITS[0], growth))
    if rows.index.size:
        clip_for = relaxer.box_clips(rows.index.size)
        residual[rows.index] = _residual(relaxer, s, k1, clip_for, eps)
        rows.write(np.arange(rows.index.size), s)
    return steps, residual


def _residual(relaxer: Relaxer, s: dict[str, Any], v: dict[str, Any],
              clips: dict[str, Callable | None], eps: float) -> np.ndarray:
    """‖Π(s + εv) − s‖∞/ε per sample: the Euler step's residual, from a known velocity."""
    arrays, worst = relaxer.arrays, None
    for n in relaxer.free_names:
        stepped = s[n] + eps * v[n]
        clip = clips[n]
        if clip is not None:
            clip(stepped)
        r = arrays.row_max_abs_difference(stepped, s[n])
        worst = r if worst is None else np.maximum(worst, r)
    assert worst is not None
    return worst / eps
