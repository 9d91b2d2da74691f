"""Free and nudged phases: relaxation of the free populations towards equilibrium.

One update rule for every network of the description, a projected Euler step on the total
energy F = E + βC (Scellier & Bengio 2017, eqs. 8 and 11, with clip activations):

    s_k ← clip_k( s_k + ε·(−∂F/∂s_k) ),   −∂F/∂s_k = b_k + Σ_projections drive_k(s) − s_k − β ∂C/∂s_k

For ε = 1 and β = 0 this is the exact minimiser of E over population k given its neighbours,
s_k ← ρ(b_k + Σ drive), the fixed-point iteration of Laborieux et al. (2021); for ε = ½ it is
the iteration of Scellier & Bengio's and Gammell et al.'s code. The *schedule* says which
populations move together: all at once from the old state (``synchronous``, Jacobi), odd-indexed
layers then even-indexed ones (``odd_even``), or the groups of a greedy colouring of the
population graph, in which no two connected populations share a group (``colouring``). With a
colouring, ε = 1 and no lateral projection, each group step is an exact block minimiser and the
energy never increases.

The drive from clamped (input) populations is constant during a phase: :meth:`Relaxer.clamp`
computes it once per batch, which is most of the arithmetic of a step in an MLP.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lava_eqprop.engine.interactions import interaction_for
from lava_eqprop.engine.loss import SquaredError
from lava_eqprop.errors import NetworkError
from lava_eqprop.network.network import Network, Population

SCHEDULES = ("synchronous", "odd_even", "colouring")


@dataclass(frozen=True)
class Dynamics:
    """Step size ε and update schedule of the relaxation (see the module docstring)."""

    epsilon: float = 1.0
    schedule: str = "synchronous"

    def __post_init__(self) -> None:
        if not 0.0 < self.epsilon <= 1.0:
            raise ValueError(f"epsilon must be in (0, 1], got {self.epsilon}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule {self.schedule!r} is not one of {list(SCHEDULES)}")


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
    """Welsh-Powell-free greedy colouring of the free populations, in layer order."""
    neighbours: dict[str, set[str]] = {p.name: set() for p in network.free}
    for proj in network.projections:
        if proj.pre != proj.post and proj.pre in neighbours and proj.post in neighbours:
            neighbours[proj.pre].add(proj.post)
            neighbours[proj.post].add(proj.pre)
    colour: dict[str, int] = {}
    for pop in network.free:
        used = {colour[n] for n in neighbours[pop.name] if n in colour}
        colour[pop.name] = next(c for c in range(len(colour) + 1) if c not in used)
    return [[p for p in network.free if colour[p.name] == c] for c in range(max(colour.values()) + 1)]


class State:
    """Population states ``(batch, *shape)`` of one batch, with private scratch buffers.

    The relaxer writes new values into the scratch buffers and swaps them in, so a State never
    shares memory with another: :meth:`copy` is a deep copy.
    """

    def __init__(self, values: dict[str, np.ndarray]) -> None:
        self.values = values
        self.scratch = {name: np.empty_like(v) for name, v in values.items()}

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]

    def copy(self) -> "State":
        return State({name: v.copy() for name, v in self.values.items()})

    @property
    def batch(self) -> int:
        return next(iter(self.values.values())).shape[0]


@dataclass
class Clamped:
    """The clamped inputs of a batch and the constant part of every free population's drive."""

    inputs: dict[str, np.ndarray]
    constant: dict[str, np.ndarray]


class Relaxer:
    """Runs free and nudged phases of one network with NumPy (the reference engine)."""

    def __init__(self, network: Network, dynamics: Dynamics, loss: SquaredError,
                 dtype: type = np.float64) -> None:
        if len(network.outputs) != 1:
            raise NetworkError(f"network {network.name!r}: the engine needs exactly one output "
                               f"population, found {[p.name for p in network.outputs]}")
        self.network, self.dynamics, self.loss, self.dtype = network, dynamics, loss, dtype
        self.output = network.outputs[0]
        self.groups = schedule_groups(network, dynamics.schedule)
        self.interactions = {proj.name: interaction_for(proj) for proj in network.projections}
        pops = {p.name: p for p in network.populations}
        # For each free population: (source population, interaction, direction) of its drives.
        self._free_terms: dict[str, list] = {p.name: [] for p in network.free}
        self._clamped_terms: dict[str, list] = {p.name: [] for p in network.free}
        for proj in network.projections:
            inter = self.interactions[proj.name]
            ends = [(proj.post, proj.pre, "post")]
            if proj.symmetric and not proj.lateral:
                ends.append((proj.pre, proj.post, "pre"))
            for target, source, direction in ends:
                if pops[target].clamped:
                    continue
                table = self._clamped_terms if pops[source].clamped else self._free_terms
                table[target].append((source, inter, direction))

    # ---- states ------------------------------------------------------------------------
    def clamp(self, inputs: dict[str, np.ndarray]) -> Clamped:
        """Clamp the input populations; precompute bias + drive from the inputs."""
        batch = next(iter(inputs.values())).shape[0]
        values = {}
        for pop in self.network.inputs:
            if pop.name not in inputs:
                raise NetworkError(f"no data given for input population {pop.name!r}")
            values[pop.name] = np.ascontiguousarray(inputs[pop.name], dtype=self.dtype).reshape(
                (batch,) + pop.shape)
        constant = {}
        for pop in self.network.free:
            drive = np.broadcast_to(pop.bias.astype(self.dtype, copy=False).reshape(-1),
                                    (batch, pop.size)).copy()
            for source, inter, direction in self._clamped_terms[pop.name]:
                drive += _apply(inter, direction, values[source])
            constant[pop.name] = drive
        return Clamped(values, constant)

    def zero_state(self, clamped: Clamped) -> State:
        """All free populations at zero (the lower corner of the hard-sigmoid box)."""
        batch = next(iter(clamped.inputs.values())).shape[0]
        values = dict(clamped.inputs)
        for pop in self.network.free:
            values[pop.name] = np.zeros((batch, pop.size), dtype=self.dtype)
        return State(values)

    def state_from(self, clamped: Clamped, free_values: dict[str, np.ndarray]) -> State:
        """A state with the given free-population values (copied), e.g. persistent particles."""
        values = dict(clamped.inputs)
        for pop in self.network.free:
            values[pop.name] = np.array(free_values[pop.name], dtype=self.dtype, copy=True).reshape(
                values[next(iter(clamped.inputs))].shape[0], pop.size)
        return State(values)

    # ---- dynamics ----------------------------------------------------------------------
    def run(self, state: State, clamped: Clamped, steps: int, beta: float = 0.0,
            target: np.ndarray | None = None, tol: float | None = None,
            check_every: int = 5) -> int:
        """Relax ``state`` in place for up to ``steps`` steps; return the steps taken.

        With ``tol``, stop early once no free unit moved by more than ``tol`` in a step
        (checked every ``check_every`` steps). ``beta`` ≠ 0 nudges the output towards
        ``target`` (the nudged phase).
        """
        if beta != 0.0 and target is None:
            raise ValueError("a nudged phase (beta != 0) needs a target")
        eps = self.dynamics.epsilon
        out_name = self.output.name
        values, scratch = state.values, state.scratch
        for t in range(1, steps + 1):
            for group in self.groups:
                for pop in group:
                    name = pop.name
                    drive = scratch[name]
                    np.copyto(drive, clamped.constant[name])
                    for source, inter, direction in self._free_terms[name]:
                        drive += _apply(inter, direction, values[source])
                    if beta != 0.0 and name == out_name:
                        self.loss.add_nudge(drive, values[name], target, beta)
                    if eps != 1.0:
                        drive -= values[name]
                        drive *= eps
                        drive += values[name]
                    pop.act(drive, out=drive)
                for pop in group:
                    values[pop.name], scratch[pop.name] = scratch[pop.name], values[pop.name]
            if tol is not None and t % check_every == 0 and self._moved(state) <= tol:
                return t
        return steps

    def _moved(self, state: State) -> float:
        """Largest change of any free unit in the last step (scratch holds the previous values)."""
        return max(float(np.max(np.abs(state.values[p.name] - state.scratch[p.name])))
                   for p in self.network.free)

    # ---- energy ------------------------------------------------------------------------
    def energy(self, state: State) -> np.ndarray:
        """E(s) per sample, up to a constant in the clamped inputs (Scellier & Bengio eq. 1).

        E = Σ_free (½‖s_k‖² − b_kᵀ s_k) + Σ_projections E_term(s_pre, s_post).
        """
        if not self.network.symmetric:
            raise NetworkError(f"network {self.network.name!r} has directed projections: its "
                               "dynamics are not the gradient of an energy")
        total = np.zeros(state.batch)
        for pop in self.network.free:
            s = state[pop.name]
            total += 0.5 * np.einsum("bi,bi->b", s, s) - s @ pop.bias.reshape(-1).astype(s.dtype)
        for proj in self.network.projections:
            total += self.interactions[proj.name].energy(state[proj.pre], state[proj.post])
        return total

    def total_energy(self, state: State, beta: float, target: np.ndarray | None) -> np.ndarray:
        """F = E + βC per sample."""
        total = self.energy(state)
        if beta != 0.0:
            total = total + beta * self.loss.cost(state[self.output.name], target)
        return total


def _apply(inter, direction: str, s: np.ndarray) -> np.ndarray:
    return inter.drive_to_post(s) if direction == "post" else inter.drive_to_pre(s)
