"""How far Lava's fixed-point dynamics may drift from the float map: a per-neuron, per-sample
bound on the rounding of every step, carried through the step as an affine form (a zonotope),
with the clip handled exactly enough to stay a bound.

The fixed-point models (:mod:`lava_eqprop.lava_backend.procs`, formats in
:mod:`lava_eqprop.chips.fixed_point`) hold the weights, biases and clamped inputs on the chip's
grid. Those are exactly the float reference's when the engine runs on
:func:`~lava_eqprop.crosscheck.tolerances.rounded_network` with :func:`payload_inputs`; what
is left is the rounding inside every step. With h = 2^−(F+1) half a state LSB, one synchronous
step of the fixed model (its docstring) adds, for neuron i:

    payload of source j   ε·Σ_j W_ij ρ_j,  |ρ_j| ≤ δ_j = 2^−(Fa_j+1) if F > Fa_j, else 0
                          (0 while s_j provably sits on a clip bound: lo and hi are payloads)
    drive                 ≤ ε·h per projection whose synapse shifts its sum down
    Euler step ε = 2^−k   ≤ h (none at ε = 1)
    nudge (outputs)       ≤ ε(|c_q − c|·|y − s_i| + c_q |y − y_q| + h)

with c = β·scale, c_q its value on the ``nudge_frac_bits`` grid and y_q the target on the state
grid. The error of the state is kept as e_t = G_t·ξ, ξ ∈ [−1, 1]^m, one column of G_t per
rounding source (affine arithmetic; Ghorbal, Goubault & Putot 2009). Before the clip the step
is affine: G ← L·G with L = S·((1 − ε)I + εA) (A the free-to-free weights, S = I − εc on the
outputs for the split nudge, or −εc inside L for the joint one), and each step's roundings are
new columns. The pre-clip error of unit i is then within R_i = Σ_m |G_im|. The clip is handled
as in DeepZ (Singh et al. 2018), per unit, around the reference's pre-clip value u:

    clip(u + e) − clip(u) = λ·e + r,  |e| ≤ R,  |r| ≤ ρ      (:func:`clip_form`)

with λ the slope of the chord over [−R, R] (1 while u ± R stays inside the box, 0 while it
stays outside, between when it crosses an edge) and ρ the largest |r|; the unit's row of G is
scaled by λ and r becomes a new column (a crossing never widens the error: λR + ρ ≤ R).
Every step is covered, clip switches included, so the result is a
bound of the rounding errors, not an estimate; it keeps the weights' signs (an error spread
over a dense layer mostly cancels). Each step adds 2N columns (a diagonal one per unit, and
one per payload source), N the free units. To bound the cost, the columns of all but the last
``keep`` steps are boxed into one diagonal (|G| summed per row: a looser but still valid
bound), ``keep`` as many steps as fit in ``columns`` columns. A state error is also never
wider than its box. It assumes no accumulator saturates (the fixed models count saturations).
Cost per step and sample: one (N × N)·(N × m) product, m ≤ 2N·keep + N.
"""

from __future__ import annotations

import copy

import numpy as np

from lava_eqprop.chips.fixed_point import activation_frac_bits, quantise, saturate
from lava_eqprop.crosscheck.tolerances import synapse_matrix
from lava_eqprop.engine.loss import SquaredError
from lava_eqprop.engine.phases import ProbeSettings
from lava_eqprop.engine.relaxation import Dynamics, Relaxer
from lava_eqprop.network.network import Network


def payload_inputs(network: Network, chip, x: np.ndarray) -> np.ndarray:
    """The clamped input as the fixed data source sends it, ⌊x·2^Fa⌉ saturated to the payload
    width, in state units."""
    fa = activation_frac_bits(network.inputs[0].act.hi, chip.activation_bits)
    payload, _ = saturate(quantise(np.asarray(x, dtype=float), fa), chip.activation_bits,
                          signed=False)
    return payload * 2.0 ** -fa


class FixedPointBound:
    """The bound of the module docstring for one network held on a chip's grid.

    ``network`` is the rounded network (weights and biases as the fixed models hold them);
    ``exponents`` the weight exponents of its projections; ``columns`` the budget of kept
    columns per sample (it sets ``keep``); ``chunk`` the samples bounded at once.
    """

    def __init__(self, network: Network, dynamics: Dynamics, loss: SquaredError, chip,
                 exponents: dict[str, int], columns: int = 2048, chunk: int = 16) -> None:
        if dynamics.schedule != "synchronous" or not dynamics.unit_decay:
            raise ValueError("the fixed-point bound follows the fixed models' step: synchronous "
                             f"schedule and unit decay, not {dynamics}")
        self.network, self.dynamics, self.loss, self.chip = network, dynamics, loss, chip
        self.chunk = chunk
        f = chip.state_frac_bits
        self.half = 2.0 ** -(f + 1)
        free = network.free
        self.slices, start = {}, 0
        for pop in free:
            self.slices[pop.name] = slice(start, start + pop.size)
            start += pop.size
        n = start
        self.keep = max(1, columns // (2 * n))
        self.coupling = np.zeros((n, n))                 # A: drive_i = Σ_j A_ij s_j, free j
        self.drive_rounding = np.zeros(n)
        for proj in network.projections:
            weight = synapse_matrix(proj, network)
            ends = [(proj.post, proj.pre, weight)]
            if proj.symmetric and not proj.lateral:
                ends.append((proj.pre, proj.post, weight.T))
            for target, source, w in ends:
                if target not in self.slices:
                    continue
                src = network.population(source)
                source_bits = activation_frac_bits(src.act.hi, chip.activation_bits)
                if source_bits > f + exponents[proj.name]:
                    self.drive_rounding[self.slices[target]] += self.half
                if not src.clamped:
                    self.coupling[self.slices[target], self.slices[source]] += w
        self.payload_rounding = np.concatenate([
            np.full(p.size, 2.0 ** -(activation_frac_bits(p.act.hi, chip.activation_bits) + 1)
                    if f > activation_frac_bits(p.act.hi, chip.activation_bits) else 0.0)
            for p in free])
        self.lo = np.concatenate([np.full(p.size, p.act.lo) for p in free])
        self.hi = np.concatenate([np.full(p.size, p.act.hi) for p in free])
        self.output = self.slices[network.outputs[0].name]
        self.unclipped = copy.deepcopy(network)        # the same step without its clip: u
        for pop in self.unclipped.free:
            pop.activation = "linear"

    def run(self, x_grid: np.ndarray, targets: np.ndarray, probe: ProbeSettings
            ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """The bound after the free phase and after the nudged phase, per population
        (samples, size), for inputs already on the payload grid (:func:`payload_inputs`)."""
        steps = self._trajectory(x_grid, targets, probe)
        ends = [[], []]
        for rows in _chunks(len(x_grid), self.chunk):
            free_end, nudged_end = self._propagate(steps, rows, probe.free_steps)
            ends[0].append(free_end)
            ends[1].append(nudged_end)
        return tuple({name: np.concatenate(end)[:, cols] for name, cols in self.slices.items()}
                     for end in ends)

    def _trajectory(self, x_grid, targets, probe) -> list[dict[str, np.ndarray]]:
        """Per step of the reference: its state before the step, its pre-clip state u, the
        nudge c and the nudge's own rounding (module docstring)."""
        eps, split = self.dynamics.epsilon, self.dynamics.nudge == "split"
        relaxer = Relaxer(self.unclipped, self.dynamics, self.loss)
        clamped = relaxer.clamp({self.network.inputs[0].name: x_grid})
        state = relaxer.zero_state(clamped)
        names = list(self.slices)
        frac = self.chip.nudge_frac_bits
        y_grid = quantise(targets, self.chip.state_frac_bits) * 2.0 ** -self.chip.state_frac_bits
        steps = []
        for count, beta in ((probe.free_steps, 0.0), (probe.nudged_steps, probe.beta)):
            c = beta * self.loss.scale
            c_q = quantise(np.float64(c), frac) * 2.0 ** -frac
            for _ in range(count):
                before = np.concatenate([state[k] for k in names], axis=1)
                relaxer.run(state, clamped, 1, beta=0.0 if split else beta, target=targets)
                u = np.concatenate([state[k] for k in names], axis=1)
                nudge = np.zeros_like(u)
                if beta:
                    start = u[:, self.output] if split else before[:, self.output]
                    nudge[:, self.output] = eps * (abs(c_q - c) * np.abs(targets - start)
                                                   + c_q * np.abs(targets - y_grid) + self.half)
                    if split:
                        u[:, self.output] += eps * c * (targets - u[:, self.output])
                steps.append({"before": before, "u": u, "c": c, "nudge": nudge})
                clipped = np.clip(u, self.lo, self.hi)
                for k in names:
                    state.values[k][...] = clipped[:, self.slices[k]]
        return steps

    def _propagate(self, steps: list[dict[str, np.ndarray]], rows: slice, free_steps: int
                   ) -> tuple[np.ndarray, np.ndarray]:
        """The affine form of the module docstring through every step for the samples
        ``rows``; the radius per unit after the free and after the nudged phase. Arrays are
        unit-major, (units, samples[, columns]), so that L·G is one product."""
        eps, split = self.dynamics.epsilon, self.dynamics.nudge == "split"
        n, batch = len(self.lo), rows.stop - rows.start
        lo, hi = self.lo[:, None], self.hi[:, None]
        dense: list[np.ndarray] = []          # columns of the last ``keep`` steps
        diagonal = np.zeros((n, batch))       # one column per unit: this step's and boxed ones
        radius = np.zeros((n, batch))
        inject = eps * self.drive_rounding + (self.half if eps < 1.0 else 0.0)
        ends, maps = [], {}
        for t, step in enumerate(steps):
            if step["c"] not in maps:
                maps[step["c"]] = self._step_map(step["c"], split)
            step_map, scale = maps[step["c"]]
            before = step["before"][rows].T
            exact = ((before == lo) | (before == hi)) & (radius == 0.0)
            payload = np.where(exact, 0.0, self.payload_rounding[:, None])
            dense = [(step_map @ g.reshape(n, -1)).reshape(g.shape) for g in dense]
            dense.append(step_map[:, None, :] * diagonal.T[None, :, :])
            dense.append((eps * scale[:, None] * self.coupling)[:, None, :] * payload.T[None])
            sums = [np.abs(g).sum(axis=2) for g in dense]
            diagonal = (scale * inject)[:, None] + step["nudge"][rows].T
            slope, residual = clip_form(step["u"][rows].T, diagonal + sum(sums), lo, hi)
            dense = [g * slope[:, :, None] for g in dense]
            sums = [a * slope for a in sums]
            diagonal = diagonal * slope + residual
            while len(dense) > 2 * self.keep:            # box the oldest step's columns
                dense.pop(0)
                diagonal = diagonal + sums.pop(0)
            radius = diagonal + sum(sums)
            wide = radius > hi - lo                      # both states lie in the box
            if wide.any():
                dense = [g * ~wide[:, :, None] for g in dense]
                diagonal = np.where(wide, hi - lo, diagonal)
                radius = np.minimum(radius, hi - lo)
            if t + 1 in (free_steps, len(steps)):
                ends.append(radius.T)
        return ends[0], ends[-1]

    def _step_map(self, c: float, split: bool) -> tuple[np.ndarray, np.ndarray]:
        """L of the module docstring, and the split nudge's per-unit scale S (ones if none)."""
        eps = self.dynamics.epsilon
        step_map = (1.0 - eps) * np.eye(len(self.lo)) + eps * self.coupling
        scale = np.ones(len(self.lo))
        if c and split:
            scale[self.output] = 1.0 - eps * c
        elif c:
            units = np.arange(len(self.lo))[self.output]
            step_map[units, units] -= eps * c
        return scale[:, None] * step_map, scale


def clip_form(u: np.ndarray, radius: np.ndarray, lo: np.ndarray, hi: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """An affine form of the clip's error: for |e| ≤ R, clip(u + e) − clip(u) = λ·e + r with
    |r| ≤ ρ. λ is the chord's slope over [−R, R] (1 inside the box, 0 outside it, between when
    u ± R crosses an edge); r = f(e) − λe is piecewise linear, so its largest |value| is at
    ±R or at an edge. Returns (λ, ρ), elementwise."""
    def error(e):
        return np.clip(u + e, lo, hi) - np.clip(u, lo, hi)

    low, high = error(-radius), error(radius)
    slope = np.clip((high - low) / np.where(radius > 0, 2.0 * radius, 1.0), 0.0, 1.0)
    residual = np.maximum(np.abs(low + slope * radius), np.abs(high - slope * radius))
    for edge in (lo - u, hi - u):
        at = np.clip(edge, -radius, radius)
        residual = np.maximum(residual, np.abs(error(at) - slope * at))
    within = (u - radius >= lo) & (u + radius <= hi)              # exactly: e passes or not
    beyond = (u + radius < lo) | (u - radius > hi)
    slope = np.where(within, 1.0, np.where(beyond, 0.0, slope))
    return slope, np.where(within | beyond, 0.0, residual)


def _chunks(total: int, size: int) -> list[slice]:
    return [slice(lo, min(lo + size, total)) for lo in range(0, total, size)]
