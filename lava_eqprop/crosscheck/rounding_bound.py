"""How far Lava's fixed-point dynamics may drift from the float map: a per-neuron, per-sample
bound on the rounding of every step, propagated through the linearised step along the
reference trajectory.

The fixed-point models (:mod:`lava_eqprop.lava_backend.procs`, formats in
:mod:`lava_eqprop.chips.fixed_point`) hold the weights, biases and clamped inputs on the chip's
grid. Those are exactly the float reference's when the engine runs on
:func:`~lava_eqprop.crosscheck.tolerances.rounded_network` with :func:`payload_inputs`; what
is left is the rounding inside every step. With h = 2^−(F+1) half a state LSB, one synchronous
step of the fixed model (its docstring) adds, for neuron i:

    payload of source j   ε·Σ_j W_ij ρ_j,  |ρ_j| ≤ δ_j = 2^−(Fa_j+1) if F > Fa_j, else 0
                          (0 where s_j sits on a clip bound: lo and hi are payload values)
    drive                 ≤ ε·h per projection whose synapse shifts its sum down
    Euler step ε = 2^−k   ≤ h (none at ε = 1)
    nudge (outputs)       ≤ ε(|c_q − c|·|y − s_i| + c_q |y − y_q| + h)

with c = β·scale, c_q its value on the ``nudge_frac_bits`` grid and y_q the target on the state
grid. Errors already in the state pass through the step's Jacobian J_t = D_t·S·((1 − ε)I + εA)
(A the free-to-free weights, S = I − εc on the outputs for the split nudge or inside
(1 − ε)I + εA − εc for the joint one, D_t the units the clip leaves free at step t of the
reference). After T steps

    |e_T| ≤ Σ_t |Φ_t D_t S ε A|·δ_t + |Φ_t D_t S|·(drive + step) + |Φ_t D_t|·nudge,
    Φ_t = J_{T−1} ··· J_{t+1},

the worst case over every rounding, per neuron and sample, exact for the linearised step. It
keeps the signs of the weights (an error spread over a dense layer mostly cancels), and a
saturated neuron passes no error on. It is a linearisation: a unit whose pre-activation lies
within the error of a clip edge could switch sides. Units within ``EDGE_LSBS`` state LSBs of
their box count as free (a unit 2 LSBs outside it was seen inside in the fixed model); a
unit further out that switches is not covered. The measured differences sit inside the bound
with a margin (tests and README). It assumes no accumulator saturates (the fixed models count
saturations). Cost: one (N × N)·(N × N) product per step and sample, N the free units.
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

EDGE_LSBS = 4   # a unit this many state LSBs outside its box still counts as free (see run)


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
    ``exponents`` the weight exponents of its projections.
    """

    def __init__(self, network: Network, dynamics: Dynamics, loss: SquaredError, chip,
                 exponents: dict[str, int], chunk: int = 16) -> None:
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
                if activation_frac_bits(src.act.hi, chip.activation_bits) > f + exponents[proj.name]:
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
        ends = []
        for last in (probe.free_steps, probe.free_steps + probe.nudged_steps):
            bound = np.concatenate([self._bound(steps[:last], rows)
                                    for rows in _chunks(len(x_grid), self.chunk)])
            ends.append({name: bound[:, cols] for name, cols in self.slices.items()})
        return ends[0], ends[1]

    def _trajectory(self, x_grid, targets, probe) -> list[dict[str, np.ndarray]]:
        """Per step of the reference: its state before the step, which units the clip leaves
        free, the nudge c, and the nudge's own rounding (module docstring)."""
        eps, split = self.dynamics.epsilon, self.dynamics.nudge == "split"
        relaxer = Relaxer(self.unclipped, self.dynamics, self.loss)
        clamped = relaxer.clamp({self.network.inputs[0].name: x_grid})
        state = relaxer.zero_state(clamped)
        names = list(self.slices)
        frac = self.chip.nudge_frac_bits
        y_grid = quantise(targets, self.chip.state_frac_bits) * 2.0 ** -self.chip.state_frac_bits
        steps = []
        near = EDGE_LSBS * 2.0 ** -self.chip.state_frac_bits
        was_free = np.zeros((len(x_grid), len(self.lo)), dtype=bool)
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
                exact = ((before == self.lo) | (before == self.hi)) & ~was_free
                was_free = (u > self.lo - near) & (u < self.hi + near)
                steps.append({"free": was_free, "c": c,
                              "payload": np.where(exact, 0.0, self.payload_rounding),
                              "nudge": nudge})
                clipped = np.clip(u, self.lo, self.hi)
                for k in names:
                    state.values[k][...] = clipped[:, self.slices[k]]
        return steps

    def _bound(self, steps: list[dict[str, np.ndarray]], rows: slice) -> np.ndarray:
        """Σ_t of the module docstring for the samples ``rows``, accumulated backwards."""
        eps, split = self.dynamics.epsilon, self.dynamics.nudge == "split"
        n = self.coupling.shape[0]
        batch = rows.stop - rows.start
        phi = np.broadcast_to(np.eye(n), (batch, n, n)).copy()
        bound = np.zeros((batch, n))
        inject = eps * self.drive_rounding + (self.half if eps < 1.0 else 0.0)
        for step in reversed(steps):
            k = phi * step["free"][rows][:, None, :]            # Φ_t D_t
            bound += np.einsum("bij,bj->bi", np.abs(k), step["nudge"][rows])
            scale = np.ones(n)
            if step["c"]:
                scale[self.output] = 1.0 - eps * step["c"]
            if split:
                k = k * scale                                   # Φ_t D_t S
            bound += np.abs(k) @ inject
            ka = k @ self.coupling                              # Φ_t D_t S A
            bound += eps * np.einsum("bij,bj->bi", np.abs(ka), step["payload"][rows])
            phi = (1.0 - eps) * k + eps * ka
            if step["c"] and not split:
                phi = phi - eps * step["c"] * k * _mask(n, self.output)
        return bound


def _mask(n: int, cols: slice) -> np.ndarray:
    mask = np.zeros(n)
    mask[cols] = 1.0
    return mask


def _chunks(total: int, size: int) -> list[slice]:
    return [slice(lo, min(lo + size, total)) for lo in range(0, total, size)]
