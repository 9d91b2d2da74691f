"""Stability of a network's free dynamics, as a tool: equilibria, Jacobians, certificates.

The free dynamics of every net of the description (energy nets, Farinha et al.'s DEEP, the
leaky variant) are, before the clip, *linear* in the free states:

    ds/dt = f(s) = c(x) + J s,   J = M − diag(a),

with M[j, i] the coupling from free unit i to free unit j (every projection's drive, both
directions of a symmetric one), a the decay rates (:meth:`Relaxer.decay_rates`) and c(x) the
biases plus the drive of the clamped input x. The clip to the box [lo, hi] makes the system a
projected one; its equilibria always exist (Brouwer: the box is compact and convex) but need be
neither unique nor attracting.

What is reported (Farinha et al. 2020 used a Gershgorin test; what a faithful re-run shows is
that DEEP's J has zero column sums, Σ_j J_jk = Σ_j W_kj − a_k = 0, so it always has the
eigenvalue 0 and no Gershgorin disc test on it can pass):

* for J on the whole box: its eigenvalues, the Gershgorin test by rows and by columns (every
  disc centre J_ii plus radius Σ_{j≠i}|J_ij| (or |J_ji|) below 0) and the matrix measures
  μ_1, μ_∞, μ_2 (the largest eigenvalue of (J + Jᵀ)/2). μ_1 or μ_∞ < 0 means the Euler map
  s ↦ clip(s + ε f(s)) is a contraction in that norm for every ε ≤ 1/max a (the clip is
  coordinate-wise, hence non-expansive): one equilibrium, attracting from everywhere, for every
  input. μ_2 < 0 gives the same for the continuous-time flow. That is a **certificate**;
* for each equilibrium found from several initial states (zeros, ones, random in the box): its
  residual, the active set (units strictly inside the box; the others are held at a bound by
  the clip) and the eigenvalues of J on the active set, J_AA: all real parts < 0 means locally
  asymptotically stable.

The verdict, in plain words: *certified stable* (a global certificate holds); *empirically
stable* (no certificate, but every start settled, all to one equilibrium per sample, each
locally stable); *multistable* (every start settled, to locally stable equilibria, but some
sample has several); *not stable* (some start did not settle, or an equilibrium has an
eigenvalue with non-negative real part on its active set).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lava_eqprop.engine.interactions import energy_term
from lava_eqprop.engine.relaxation import Relaxer
from lava_eqprop.network.network import Network

VERDICTS = ("certified stable", "empirically stable", "multistable", "not stable")


def linear_part(relaxer: Relaxer) -> np.ndarray:
    """J = M − diag(a) over the free units (populations in order, each flattened)."""
    network = relaxer.network
    offsets, n = {}, 0
    for pop in network.free:
        offsets[pop.name], n = n, n + pop.size
    coupling = np.zeros((n, n))
    for proj in network.projections:
        weight = energy_term(relaxer.interactions[proj.name]).dense_matrix()
        ends = [(proj.post, proj.pre, weight)]
        if proj.symmetric and not proj.lateral:
            ends.append((proj.pre, proj.post, weight.T))
        for target, source, w in ends:
            if target in offsets and source in offsets:
                rows = slice(offsets[target], offsets[target] + w.shape[0])
                cols = slice(offsets[source], offsets[source] + w.shape[1])
                coupling[rows, cols] += w
    decay = np.concatenate([relaxer.decay_rates()[p.name] for p in network.free])
    return coupling - np.diag(decay)


@dataclass
class MatrixReport:
    """Spectrum and certificates of one matrix (see the module docstring)."""

    eigenvalues: np.ndarray
    gershgorin_rows: bool
    gershgorin_columns: bool
    mu_1: float
    mu_inf: float
    mu_2: float

    @property
    def max_real(self) -> float:
        return float(np.max(self.eigenvalues.real)) if self.eigenvalues.size else -np.inf

    @property
    def contracting(self) -> bool:
        return min(self.mu_1, self.mu_inf, self.mu_2) < 0

    def summary(self) -> dict:
        return {"size": int(self.eigenvalues.size), "max_real_eigenvalue": self.max_real,
                "min_abs_eigenvalue": (float(np.min(np.abs(self.eigenvalues)))
                                       if self.eigenvalues.size else None),
                "gershgorin_rows": self.gershgorin_rows,
                "gershgorin_columns": self.gershgorin_columns,
                "mu_1": self.mu_1, "mu_inf": self.mu_inf, "mu_2": self.mu_2}


def analyse_matrix(j: np.ndarray) -> MatrixReport:
    """Eigenvalues, Gershgorin disc tests and the matrix measures μ_1, μ_∞, μ_2 of ``j``."""
    if j.size == 0:
        return MatrixReport(np.zeros(0), True, True, -np.inf, -np.inf, -np.inf)
    diag = np.diag(j)
    off = np.abs(j - np.diag(diag))
    row_edges = diag + off.sum(axis=1)          # centre + radius of each row disc
    column_edges = diag + off.sum(axis=0)
    mu_2 = float(np.max(np.linalg.eigvalsh((j + j.T) / 2)))
    return MatrixReport(np.linalg.eigvals(j), bool(np.all(row_edges < 0)),
                        bool(np.all(column_edges < 0)), float(np.max(column_edges)),
                        float(np.max(row_edges)), mu_2)


@dataclass
class Equilibrium:
    """One relaxation's end: its state, residual, active set and local spectrum."""

    sample: int
    start: str
    state: np.ndarray
    residual: float
    settled: bool
    active: np.ndarray
    local: MatrixReport


@dataclass
class StabilityReport:
    """The whole analysis of one net on some inputs (see the module docstring)."""

    network: str
    linear: MatrixReport
    equilibria: list[Equilibrium] = field(default_factory=list)
    distinct: list[int] = field(default_factory=list)      # distinct equilibria per sample
    verdict: str = ""
    reason: str = ""

    def summary(self) -> dict:
        return {"network": self.network, "verdict": self.verdict, "reason": self.reason,
                "linear_part": self.linear.summary(),
                "linear_eigenvalues": [[float(z.real), float(z.imag)]
                                       for z in self.linear.eigenvalues],
                "distinct_equilibria_per_sample": self.distinct,
                "equilibria": [{"sample": e.sample, "start": e.start, "residual": e.residual,
                                "settled": e.settled, "active_units": int(e.active.size),
                                **{f"local_{k}": v for k, v in e.local.summary().items()}}
                               for e in self.equilibria]}


def analyse(network: Network, relaxer: Relaxer, x: np.ndarray, *, starts: int = 3,
            steps: int = 5000, tol: float = 1e-9, seed: int = 0) -> StabilityReport:
    """Find equilibria of ``network`` for each input row of ``x`` from ``starts`` initial states
    (zeros, ones, then uniform random in the box), analyse each, and give the verdict."""
    full = linear_part(relaxer)
    report = StabilityReport(network.name, analyse_matrix(full))
    clamped = relaxer.clamp({network.inputs[0].name: x})
    lo = np.concatenate([np.full(p.size, p.act.lo) for p in network.free])
    hi = np.concatenate([np.full(p.size, p.act.hi) for p in network.free])
    rng = np.random.default_rng(seed)
    ends = []
    for k in range(starts):
        label = ("zeros", "ones")[k] if k < 2 else f"random {k - 1}"
        values = {}
        for pop in network.free:
            shape = (len(x), pop.size)
            values[pop.name] = (np.zeros(shape) if k == 0 else np.ones(shape) if k == 1
                                else rng.random(shape))
            values[pop.name] = np.clip(values[pop.name], pop.act.lo, pop.act.hi)
        state = relaxer.state_from(clamped, values)
        relaxer.run(state, clamped, steps)
        relaxer.run(state, clamped, 1)
        moved = np.concatenate([np.abs(state[p.name] - state.scratch[p.name])
                                for p in network.free], axis=1)
        ends.append((label, np.concatenate([state[p.name] for p in network.free], axis=1),
                     moved.max(axis=1)))
    for b in range(len(x)):
        for label, states, residual in ends:
            s = states[b]
            active = np.flatnonzero((s > lo + 1e-9) & (s < hi - 1e-9))
            report.equilibria.append(Equilibrium(
                b, label, s, float(residual[b]), bool(residual[b] <= tol), active,
                analyse_matrix(full[np.ix_(active, active)])))
        found = [e.state for e in report.equilibria if e.sample == b and e.settled]
        report.distinct.append(_count_distinct(found))
    report.verdict, report.reason = _verdict(report, tol)
    return report


def _count_distinct(states: list[np.ndarray], tol: float = 1e-6) -> int:
    kept: list[np.ndarray] = []
    for s in states:
        if all(np.max(np.abs(s - k)) > tol for k in kept):
            kept.append(s)
    return len(kept)


def _verdict(report: StabilityReport, tol: float) -> tuple[str, str]:
    linear = report.linear
    if linear.mu_1 < 0 or linear.mu_inf < 0 or linear.mu_2 < 0:
        which = [name for name, v in (("mu_1", linear.mu_1), ("mu_inf", linear.mu_inf),
                                      ("mu_2", linear.mu_2)) if v < 0]
        return VERDICTS[0], (f"the linear part contracts ({', '.join(which)} < 0): one "
                             "equilibrium, attracting from every state, for every input")
    smallest = float(np.min(np.abs(linear.eigenvalues)))
    zero = (f"; the linear part has an eigenvalue {smallest:.1e} from 0 (zero up to rounding)"
            if smallest <= 1e-6 * max(1.0, float(np.max(np.abs(linear.eigenvalues)))) else "")
    unsettled = [e for e in report.equilibria if not e.settled]
    if unsettled:
        e = unsettled[0]
        return VERDICTS[3], (f"{len(unsettled)} of {len(report.equilibria)} relaxations did not "
                             f"settle (sample {e.sample} from {e.start}: still moving "
                             f"{e.residual:.1e} per step > {tol:g}){zero}")
    unstable = [e for e in report.equilibria if e.local.max_real >= 0]
    if unstable:
        e = unstable[0]
        return VERDICTS[3], (f"{len(unstable)} equilibria have an eigenvalue with real part >= 0 "
                             f"on their active set (sample {e.sample}: {e.local.max_real:.2e})"
                             f"{zero}")
    if max(report.distinct, default=1) > 1:
        return VERDICTS[2], (f"every start settled to a locally stable equilibrium, but up to "
                             f"{max(report.distinct)} different ones per sample{zero}")
    return VERDICTS[1], ("no global certificate (Gershgorin and μ_1, μ_∞, μ_2 fail), but every "
                         "start settled to the same locally stable equilibrium per sample" + zero)
