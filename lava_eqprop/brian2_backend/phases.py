"""Free and nudged phases in Brian2, and the EP update from Brian2's own equilibria.

Samples run in chunks of ``batch`` (one :class:`~lava_eqprop.brian2_backend.model.Brian2Model`
built once and reused: weights and code are set up once, each chunk only loads its inputs and
targets). A phase lasts the time the engine's phase lasts, T·ε·τ, i.e. T·ε/(dt/τ) Brian2 steps;
with ``tol`` it ends early once no free unit moves faster than ``tol`` per τ (the engine's
criterion "moved less than tol in a step" at ε = 1), checked every ``check_every`` engine steps.

The update (Scellier & Bengio 2017, eq. 13, one-sided β) is computed per synapse from the
states Brian2 reports at each synapse's two ends:

    ΔW_kj = (1/β) · mean_b [ s_k^β s_j^β − s_k^0 s_j^0 ],   Δb_k = (1/β) · mean_b [ s_k^β − s_k^0 ]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lava_eqprop.brian2_backend.model import Brian2Model
from lava_eqprop.engine.relaxation import Dynamics, Relaxer, State
from lava_eqprop.engine.loss import SquaredError, get_loss
from lava_eqprop.network.network import Network

CODE_TARGETS = ("numpy", "cython")


@dataclass
class PhaseSettings:
    """β, the phase lengths in engine steps, the settling tolerance and Brian2's options."""

    beta: float
    free_steps: int
    nudged_steps: int
    tol: float | None = None
    check_every: int = 5
    dt_fraction: float | None = None
    code_target: str = "numpy"

    def __post_init__(self) -> None:
        if self.beta == 0:
            raise ValueError("beta must be non-zero (the nudged phase needs a nudge)")
        if self.free_steps < 1 or self.nudged_steps < 1:
            raise ValueError(f"phases need >= 1 step, got free_steps={self.free_steps}, "
                             f"nudged_steps={self.nudged_steps}")
        if self.code_target not in CODE_TARGETS:
            raise ValueError(f"code_target {self.code_target!r} is not one of {list(CODE_TARGETS)}")


@dataclass
class EPPhases:
    """What one backend computed for a set of samples (states are (samples, size) per population).

    ``free_steps``/``nudged_steps``: engine-equivalent steps each chunk took to settle;
    ``energies``: (checks, samples) energy E along the free phase, at every check.
    """

    free: dict[str, np.ndarray]
    nudged: dict[str, np.ndarray]
    weight_updates: dict[str, np.ndarray]
    bias_updates: dict[str, np.ndarray]
    free_steps: list[int] = field(default_factory=list)
    nudged_steps: list[int] = field(default_factory=list)
    energies: np.ndarray | None = None


def brian2_phases(network: Network, dynamics: Dynamics, loss: SquaredError, x: np.ndarray,
                  targets: np.ndarray, settings: PhaseSettings, batch: int = 16) -> EPPhases:
    """Run the free and nudged phases of every sample in Brian2; return the equilibria, the EP
    update computed from them, the steps to settle and the free-phase energies."""
    import brian2 as b2

    b2.prefs.codegen.target = settings.code_target
    n = len(x)
    batch = max(1, min(batch, n))
    model = Brian2Model(network, dynamics, loss.scale, batch, settings.dt_fraction)
    steps_per_engine_step = dynamics.epsilon / model.dt_fraction
    free = {p.name: np.zeros((n, p.size)) for p in network.free}
    nudged = {p.name: np.zeros((n, p.size)) for p in network.free}
    correlations = {name: [] for name in model.projections}
    result = EPPhases(free, nudged, {}, {})
    energies = []
    energy = _EnergyProbe(model, network) if network.symmetric else None
    for lo in range(0, n, batch):
        rows = slice(lo, min(lo + batch, n))
        valid = rows.stop - rows.start
        model.load(_padded(x[rows], batch), _padded(targets[rows], batch))
        model.set_beta(0.0)
        steps, trace = _relax(model, settings.free_steps, steps_per_engine_step, settings, energy)
        result.free_steps.append(steps)
        if trace is not None:
            energies.append(trace[:, :valid])
        free_corr = {name: _products(model, name) for name in model.projections}
        for name, values in model.states().items():
            free[name][rows] = values[:valid]
        model.set_beta(settings.beta)
        steps, _ = _relax(model, settings.nudged_steps, steps_per_engine_step, settings, None)
        result.nudged_steps.append(steps)
        for name, values in model.states().items():
            nudged[name][rows] = values[:valid]
        for name in model.projections:
            contrast = _products(model, name) - free_corr[name]
            correlations[name].append(contrast[:valid].sum(axis=0))
    for name, made in model.projections.items():
        dw = np.zeros(made.projection.weight.shape)
        total = np.sum(correlations[name], axis=0)
        dw[made.post_index, made.pre_index] = total / (settings.beta * n)
        result.weight_updates[name] = dw
    for pop in network.free:
        difference = nudged[pop.name] - free[pop.name]
        result.bias_updates[pop.name] = difference.mean(axis=0) / settings.beta
    result.energies = np.concatenate(energies, axis=1) if energies else None
    return result


def _padded(rows: np.ndarray, batch: int) -> np.ndarray:
    """``rows`` with zero rows appended up to ``batch`` (the last chunk's padding)."""
    rows = np.asarray(rows, dtype=float).reshape(len(rows), -1)
    return np.concatenate([rows, np.zeros((batch - len(rows), rows.shape[1]))])


def _products(model: Brian2Model, name: str) -> np.ndarray:
    """s_post·s_pre at every synapse of projection ``name``, shape (batch, synapses per sample)."""
    s_pre, s_post = model.synapse_activity(name)
    return s_pre * s_post


def _relax(model: Brian2Model, engine_steps: int, per_step: float, settings: PhaseSettings,
           energy: "_EnergyProbe | None") -> tuple[int, np.ndarray | None]:
    """Run one phase of ``engine_steps`` engine steps (one Brian2 run); return the engine steps
    it took to settle, read off the recorded trajectory (the first multiple of ``check_every``
    after which no unit moved faster than ``tol`` per τ; the full length without ``tol`` or if it
    never settled), and, with ``energy``, E at the start and at every ``check_every`` steps."""
    start = model.states()
    brian_steps = max(1, round(engine_steps * per_step))
    trajectory = model.run(brian_steps)
    checks = list(range(settings.check_every, engine_steps + 1, settings.check_every))
    if not checks or checks[-1] != engine_steps:
        checks.append(engine_steps)
    at = {k: min(brian_steps, max(1, round(k * per_step))) for k in checks}
    settled = engine_steps
    if settings.tol is not None:
        for k in checks:
            step = at[k]
            previous = start if step == 1 else {n: t[step - 2] for n, t in trajectory.items()}
            speed = max(float(np.max(np.abs(trajectory[n][step - 1] - previous[n])))
                        for n in trajectory) / model.dt_fraction
            if speed <= settings.tol:
                settled = k
                break
    if energy is None:
        return settled, None
    states = [start] + [{n: t[at[k] - 1] for n, t in trajectory.items()} for k in checks]
    return settled, np.array([energy(s) for s in states])


class _EnergyProbe:
    """E(s) per sample of a recorded state (the network's energy, Scellier & Bengio eq. 1,
    evaluated by the engine's formula on Brian2's states and its clamped input)."""

    def __init__(self, model: Brian2Model, network: Network) -> None:
        self.model, self.network = model, network
        self.relaxer = Relaxer(network, Dynamics(), get_loss("half_squared_error"))

    def __call__(self, free_values: dict[str, np.ndarray]) -> np.ndarray:
        source = self.network.inputs[0].name
        values = dict(free_values)
        values[source] = np.array(self.model.groups[source].s[:]).reshape(self.model.batch, -1)
        return self.relaxer.energy(State(values, list(free_values)))
