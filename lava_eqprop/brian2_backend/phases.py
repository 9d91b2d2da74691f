"""Free and nudged phases in Brian2, and the EP update from Brian2's own equilibria.

Answers the cross-check's question (:mod:`lava_eqprop.engine.phases`). Samples run in chunks of
``batch`` (one :class:`~lava_eqprop.brian2_backend.model.Brian2Model` built once and reused:
weights and code are set up once, each chunk only loads its inputs and targets). A phase lasts
the time the engine's phase lasts, T·ε·τ, i.e. T·ε/(dt/τ) Brian2 steps. Settling is measured as
in the engine, per engine step: the move over the last ε·τ of Brian2 time, against ``tol``.

The update (Scellier & Bengio 2017, eq. 13, one-sided β) is computed per synapse from the
states Brian2 reports at each synapse's two ends (and, for a conv or identity projection,
folded back onto its shared weight, :class:`~lava_eqprop.engine.unrolling.Unrolled`):

    ΔW_kj = (1/β) · mean_b [ s_k^β s_j^β − s_k^0 s_j^0 ],   Δb_k = (1/β) · mean_b [ s_k^β − s_k^0 ]
"""

from __future__ import annotations

import numpy as np

from lava_eqprop.brian2_backend.model import Brian2Model
from lava_eqprop.engine.loss import SquaredError
from lava_eqprop.engine.phases import EPPhases, ProbeSettings, energy_of
from lava_eqprop.engine.relaxation import Dynamics
from lava_eqprop.network.network import Network

CODE_TARGETS = ("numpy", "cython")


def brian2_phases(network: Network, dynamics: Dynamics, loss: SquaredError, x: np.ndarray,
                  targets: np.ndarray, probe: ProbeSettings, *, batch: int = 16,
                  dt_fraction: float | None = None, code_target: str = "numpy") -> EPPhases:
    """Run the free and nudged phases of every sample in Brian2; return the equilibria, the EP
    update computed from them, the steps to settle and the free-phase energies.

    ``dt_fraction`` = dt/τ (None: ε, the engine's own scheme; smaller: continuous time);
    ``code_target``: Brian2's ``numpy`` or ``cython`` code generation (cython is compiled once
    and cached in ``~/.cython/brian_extensions``).
    """
    import brian2 as b2

    if code_target not in CODE_TARGETS:
        raise ValueError(f"code_target {code_target!r} is not one of {list(CODE_TARGETS)}")
    b2.prefs.codegen.target = code_target
    n = len(x)
    batch = max(1, min(batch, n))
    model = Brian2Model(network, dynamics, loss.scale, batch, dt_fraction)
    per_step = dynamics.epsilon / model.dt_fraction          # Brian2 steps per engine step
    free = {p.name: np.zeros((n, p.size)) for p in network.free}
    nudged = {p.name: np.zeros((n, p.size)) for p in network.free}
    correlations = {name: [] for name in model.projections}
    settle = {"free": 1, "nudged": 1}
    residual = {"free": 0.0, "nudged": 0.0}
    energies = []
    for lo in range(0, n, batch):
        rows = slice(lo, min(lo + batch, n))
        valid = rows.stop - rows.start
        model.load(_padded(x[rows], batch), _padded(targets[rows], batch))
        for phase, steps, beta, into in (("free", probe.free_steps, 0.0, free),
                                         ("nudged", probe.nudged_steps, probe.beta, nudged)):
            model.set_beta(beta)
            start = model.states()
            trajectory = model.run(max(1, round(steps * per_step)))
            at = _engine_steps(steps, per_step, len(next(iter(trajectory.values()))))
            moves = _moves(start, trajectory, at, valid)
            last_moving = max((t for t, m in enumerate(moves, 1) if m > probe.tol), default=0)
            settle[phase] = max(settle[phase], min(last_moving + 1, steps))
            residual[phase] = max(residual[phase], moves[-1])
            if phase == "free":
                free_corr = {name: _products(model, name) for name in model.projections}
                if network.symmetric:
                    energies.append(_energies(network, x[rows], start, trajectory, at,
                                              probe.checks(), valid))
            for name, values in model.states().items():
                into[name][rows] = values[:valid]
        for name in model.projections:
            contrast = _products(model, name) - free_corr[name]
            correlations[name].append(contrast[:valid].sum(axis=0))
    weights = {}
    for name, made in model.projections.items():
        if made.projection.plastic:
            per_synapse = np.sum(correlations[name], axis=0) / (probe.beta * n)
            weights[name] = made.unrolled.fold(per_synapse)
    biases = {pop.name: pop.bias_sum(nudged[pop.name] - free[pop.name]) / (probe.beta * n)
              for pop in network.free}
    return EPPhases(free, nudged, weights, biases, settle, residual,
                    np.concatenate(energies, axis=1) if energies else None)


def _padded(rows: np.ndarray, batch: int) -> np.ndarray:
    """``rows`` with zero rows appended up to ``batch`` (the last chunk's padding)."""
    rows = np.asarray(rows, dtype=float).reshape(len(rows), -1)
    return np.concatenate([rows, np.zeros((batch - len(rows), rows.shape[1]))])


def _products(model: Brian2Model, name: str) -> np.ndarray:
    """s_post·s_pre at every synapse of projection ``name``, shape (batch, synapses per sample)."""
    s_pre, s_post = model.synapse_activity(name)
    return s_pre * s_post


def _engine_steps(steps: int, per_step: float, recorded: int) -> list[int]:
    """The Brian2 step (1-based, 0 = the start) that ends each engine step 0..``steps``."""
    return [min(recorded, round(k * per_step)) for k in range(steps + 1)]


def _state_at(start: dict, trajectory: dict, step: int, valid: int) -> dict[str, np.ndarray]:
    return {name: (start[name] if step == 0 else t[step - 1])[:valid]
            for name, t in trajectory.items()}


def _moves(start: dict, trajectory: dict, at: list[int], valid: int) -> list[float]:
    """The largest move of a valid row's unit over each engine step's worth of Brian2 time."""
    states = [_state_at(start, trajectory, step, valid) for step in at]
    return [max(float(np.max(np.abs(b[k] - a[k]), initial=0.0)) for k in a)
            for a, b in zip(states, states[1:])]


def _energies(network: Network, x: np.ndarray, start: dict, trajectory: dict, at: list[int],
              checks: list[int], valid: int) -> np.ndarray:
    """E per valid sample at the probe's check steps, shape (checks, valid)."""
    return np.array([energy_of(network, x, _state_at(start, trajectory, at[k], valid))
                     for k in checks])
