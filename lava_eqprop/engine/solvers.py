"""Equilibrium solvers: a free or nudged phase run until each sample has settled.

Every solver looks for the same state, a fixed point s* = T(s*) of the step T of
:mod:`lava_eqprop.engine.relaxation` (for symmetric nets and the ``joint`` nudge, a stationary
point of F = E + βC in the activations' box), and stops a sample once its residual
R(s) = ‖T(s) − s‖_∞ / ε (:meth:`~lava_eqprop.engine.relaxation.Relaxer.residual`) is at most
``tol``, or when the phase's step cap is reached. A sample that has settled is written back
and stops counting steps; the settled samples leave the batch once they are a quarter of it, so
they stop costing (:mod:`lava_eqprop.engine.active_rows`). A step is one sweep over every free
population (one drive evaluation each), and a residual that needs a sweep of its own counts as
one.

* ``euler``: the steps of the spec's schedule and ε, the papers' iteration (with ``tol = 0``
  exactly the fixed number of steps it always was). For the synchronous schedule the step's
  own change gives R at the previous state for free, and for a two-group schedule at ε = 1
  (odd/even on a layered or conv net) a bound on it
  (:meth:`~lava_eqprop.engine.relaxation.Relaxer.step_change_bounds_residual`); the residual
  reported is then that change. Otherwise, every ``CONFIRM_EVERY`` sweeps, the samples that
  the last sweep moved by at most ``tol`` have R evaluated.
* ``block``: exact block sweeps over a colouring of the population graph, each population set
  to the fixed point of its step with its neighbours held
  (:func:`~lava_eqprop.engine.step.block_fixed_point`): block-coordinate descent on F.
* ``accelerated``: block sweeps G with Nesterov's momentum and adaptive restart (O'Donoghue &
  Candès 2015, "Adaptive restart for accelerated gradient schemes", Found. Comput. Math. 15,
  the gradient scheme): x_{k+1} = G(y_k), y_{k+1} = Π(x_{k+1} + μ_k (x_{k+1} − x_k)) with
  μ_k = (k − 1)/(k + 2), k the sweeps since the sample's last restart, Π the projection onto
  the activations' box; k restarts at 0 when (y_k − x_{k+1})·(x_{k+1} − x_k) > 0, i.e. when
  the sweep pushes against the momentum. The projection keeps every extrapolated state a valid
  one, and the restart is the safeguard for the clip's kinks: where a unit hits a bound the
  sweep turns against the momentum and the momentum is dropped. Anderson acceleration (Walker
  & Ni 2011) of the same sweeps, with restarts on changes of the clipped set or on a rising
  residual, was slower than plain block sweeps on the untrained 784-500-500-500-10 nets.

* ``adaptive``: not a fixed-point method. It integrates the ODE that the Euler steps
  discretise, with error control (:mod:`lava_eqprop.engine.adaptive`), over the same time
  cap·ε. It is for the directed nets, whose trajectory rule reads the path, and it measures how
  far the papers' explicit steps are from the ODE.

Both block solvers need populations without lateral projections and a constant leak
(:meth:`~lava_eqprop.engine.relaxation.Relaxer.block_groups`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lava_eqprop.engine.active_rows import Rows
from lava_eqprop.engine.adaptive import integrate_phase
from lava_eqprop.engine.relaxation import Clamped, Relaxer, State

SOLVERS = ("euler", "block", "accelerated", "adaptive")
CONFIRM_EVERY = 4
"""Sweeps between confirmations of the samples whose last sweep moved them by at most tol,
where the sweep's change is not the residual itself (each confirmation costs a sweep)."""


@dataclass(frozen=True)
class SolverSettings:
    """The solver of both phases and the residual at which a sample stops (0: never early)."""

    name: str = "euler"
    tol: float = 0.0
    ode_tol: float = 1e-4

    def __post_init__(self) -> None:
        if self.name not in SOLVERS:
            raise ValueError(f"solver {self.name!r} is not one of {list(SOLVERS)}")
        if not (self.tol >= 0.0 and np.isfinite(self.tol)):
            raise ValueError(f"tol must be a finite number >= 0, got {self.tol}")
        if not (self.ode_tol > 0.0 and np.isfinite(self.ode_tol)):
            raise ValueError(f"ode_tol must be a finite number > 0, got {self.ode_tol}")


@dataclass
class PhaseReport:
    """What a phase cost each sample: ``steps`` (sweeps, int array) and the ``residual`` R at
    which it stopped (float array), with the ``tol`` and step ``cap`` it ran under."""

    steps: np.ndarray
    residual: np.ndarray
    tol: float
    cap: int

    @property
    def unsettled(self) -> int:
        """Samples that reached the cap with R > tol (none when tol = 0: no tolerance)."""
        return int(np.sum(self.residual > self.tol)) if self.tol > 0 else 0


def _moved(relaxer: Relaxer, state: State) -> np.ndarray:
    """max over free units of |s − s_before| per sample, the last sweep's change."""
    arrays = relaxer.arrays
    return np.max([arrays.row_max_abs_difference(state.values[n], state.scratch[n])
                   for n in relaxer.free_names], axis=0)


class _Sweeps:
    """Plain sweeps: the schedule's Euler steps, or exact block sweeps; the bound plan of the
    active rows is kept until they change."""

    def __init__(self, relaxer: Relaxer, beta: float, exact: bool) -> None:
        self.relaxer, self.beta, self.exact = relaxer, beta, exact
        self.scale = 1.0 if exact else 1.0 / relaxer.dynamics.epsilon
        self.change_bounds_residual = not exact and relaxer.step_change_bounds_residual(beta)
        """True when the sweep's change/ε is at least R at the state before the sweep."""
        self.plan: list | None = None

    def step(self, rows: Rows) -> None:
        """One sweep of the active rows."""
        if self.plan is None:
            self.plan = self.relaxer.sweep_plan(rows.index.size, self.beta, rows.target,
                                                self.exact)
        self.relaxer.sweep(self.plan, rows.state, rows.clamped)

    def sweep(self, rows: Rows) -> np.ndarray:
        """One sweep; the change per sample (scaled to R's units)."""
        self.step(rows)
        return _moved(self.relaxer, rows.state) * self.scale

    def current(self, rows: Rows) -> dict[str, Any]:
        return rows.state.values

    def keep(self, keep: np.ndarray) -> None:
        """The rows changed: bind the plan again for the next sweep."""
        self.plan = None


class _Accelerated(_Sweeps):
    """Block sweeps with Nesterov's momentum and adaptive restart (module docstring)."""

    def __init__(self, relaxer: Relaxer, beta: float, rows: Rows) -> None:
        super().__init__(relaxer, beta, True)
        arrays = relaxer.arrays
        self.x = {n: arrays.copy(rows.state.values[n]) for n in relaxer.free_names}
        self.k = np.zeros(rows.index.size)
        self.clips = relaxer.box_clips(rows.index.size)

    def sweep(self, rows: Rows) -> np.ndarray:
        relaxer, arrays, state = self.relaxer, self.relaxer.arrays, rows.state
        self.step(rows)
        change = _moved(relaxer, state)                  # ‖G(y) − y‖, y now in the scratch
        names = relaxer.free_names
        steps = {n: state.values[n] - self.x[n] for n in names}            # x_{k+1} − x_k
        against = sum(arrays.to_numpy(((state.scratch[n] - state.values[n]) * steps[n]).sum(1))
                      for n in names)
        self.k[against > 0] = 0
        self.k += 1
        mu = arrays.array((self.k - 1) / (self.k + 2), (self.k.size, 1))
        for n in names:
            new = state.values[n]
            arrays.copyto(self.x[n], new)
            step = steps[n]
            step *= mu
            new += step
            clip = self.clips[n]
            if clip is not None:
                clip(new)
        return change

    def current(self, rows: Rows) -> dict[str, Any]:
        return self.x

    def keep(self, keep: np.ndarray) -> None:
        super().keep(keep)
        arrays = self.relaxer.arrays
        self.x = {n: arrays.take_rows(v, keep) for n, v in self.x.items()}
        self.k = self.k[keep]
        self.clips = self.relaxer.box_clips(keep.size)


def solve_phase(relaxer: Relaxer, state: State, clamped: Clamped, cap: int,
                settings: SolverSettings = SolverSettings(), beta: float = 0.0,
                target: np.ndarray | None = None,
                observer: Callable[[State], None] | None = None) -> PhaseReport:
    """Relax ``state`` in place with the solver of ``settings`` until every sample's residual
    is at most ``settings.tol`` or ``cap`` steps have run (module docstring). ``beta`` ≠ 0 nudges
    towards ``target``; ``observer`` (Euler steps at tol = 0 only: it sees the whole batch in
    every step; or ``adaptive``, over the whole time) is called after each step as in
    :meth:`Relaxer.run`."""
    if cap < 1:
        raise ValueError(f"a phase needs a step cap >= 1, got {cap}")
    name, tol, batch = settings.name, settings.tol, state.batch
    if name == "adaptive":
        steps, residual = integrate_phase(relaxer, state, clamped, cap, tol, settings.ode_tol,
                                          beta, target, observer)
        return PhaseReport(steps, residual, 0.0 if observer is not None else tol, cap)
    if observer is not None and (name != "euler" or tol > 0):
        raise ValueError("a trajectory observer follows every step of the whole batch: it "
                         f"needs solver 'euler' with tol = 0 or 'adaptive', not {name!r} with "
                         f"tol = {tol}")
    if name != "euler":
        relaxer.block_groups()                           # refuses nets without block sweeps
    steps = np.zeros(batch, dtype=np.int64)
    residual = np.full(batch, np.inf)
    if tol == 0.0 and name == "euler":
        relaxer.run(state, clamped, cap, beta=beta, target=target, observer=observer)
        steps[:] = cap
        residual[:] = (_moved(relaxer, state) / relaxer.dynamics.epsilon
                       if relaxer.step_change_bounds_residual(beta)
                       else relaxer.residual(state, clamped, beta, target))
        return PhaseReport(steps, residual, tol, cap)
    rows = Rows(relaxer, state, clamped, target)
    solver = (_Accelerated(relaxer, beta, rows) if name == "accelerated"
              else _Sweeps(relaxer, beta, name == "block"))
    done = np.zeros(batch, dtype=bool)          # settled, written back, still in the batch
    for sweep in range(1, cap + 1):
        change = solver.sweep(rows)
        steps[rows.index[~done]] += 1
        if tol == 0.0 or not (solver.change_bounds_residual or sweep % CONFIRM_EVERY == 0):
            continue
        candidates = np.flatnonzero((change <= tol) & ~done)
        if candidates.size == 0:
            continue
        if solver.change_bounds_residual:
            confirmed, values = candidates, change[candidates]
        else:
            values = _confirm(relaxer, rows, solver.current(rows), candidates, beta)
            steps[rows.index[candidates]] += 1
            confirmed, values = candidates[values <= tol], values[values <= tol]
        if confirmed.size:
            residual[rows.index[confirmed]] = values
            rows.write(confirmed, solver.current(rows))
            done[confirmed] = True
            if done.all():
                return PhaseReport(steps, residual, tol, cap)
            if done.sum() >= max(1, done.size // 4):
                keep = np.flatnonzero(~done)
                rows.keep(keep, solver.current(rows))
                solver.keep(keep)
                done = np.zeros(keep.size, dtype=bool)
    left = np.flatnonzero(~done)
    residual[rows.index[left]] = _confirm(relaxer, rows, solver.current(rows), left, beta)
    rows.write(left, solver.current(rows))
    return PhaseReport(steps, residual, tol, cap)


def _confirm(relaxer: Relaxer, rows: Rows, current: dict[str, Any], which: np.ndarray,
             beta: float) -> np.ndarray:
    """R at the solver's iterate for the active rows ``which``."""
    arrays = relaxer.arrays
    values = {k: arrays.take_rows(v, which) for k, v in rows.state.values.items()}
    for name in relaxer.free_names:
        values[name] = arrays.take_rows(current[name], which)
    probe = State(values, relaxer.free_names, arrays)
    clamped = Clamped({k: arrays.take_rows(v, which) for k, v in rows.clamped.inputs.items()},
                      {k: arrays.take_rows(v, which) for k, v in rows.clamped.constant.items()})
    target = rows.target[which] if rows.target is not None else None
    return relaxer.residual(probe, clamped, beta, target)
