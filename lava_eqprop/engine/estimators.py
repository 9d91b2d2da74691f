"""EP gradient estimators: from the free and nudged equilibria to a weight update direction.

For a symmetric network, EP (Scellier & Bengio 2017, Theorem 1) gives

    −dL/dθ = lim_{β→0} (1/β) [ ∂(−F)/∂θ (s^β) − ∂(−F)/∂θ (s^0) ],

and −∂F/∂W of a projection is its correlation Σ_b s_post s_preᵀ, of a bias Σ_b s. Estimators:

* ``one_sided``: free phase, then a nudged phase at β from the free state; (1/β)[g(s^β) − g(s^0)].
  With ``beta_sign = "random"`` the sign of β is drawn per batch (Scellier & Bengio's code).
* ``symmetric``: nudged phases at +β and −β, both from the free state;
  (1/2β)[g(s^{+β}) − g(s^{−β})] (Laborieux et al. 2021, eq. 11), whose bias is O(β²);
  Elayedam & Srinivasan call it centered EP.

For directed nets (Farinha et al. 2020), two more:

* ``asymmetric``: the asymmetric-EP baseline, one nudged phase from the free state and
  ΔW_ij = s_i^0 (s_j^β − s_j^0)/β, Δb_j = (s_j^β − s_j^0)/β: the pre-synaptic free rate times the
  post-synaptic nudge (Scellier et al. 2018's vector-field EP), for connection i → j;
* ``deep``: Farinha et al.'s STDP-like rule, accumulated along the nudged trajectory
  (:mod:`lava_eqprop.engine.trajectory`), ΔW_ij = mean_t s_i(t)[β0 s_j(t) + β1 Δs_j(t)]; it
  is not divided by β (the authors' learning rate dt_W = 100 absorbs it).

Updates are averaged over the batch: the returned directions are −dL/dθ of the mean loss.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from lava_eqprop.engine.relaxation import Clamped, Relaxer, State
from lava_eqprop.engine.solvers import PhaseReport, SolverSettings, solve_phase
from lava_eqprop.engine.trajectory import TrajectoryRule

ESTIMATORS = ("one_sided", "symmetric", "asymmetric", "deep")
BETA_SIGNS = ("positive", "random")


@dataclass(frozen=True)
class EPSettings:
    """Phase lengths (the caps of a solver with a tolerance), the solver of the free phase and
    of the nudged phases (``nudged_solver``, None: the same; :mod:`lava_eqprop.engine.solvers`)
    and the estimator (see the module docstring)."""

    beta: float = 0.5
    free_steps: int = 20
    nudged_steps: int = 4
    estimator: str = "one_sided"
    beta_sign: str = "positive"
    solver: SolverSettings = SolverSettings()
    nudged_solver: SolverSettings | None = None
    trajectory_rates: tuple[float, float] = (0.0, 1.0)

    def __post_init__(self) -> None:
        if self.beta <= 0:
            raise ValueError(f"beta must be > 0 (its sign is set by beta_sign), got {self.beta}")
        if self.estimator not in ESTIMATORS:
            raise ValueError(f"estimator {self.estimator!r} is not one of {list(ESTIMATORS)}")
        if self.beta_sign not in BETA_SIGNS:
            raise ValueError(f"beta_sign {self.beta_sign!r} is not one of {list(BETA_SIGNS)}")
        if self.free_steps < 1 or self.nudged_steps < 1:
            raise ValueError("free_steps and nudged_steps must be >= 1")


@dataclass
class EPResult:
    """The free state of a batch, the update directions and what the phases cost
    (``reports``: the free phase's and each nudged phase's, in the order of ``betas``)."""

    free_state: State
    weight_updates: dict[str, np.ndarray]
    bias_updates: dict[str, np.ndarray]
    reports: list[PhaseReport]
    betas: list[float] = field(default_factory=list)
    contrasted: tuple[State, State, float] | None = None   # (a, b, scale) of the contrast

    def to_numpy(self) -> EPResult:
        """This result with its free state and bias directions as NumPy arrays (a torch
        relaxer's are on its device; the weight directions are NumPy arrays already)."""
        to_numpy = self.free_state.arrays.to_numpy
        return replace(self, free_state=self.free_state.to_numpy(),
                       bias_updates={name: to_numpy(v) for name, v in self.bias_updates.items()})


def contrast(relaxer: Relaxer, a: State, b: State, scale: float,
             out: dict[str, np.ndarray] | None = None,
             factors: tuple[dict[str, float], dict[str, float]] | None = None,
             pre_from: State | None = None, deferred: frozenset[str] = frozenset()
             ) -> tuple[dict, dict]:
    """scale·[g(a) − g(b)] for every plastic weight and every learnt bias, except the
    projections named in ``deferred`` (their caller computes them from ``a``, ``b``, scale).

    ``out`` maps projection names to reusable weight-sized buffers (spares allocating them per
    batch). ``factors`` = (per projection, per population) extra factors folded into the scale
    (the trainer folds plain SGD's learning rates here: one pass less over every weight).
    ``pre_from``: take every pre-synaptic state from this one state, scale·s_pre (s_post^a −
    s_post^b)ᵀ (the asymmetric estimator); only for directed projections.
    """
    out = out or {}
    weight_factor, bias_factor = factors or ({}, {})
    weights = {}
    for proj in relaxer.network.projections:
        if proj.plastic and proj.name not in deferred:
            pre_a, pre_b = ((pre_from[proj.pre],) * 2 if pre_from is not None
                            else (a[proj.pre], b[proj.pre]))
            weights[proj.name] = relaxer.interactions[proj.name].contrast(
                pre_a, a[proj.post], pre_b, b[proj.post],
                scale * weight_factor.get(proj.name, 1.0), out.get(proj.name))
    biases = {}
    for pop in relaxer.network.free:
        if pop.learn_bias:
            factor = scale * bias_factor.get(pop.name, 1.0)
            biases[pop.name] = factor * (pop.bias_sum(a[pop.name]) - pop.bias_sum(b[pop.name]))
    return weights, biases


def ep_update(relaxer: Relaxer, clamped: Clamped, target: np.ndarray, settings: EPSettings,
              rng: np.random.Generator, initial: State | None = None,
              out: dict[str, np.ndarray] | None = None,
              factors: tuple[dict[str, float], dict[str, float]] | None = None,
              deferred: frozenset[str] = frozenset()) -> EPResult:
    """Run the phases of ``settings.estimator`` on one batch; return the update directions.

    ``initial`` is the state the free phase starts from (zeros if None; persistent particles
    otherwise). Returned directions are already divided by β and by the batch size; weight
    directions are written into the buffers of ``out`` where given, and multiplied by
    ``factors`` where given (see :func:`contrast`). The projections named in ``deferred`` get
    no direction (one-sided and symmetric estimators): the caller computes them from the
    result's ``contrasted`` states.
    """
    if deferred and settings.estimator not in ("one_sided", "symmetric"):
        raise ValueError(f"deferred contrasts need a one-sided or symmetric estimator, not "
                         f"{settings.estimator!r}")
    free = initial if initial is not None else relaxer.zero_state(clamped)
    reports = [solve_phase(relaxer, free, clamped, settings.free_steps, settings.solver)]
    solver = settings.nudged_solver or settings.solver
    contrasted = None
    batch = free.batch
    beta = settings.beta
    if settings.estimator == "symmetric":
        plus, minus = free.copy(), free.copy()
        for state, signed in ((plus, beta), (minus, -beta)):
            reports.append(solve_phase(relaxer, state, clamped, settings.nudged_steps, solver,
                                       signed, target))
        contrasted = (plus, minus, 1.0 / (2.0 * beta * batch))
        weights, biases = contrast(relaxer, *contrasted, out, factors, deferred=deferred)
        betas = [beta, -beta]
    else:
        if settings.beta_sign == "random" and rng.integers(2) == 0:
            beta = -beta
        nudged = free.copy()
        rule = (TrajectoryRule(relaxer, *settings.trajectory_rates)
                if settings.estimator == "deep" else None)
        reports.append(solve_phase(relaxer, nudged, clamped, settings.nudged_steps, solver, beta,
                                   target, observer=rule))
        if rule is not None:
            weights, biases = rule.updates(clamped.inputs, factors)
        elif settings.estimator == "asymmetric":
            weights, biases = contrast(relaxer, nudged, free, 1.0 / (beta * batch), out, factors,
                                       pre_from=free)
        else:
            contrasted = (nudged, free, 1.0 / (beta * batch))
            weights, biases = contrast(relaxer, *contrasted, out, factors, deferred=deferred)
        betas = [beta]
    return EPResult(free, weights, biases, reports, betas, contrasted)
