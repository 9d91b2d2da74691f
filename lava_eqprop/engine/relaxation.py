"""Free and nudged phases: relaxation of the free populations towards equilibrium.

One update rule for every network of the description, a projected Euler step on the total
energy F = E + βC (Scellier & Bengio 2017, eqs. 8 and 11, with clip activations):

    s_k ← clip_k( s_k + ε·(−∂F/∂s_k) ),
    −∂F/∂s_k = b_k + Σ_projections drive_k(s) − s_k − β ∂C/∂s_k

For ε = 1 and β = 0 this is the exact minimiser of E over population k given its neighbours,
s_k ← ρ(b_k + Σ drive), the fixed-point iteration of Laborieux et al. (2021); for ε = ½ it is
the iteration of Scellier & Bengio's code. That is ``nudge = "joint"``. With ``nudge = "split"``
the nudge is a second Euler step taken from the result of the first (Lie splitting of the same
ODE, what Gammell et al.'s code does): s' = s + ε(b + Σ drive − s), then
s'' = s' − εβ ∂C/∂s(s'), then the clip. Both discretise ds/dt = −∂F/∂s and agree as ε → 0;
at ε = ½, β = 1 and C = ‖y − s‖² the split step sets the output to the target.

The *schedule* says which populations move together: all at once from the old state
(``synchronous``, Jacobi), odd-indexed layers then even-indexed ones (``odd_even``), or the
groups of a greedy colouring of the population graph, in which no two connected populations
share a group (``colouring``). With a colouring, ε = 1 and no lateral projection, each group
step is an exact block minimiser and the energy never increases.

The decay term is ``−s_k`` above (a unit leak). The directed nets of Farinha et al. (2020) use
two other decays, so the step is written with a per-neuron decay rate a_j,

    s_j ← clip_j( s_j + ε·(b_j + Σ drive_j − a_j s_j − β ∂C/∂s_j) ),   a_j = λ + [outgoing] Σ_k W_jk

with λ the ``leak`` (1 above) and, with ``outgoing_decay``, the signed sum of the weights *out*
of neuron j: Farinha et al.'s DEEP dynamics, ds_j/dt = Σ_i W_ij s_i − s_j Σ_k W_jk (λ = 0).
A symmetric net with a constant leak λ descends E = Σ_k (λ/2‖s_k‖² − b_kᵀs_k) + Σ E_term; with
the outgoing decay the dynamics descend no energy of this form (:meth:`Relaxer.energy` says so).

The *exact block sweep* (``run(..., exact=True)``, the block solvers of
:mod:`lava_eqprop.engine.solvers`) visits the groups of the colouring and sets each population
to the fixed point of its own step with its neighbours held
(:func:`~lava_eqprop.engine.step.block_fixed_point`): block-coordinate descent on F for the
``joint`` nudge, and a sweep whose fixed points are the step's own for either nudge. It needs
a constant leak λ > 0 and no lateral projection. :meth:`Relaxer.residual` measures, per
sample, how far a state is from a fixed point of the step: ‖T(s) − s‖_∞ / ε with T one
synchronous step from s, which for the ``joint`` nudge is the largest component of the
projected gradient −∂F/∂s (zero exactly at the fixed points every solver looks for).

The drive from clamped (input) populations is constant during a phase: :meth:`Relaxer.clamp`
computes it once per batch, which is most of the arithmetic of a step in an MLP.

The loop is written once, against an array namespace (:mod:`lava_eqprop.engine.arrays`) and the
interactions of a backend: NumPy's here, torch's in :mod:`lava_eqprop.torch_backend`. Each
population's update is :func:`~lava_eqprop.engine.step.population_step`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from lava_eqprop.engine.arrays import NUMPY, NumpyArrays
from lava_eqprop.engine.events import Messages
from lava_eqprop.engine.interactions import Interaction, energy_term, interaction_for
from lava_eqprop.engine.loss import SquaredError
from lava_eqprop.engine.step import Nudge, block_fixed_point, population_step
from lava_eqprop.errors import NetworkError
from lava_eqprop.network.network import Network, Population, Projection

SCHEDULES = ("synchronous", "odd_even", "colouring")
NUDGES = ("joint", "split")


@dataclass(frozen=True)
class Dynamics:
    """Step size ε, update schedule, nudge discretisation and decay (see the module docstring)."""

    epsilon: float = 1.0
    schedule: str = "synchronous"
    nudge: str = "joint"
    leak: float = 1.0
    outgoing_decay: bool = False

    def __post_init__(self) -> None:
        if not 0.0 < self.epsilon <= 1.0:
            raise ValueError(f"epsilon must be in (0, 1], got {self.epsilon}")
        if not (self.leak >= 0.0 and np.isfinite(self.leak)):
            raise ValueError(f"leak must be a finite number >= 0, got {self.leak}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule {self.schedule!r} is not one of {list(SCHEDULES)}")
        if self.nudge not in NUDGES:
            raise ValueError(f"nudge {self.nudge!r} is not one of {list(NUDGES)}")

    @property
    def unit_decay(self) -> bool:
        """True for the energy nets' decay a_j = 1 (the engine's fast path)."""
        return self.leak == 1.0 and not self.outgoing_decay


def schedule_groups(network: Network, schedule: str) -> list[list[Population]]:
    """The groups of free populations updated together, in update order."""
    free = network.free
    if schedule == "synchronous":
        return [free]
    if schedule == "odd_even":
        groups = [[p for p in free if network.index(p.name) % 2 == parity] for parity in (1, 0)]
    elif schedule == "colouring":
        groups = _greedy_colouring(network)
    else:
        raise ValueError(f"schedule {schedule!r} is not one of {list(SCHEDULES)}")
    return [g for g in groups if g]


def _greedy_colouring(network: Network) -> list[list[Population]]:
    """Greedy colouring of the free-population graph: populations in layer order, each given
    the first colour no already-coloured neighbour has."""
    neighbours: dict[str, set[str]] = {p.name: set() for p in network.free}
    for proj in network.projections:
        if proj.pre != proj.post and proj.pre in neighbours and proj.post in neighbours:
            neighbours[proj.pre].add(proj.post)
            neighbours[proj.post].add(proj.pre)
    colour: dict[str, int] = {}
    for pop in network.free:
        used = {colour[n] for n in neighbours[pop.name] if n in colour}
        colour[pop.name] = next(c for c in range(len(colour) + 1) if c not in used)
    return [[p for p in network.free if colour[p.name] == c]
            for c in range(max(colour.values()) + 1)]


def drive_terms(network: Network, interactions: dict) -> tuple[dict[str, list], dict[str, list]]:
    """For each free population, the (source population, interaction, direction) of its drives:
    those from free sources (recomputed every step) and those from clamped ones (constant
    during a phase), given the interaction object of every projection by name."""
    pops = {p.name: p for p in network.populations}
    free_terms: dict[str, list] = {p.name: [] for p in network.free}
    clamped_terms: dict[str, list] = {p.name: [] for p in network.free}
    for proj in network.projections:
        ends = [(proj.post, proj.pre, "post")]
        if proj.symmetric and not proj.lateral:
            ends.append((proj.pre, proj.post, "pre"))
        for target, source, direction in ends:
            if pops[target].clamped:
                continue
            table = clamped_terms if pops[source].clamped else free_terms
            table[target].append((source, interactions[proj.name], direction))
    return free_terms, clamped_terms


def clamp_batch(network: Network, clamped_terms: dict[str, list], inputs: dict[str, np.ndarray],
                new_array: Callable, known: dict[str, np.ndarray] | None = None) -> Clamped:
    """The clamped inputs of a batch and every free population's constant drive, bias +
    Σ drives from the clamped populations (``clamped_terms``, from :func:`drive_terms`), in
    the arrays of a backend: ``new_array(x, shape)`` is a new (writable) array of x.
    ``known`` maps projection names to drives already computed for this batch (to post)."""
    batch = next(iter(inputs.values())).shape[0]
    known = known or {}
    values = {}
    for pop in network.inputs:
        if pop.name not in inputs:
            raise NetworkError(f"no data given for input population {pop.name!r}")
        values[pop.name] = new_array(inputs[pop.name], (batch, pop.size))
    constant = {}
    for pop in network.free:
        drive = new_array(np.broadcast_to(pop.flat_bias(), (batch, pop.size)), (batch, pop.size))
        for _, inter, direction in clamped_terms[pop.name]:
            given = known.get(inter.projection.name)
            drive += given if given is not None else inter.bind(direction)(values, None)
        constant[pop.name] = drive
    return Clamped(values, constant)


class State:
    """Population states of one batch, flat ``(batch, population size)`` arrays of an array
    namespace, with private scratch buffers (interactions reshape to image shapes where they
    need them).

    The relaxer writes new values of the free populations into the scratch buffers and swaps
    them in, so no two States share a free population's memory: :meth:`copy` copies the free
    populations and shares the clamped inputs, which nothing writes (the EP contrast of a
    projection from a clamped input then needs one product instead of two).
    """

    def __init__(self, values: dict[str, np.ndarray], free: list[str],
                 arrays: NumpyArrays = NUMPY) -> None:
        self.values, self.free, self.arrays = values, free, arrays
        self.scratch = {name: arrays.empty_like(values[name]) for name in free}

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]

    def copy(self) -> State:
        values = dict(self.values)
        for name in self.free:
            values[name] = self.arrays.copy(self.values[name])
        return State(values, self.free, self.arrays)

    def to_numpy(self) -> State:
        """This state with NumPy arrays (a torch state's are on its device)."""
        return State({name: self.arrays.to_numpy(v) for name, v in self.values.items()},
                     self.free)

    @property
    def batch(self) -> int:
        return next(iter(self.values.values())).shape[0]


@dataclass
class Clamped:
    """The clamped inputs of a batch and the constant part of every free population's drive."""

    inputs: dict[str, np.ndarray]
    constant: dict[str, np.ndarray]

    @property
    def batch(self) -> int:
        return next(iter(self.inputs.values())).shape[0]


@dataclass
class _PopulationPlan:
    """What one population's update needs in a step, prepared once per batch size."""

    name: str
    terms: list                   # (source population, interaction, direction) of free sources
    clip: Callable | None         # the activation's box, in place
    partial: np.ndarray           # buffer for the second and later drive terms
    nudged: bool


def fill_drive(arrays: NumpyArrays, drive: np.ndarray, first: Callable | None, rest: list,
               partial_drive: np.ndarray, seen: dict[str, np.ndarray],
               constant: np.ndarray) -> None:
    """drive ← b + Σ drive terms: the first term written into ``drive``, the others through
    the ``partial_drive`` buffer, from the states ``seen``, plus the phase's ``constant``."""
    if first is None:
        arrays.copyto(drive, constant)
        return
    first(seen, drive)
    for term in rest:
        drive += term(seen, partial_drive)
    drive += constant


class Relaxer:
    """Runs free and nudged phases of one network: with NumPy (the reference engine), or with
    the ``arrays`` namespace and the ``interaction`` terms of another backend (the torch one).
    """

    def __init__(self, network: Network, dynamics: Dynamics, loss: SquaredError,
                 dtype: type = np.float64, arrays: NumpyArrays | None = None,
                 interaction: Callable[[Projection, Network], Interaction] = interaction_for
                 ) -> None:
        if len(network.outputs) != 1:
            raise NetworkError(f"network {network.name!r}: the engine needs exactly one output "
                               f"population, found {[p.name for p in network.outputs]}")
        self.network, self.dynamics, self.loss = network, dynamics, loss
        self.arrays = arrays if arrays is not None else NumpyArrays(dtype)
        self.output = network.outputs[0]
        self.groups = schedule_groups(network, dynamics.schedule)
        self._block_groups: list[list[Population]] | None = None
        self.free_names = [p.name for p in network.free]
        self.interactions = {proj.name: interaction(proj, network)
                             for proj in network.projections}
        self._free_terms, self._clamped_terms = drive_terms(network, self.interactions)
        self._plans: dict[tuple[int, str], list[list[_PopulationPlan]]] = {}

    def _plan(self, batch: int, order: str = "schedule") -> list[list[_PopulationPlan]]:
        """The population plans of one batch size, in the groups of ``order``: "schedule" (the
        spec's), "exact" (the colouring of exact block sweeps) or "synchronous" (every free
        population at once). Plans of a few batch sizes are kept (a solver's active rows
        shrink as they settle)."""
        plan = self._plans.get((batch, order))
        if plan is None:
            groups = {"schedule": self.groups, "synchronous": [self.network.free]}.get(order)
            if groups is None:
                groups = self.block_groups()
            if len(self._plans) >= 16:
                self._plans.clear()
            plan = [[self._population_plan(pop, batch) for pop in group] for group in groups]
            self._plans[(batch, order)] = plan
        return plan

    def box_clips(self, batch: int) -> dict[str, Callable | None]:
        """Each free population's in-place projection onto its activation's box, for arrays of
        ``batch`` rows (None for an unbounded one)."""
        return {plan.name: plan.clip for group in self._plan(batch, "synchronous")
                for plan in group}

    def block_groups(self) -> list[list[Population]]:
        """The colouring's groups for exact block sweeps; refuses a network or decay whose
        populations have no exact block update (see the module docstring)."""
        if self._block_groups is None:
            lateral = [p.name for p in self.network.projections if p.pre == p.post]
            if lateral:
                raise NetworkError(f"network {self.network.name!r}: exact block sweeps need "
                                   f"populations without lateral projections, and {lateral} "
                                   "are lateral: use solver = 'euler'")
            if self.dynamics.outgoing_decay or self.dynamics.leak <= 0.0:
                raise NetworkError("exact block sweeps need a constant leak > 0 (leak = "
                                   f"{self.dynamics.leak}, outgoing_decay = "
                                   f"{self.dynamics.outgoing_decay}): use solver = 'euler'")
            self._block_groups = schedule_groups(self.network, "colouring")
        return self._block_groups

    def _population_plan(self, pop: Population, batch: int) -> _PopulationPlan:
        shape = (batch, pop.size)
        return _PopulationPlan(
            pop.name, self._free_terms[pop.name],
            self.arrays.clipper(pop.act.lo, pop.act.hi, shape),
            self.arrays.zeros(shape), pop is self.output)

    # ---- states ------------------------------------------------------------------------
    def clamp(self, inputs: dict[str, np.ndarray],
              known: dict[str, np.ndarray] | None = None) -> Clamped:
        """Clamp the input populations; precompute bias + drive from the inputs (``known``:
        the drives of some input projections, already computed; see :func:`clamp_batch`).

        The result holds the biases and input weights of the moment: clamp again after an
        update that changes them (the trainer clamps every batch)."""
        return clamp_batch(self.network, self._clamped_terms, inputs, self.arrays.array, known)

    def zero_state(self, clamped: Clamped) -> State:
        """All free populations at zero (the lower corner of the hard-sigmoid box)."""
        values = dict(clamped.inputs)
        for pop in self.network.free:
            values[pop.name] = self.arrays.zeros((clamped.batch, pop.size))
        return State(values, self.free_names, self.arrays)

    def state_from(self, clamped: Clamped, free_values: dict[str, np.ndarray]) -> State:
        """A state with the given free-population values (copied), e.g. persistent particles."""
        values = dict(clamped.inputs)
        for pop in self.network.free:
            values[pop.name] = self.arrays.array(free_values[pop.name], (clamped.batch, pop.size))
        return State(values, self.free_names, self.arrays)

    # ---- dynamics ----------------------------------------------------------------------
    def run(self, state: State, clamped: Clamped, steps: int, beta: float = 0.0,
            target: np.ndarray | None = None, tol: float | None = None,
            check_every: int = 5, observer: Callable[[State], None] | None = None,
            messages: Messages | None = None, exact: bool = False) -> int:
        """Relax ``state`` in place for up to ``steps`` steps; return the steps taken.

        With ``tol``, stop early once no free unit moved by more than ``tol`` in a step
        (checked every ``check_every`` steps). ``beta`` ≠ 0 nudges the output towards
        ``target`` (the nudged phase). ``observer(state)`` is called after every step, with
        ``state.scratch`` holding the previous step's values (trajectory learning rules).
        With ``messages`` (:mod:`lava_eqprop.engine.events`), the drives read what the free
        populations have sent rather than their states, and each group's update is sent after
        it, as in the Lava graphs' event-driven messages. ``exact`` makes each step an exact
        block sweep (the module docstring) instead of a step of the schedule.
        """
        plan = self.sweep_plan(state.batch, beta, target, exact)
        seen = state.values if messages is None else messages.view(state.values)
        for t in range(1, steps + 1):
            self.sweep(plan, state, clamped, seen, messages)
            if observer is not None:
                observer(state)
            if tol is not None and t % check_every == 0 and self.moved(state) <= tol:
                return t
        return steps

    def sweep_plan(self, batch: int, beta: float = 0.0, target: np.ndarray | None = None,
                   exact: bool = False) -> list[tuple[list[str], list[tuple]]]:
        """One phase's updates for ``batch`` rows, bound to the weights of the moment: per
        group of the schedule (or, ``exact``, of the block sweeps), its population names and
        each population's bound update (:meth:`_bound`). Rebind after the weights, the target
        or the rows change."""
        nudge, retain = self._phase(beta, target)
        return [([step.name for step in group],
                 [self._bound(step, nudge, retain[step.name], exact) for step in group])
                for group in self._plan(batch, "exact" if exact else "schedule")]

    def sweep(self, plan: list[tuple[list[str], list[tuple]]], state: State, clamped: Clamped,
              seen: dict[str, np.ndarray] | None = None, messages: Messages | None = None
              ) -> None:
        """One step of ``plan`` (:meth:`sweep_plan`) on ``state``, whose previous values end
        in its scratch; drives read ``seen`` (the states, or the messages' view of them)."""
        arrays, constant = self.arrays, clamped.constant
        values, scratch = state.values, state.scratch
        seen = values if seen is None else seen
        for names, group in plan:
            for name, first, rest, partial_drive, update in group:
                drive = scratch[name]
                fill_drive(arrays, drive, first, rest, partial_drive, seen, constant[name])
                update(drive, values[name])
            for name in names:
                values[name], scratch[name] = scratch[name], values[name]
            if messages is not None:
                messages.send(names, values)

    def _phase(self, beta: float, target: np.ndarray | None
               ) -> tuple[Nudge | None, dict[str, np.ndarray | None]]:
        """The nudge of a phase (None for β = 0) and each population's retain = 1 − εa
        (None for the unit leak)."""
        nudge = None
        if beta != 0.0:
            if target is None:
                raise ValueError("a nudged phase (beta != 0) needs a target")
            nudge = Nudge(self.loss, self.arrays.asarray(target), beta,
                          self.dynamics.nudge == "split")
        eps = self.dynamics.epsilon
        retain: dict[str, np.ndarray | None] = (
            dict.fromkeys(self.free_names) if self.dynamics.unit_decay else {
                name: self.arrays.array(1.0 - eps * a, a.shape)
                for name, a in self.decay_rates().items()})
        return nudge, retain

    def _bound(self, step: _PopulationPlan, nudge: Nudge | None, retain: np.ndarray | None,
               exact: bool = False) -> tuple:
        """A population's update in one phase: its name, first drive term and further ones
        (bound to the weights of the moment), the partial-drive buffer, and ``update(drive,
        s)``, its :func:`population_step` (or, ``exact``, its :func:`block_fixed_point`)."""
        drives = [inter.bind(direction) for _, inter, direction in step.terms]
        pop_nudge = nudge if step.nudged else None
        eps = self.dynamics.epsilon
        if exact:
            fixed_point = partial(block_fixed_point, epsilon=eps, leak=self.dynamics.leak,
                                  nudge=pop_nudge, clip=step.clip)
            update = lambda drive, s: fixed_point(drive)           # noqa: E731
        else:
            update = partial(population_step, epsilon=eps, retain=retain, nudge=pop_nudge,
                             clip=step.clip)
        return step.name, drives[0] if drives else None, drives[1:], step.partial, update

    def decay_rates(self) -> dict[str, np.ndarray]:
        """a_j = λ + [outgoing] Σ_k W_jk per free population (see the module docstring).

        The outgoing sum runs over every projection the neuron drives: a directed one's column
        sums, and both ends of a symmetric one (its pre neurons drive post and vice versa).
        """
        rates = {p.name: np.full(p.size, self.dynamics.leak) for p in self.network.free}
        if self.dynamics.outgoing_decay:
            for proj in self.network.projections:
                if proj.pre in rates:
                    rates[proj.pre] += proj.weight.sum(axis=0)
                if proj.symmetric and not proj.lateral and proj.post in rates:
                    rates[proj.post] += proj.weight.sum(axis=1)
        return rates

    def _drives(self, state: State, clamped: Clamped, nudge: Nudge | None,
                retain: dict[str, np.ndarray | None]) -> list[tuple[str, np.ndarray, Callable]]:
        """Each free population's name, b + Σ drive(s) from ``state`` (a new array) and its
        step ``update(drive, s)``, all populations evaluated at the same state."""
        out = []
        for plan in self._plan(state.batch, "synchronous")[0]:
            name, first, rest, partial_drive, update = self._bound(plan, nudge, retain[plan.name])
            drive = self.arrays.empty_like(state.values[name])
            fill_drive(self.arrays, drive, first, rest, partial_drive, state.values,
                       clamped.constant[name])
            out.append((name, drive, update))
        return out

    def residual(self, state: State, clamped: Clamped, beta: float = 0.0,
                 target: np.ndarray | None = None) -> np.ndarray:
        """‖T(s) − s‖_∞ / ε per sample, T one synchronous step of the phase from ``state``
        (left as it is): the distance from a fixed point every solver reports (module
        docstring). A NumPy array of shape (batch,)."""
        worst = None
        for name, drive, update in self._drives(state, clamped, *self._phase(beta, target)):
            update(drive, state.values[name])
            rows = self.arrays.row_max_abs_difference(drive, state.values[name])
            worst = rows if worst is None else np.maximum(worst, rows)
        assert worst is not None
        return worst / self.dynamics.epsilon

    def step_change_bounds_residual(self, beta: float = 0.0) -> bool:
        """True when one step's largest change per sample, divided by ε, is at least the
        residual :meth:`residual` of the state before the step, so that a solver needs no
        residual evaluation of its own.

        It is R itself for the synchronous schedule. For a schedule of two groups (odd/even, or
        a colouring with two colours) it is a bound when ε = 1, the decay is the unit leak, no
        projection joins two populations of the second group and, in a nudged phase, the output
        is not in the second group: after a step each population of the second group holds
        ρ(b + drive from the first group's new values), its own step's result whatever its old
        value, so the synchronous step T leaves it unchanged; and the first group's part of
        T(s) reads the same values as the next step's first half. So R(s) is the first group's
        change in the next step, at most the whole step's change."""
        dynamics = self.dynamics
        if dynamics.schedule == "synchronous":
            return True
        if len(self.groups) != 2 or dynamics.epsilon != 1.0 or not dynamics.unit_decay:
            return False
        last = {p.name for p in self.groups[1]}
        if beta != 0.0 and self.output.name in last:
            return False
        return not any(proj.pre in last and proj.post in last
                       for proj in self.network.projections)

    def velocity(self, state: State, clamped: Clamped, beta: float = 0.0,
                 target: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """ds/dt = b + Σ drive − a∘s − β ∂C/∂s of every free population at ``state``, the ODE
        the steps discretise (``joint`` form), projected onto the box: zero where a unit sits
        on a bound and the velocity points out of the box."""
        nudge, _ = self._phase(beta, target)
        if nudge is not None and nudge.split:
            raise NetworkError("the split nudge is a discretisation of the joint ODE, not an "
                               "ODE of its own: integrate with nudge = 'joint'")
        unit = self.dynamics.unit_decay
        retain_one: dict[str, np.ndarray | None] = (
            dict.fromkeys(self.free_names) if unit else {
                name: self.arrays.array(1.0 - a, a.shape)
                for name, a in self.decay_rates().items()})
        pops = {p.name: p for p in self.network.free}
        out = {}
        for name, drive, _ in self._drives(state, clamped, nudge, retain_one):
            s = state.values[name]
            population_step(drive, s, 1.0, retain_one[name],
                            nudge if name == self.output.name else None, None)
            drive -= s
            act = pops[name].act
            drive[((s <= act.lo) & (drive < 0)) | ((s >= act.hi) & (drive > 0))] = 0.0
            out[name] = drive
        return out

    def moved(self, state: State) -> float:
        """Largest change of any free unit in the last step (scratch holds the previous values)."""
        return max(self.arrays.max_abs_difference(state.values[name], state.scratch[name])
                   for name in self.free_names)

    # ---- energy ------------------------------------------------------------------------
    def energy(self, state: State) -> np.ndarray:
        """E(s) per sample, up to a constant in the clamped inputs (Scellier & Bengio eq. 1).

        E = Σ_free (λ/2‖s_k‖² − b_kᵀ s_k) + Σ_projections E_term(s_pre, s_post), λ the leak.
        """
        if not self.network.symmetric:
            raise NetworkError(f"network {self.network.name!r} has directed projections: its "
                               "dynamics are not the gradient of an energy")
        if self.dynamics.outgoing_decay:
            raise NetworkError("the outgoing-weight decay (Farinha et al.'s DEEP dynamics) is not "
                               "the gradient of an energy of this form")
        total = np.zeros(state.batch)
        leak = self.dynamics.leak
        for pop in self.network.free:
            s = state[pop.name]
            total += (0.5 * leak * np.einsum("bi,bi->b", s, s)
                      - s @ pop.flat_bias().astype(s.dtype))
        for proj in self.network.projections:
            total += energy_term(self.interactions[proj.name]).energy(state[proj.pre],
                                                                      state[proj.post])
        return total

    def total_energy(self, state: State, beta: float, target: np.ndarray | None) -> np.ndarray:
        """F = E + βC per sample."""
        total = self.energy(state)
        if beta != 0.0:
            if target is None:
                raise ValueError("a nudged energy (beta != 0) needs a target")
            total = total + beta * self.loss.cost(state[self.output.name], target)
        return total
