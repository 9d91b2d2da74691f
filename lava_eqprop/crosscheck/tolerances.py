"""How far two backends may disagree, and why (the cross-check's tolerances).

Every backend is bounded by its distance from one reference: the NumPy engine's discrete
trajectory s_t (float64, the same schedule). A pair's tolerance is the sum of both distances
(triangle inequality through s_t), plus a float64 floor of 1e-9:

* **same scheme** (engine, Lava float, Brian2 with dt = ε·τ): the same operations in float64;
  distance 1e-9 (rounding differences are ~1e-15 on states in [0, hi]).
* **continuous time vs discrete** (Brian2 with dt < ε·τ): the ODE and the Euler map share
  their fixed points (s = clip(b + W s)), not their paths. Near the fixed point both approach
  it at the rate of the engine's linearised map, q per engine step (:func:`contraction`), so a
  backend that still moved r in its last engine step is within r/(1 − q) of it. The
  continuous backend's distance from s_t is then at most r_cont/(1 − q) + r_engine/(1 − q).
* **fixed point vs float** (Lava fixed): the fixed models hold weights and biases rounded to
  the chip's grid. Their effect is measured, not bounded: the engine runs the phases again on
  :func:`rounded_network` and the largest change is the first part of the distance. The rest
  is the rounding of the dynamics: each step adds at most c to the state error
  (:func:`fixed_point_step_error`: payload, drive, shift and nudge rounding, from the chip's
  widths), and the map scales earlier errors by q, so after T steps that error is at most
  e_0·q^T + c·Σ_{t<T} q^t (linearised at the equilibrium). This is a worst case (every
  rounding in the same direction); typical differences are far below it.

ΔW follows from the state tolerances t⁰ (free) and t^β (nudged): a product s_k s_j of states
in [0, hi] moves by at most (hi_k + hi_j)·t + t², so
|ΔW_a − ΔW_b| ≤ (1/β)·[(hi_k + hi_j)(t⁰ + t^β) + (t⁰)² + (t^β)²] (hi_j·(t⁰ + t^β) alone when
the pre end j is the clamped input, which carries no state error). Lava fixed adds the payload
rounding of its correlations, (2/β)(hi_k δ_j + hi_j δ_k) with δ = 2^−(Fa+1), and the rounding of
the weight change to its mantissa grid, 2^(e−1) weight units (2^e if stochastic), i.e. 2^(e−1+k)/(β·n) in ΔW
(2^−k the rate shift, n the samples). A weight shared by several synapses (a conv tap over its
output positions, an identity gain over its neurons) sums their products: its ΔW tolerance is
that many times a synapse's (:func:`synapses_per_weight`). If q ≥ 1 the continuous-time distance is infinite (a
map that does not contract has no reason to reach the ODE's fixed point), and the pair fails.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

from lava_eqprop.chips.fixed_point import activation_frac_bits, quantise, quantise_weight
from lava_eqprop.engine.conv_interaction import ConvInteraction
from lava_eqprop.engine.loss import SquaredError
from lava_eqprop.engine.relaxation import Dynamics, Relaxer, State
from lava_eqprop.engine.unrolling import Unrolled
from lava_eqprop.network.network import Network, Projection

FLOAT_FLOOR = 1e-9
POWER_ITERATIONS = 60


def contraction(network: Network, dynamics: Dynamics, loss: SquaredError, x: np.ndarray,
                state: dict[str, np.ndarray], beta: float = 0.0,
                targets: np.ndarray | None = None, seed: int = 0) -> float:
    """q: the largest (over samples) growth factor per step of a small perturbation of
    ``state`` under the engine's step map (power iteration on finite differences, ∞-norm per
    sample; the spectral radius of the map's Jacobian at an equilibrium)."""
    relaxer = Relaxer(network, dynamics, loss)
    clamped = relaxer.clamp({network.inputs[0].name: np.asarray(x, dtype=float)})
    names = relaxer.free_names
    base = relaxer.state_from(clamped, state)
    relaxer.run(base, clamped, 1, beta=beta, target=targets)
    rng = np.random.default_rng(seed)
    delta = {k: rng.uniform(-1, 1, state[k].shape) for k in names}
    h = 1e-7
    ratios = []
    for _ in range(POWER_ITERATIONS):
        norm = _per_sample_norm(delta)
        norm[norm == 0] = 1.0
        delta = {k: v / norm[:, None] for k, v in delta.items()}
        moved = relaxer.state_from(clamped, {k: state[k] + h * delta[k] for k in names})
        relaxer.run(moved, clamped, 1, beta=beta, target=targets)
        delta = {k: (moved[k] - base[k]) / h for k in names}
        ratios.append(_per_sample_norm(delta))
    tail = np.array(ratios[-10:])
    tail[tail == 0] = 1e-300
    return float(np.max(np.exp(np.mean(np.log(tail), axis=0))))


def _per_sample_norm(values: dict[str, np.ndarray]) -> np.ndarray:
    return np.max([np.max(np.abs(v), axis=1) for v in values.values()], axis=0)


def settling_distance(residual: float, q: float) -> float:
    """How far from its fixed point a backend still moving ``residual`` per step may be."""
    return residual / (1.0 - q) if q < 1.0 else math.inf


def fixed_point_drive_terms(network: Network, chip, exponents: dict[str, int],
                            weights_rounded: bool = False, input_delta: float | None = None
                            ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per free population and neuron i: Σ_j |W_ij| over free sources (how a state error
    spreads) and the drive error the widths add in one step,

        Σ_j |W_ij|·δ_j + 2^−(F+1) per projection        (payload and drive rounding)
        + Σ_j [W_ij ≠ 0]·hi_j·2^(e_W − 1) + 2^−(F+1)     (weight mantissas and the bias)

    δ_j = 2^−(Fa_j + 1) the payload rounding of source j (of the clamped input: ``input_delta``
    where the caller measured it on its data, e.g. 0 for inputs on the payload grid). With
    ``weights_rounded`` the reference already runs on the rounded weights and biases, and the
    second line is left out."""
    half_f = 2.0 ** -(chip.state_frac_bits + 1)
    rows = {p.name: np.zeros(p.size) for p in network.free}
    const = {p.name: np.full(p.size, 0.0 if weights_rounded else half_f) for p in network.free}
    for proj in network.projections:
        weight = synapse_matrix(proj, network)
        lsb_half = 0.0 if weights_rounded else 2.0 ** (exponents[proj.name] - 1)
        ends = [(proj.post, proj.pre, weight)]
        if proj.symmetric and not proj.lateral:
            ends.append((proj.pre, proj.post, weight.T))
        for target, source, w in ends:
            if target not in rows:
                continue
            src = network.population(source)
            delta = 2.0 ** -(activation_frac_bits(src.act.hi, chip.activation_bits) + 1)
            if src.clamped and input_delta is not None:
                delta = input_delta
            abs_rows = np.abs(w).sum(axis=1)
            if not src.clamped:
                rows[target] = rows[target] + abs_rows
            const[target] = (const[target] + abs_rows * delta
                             + (w != 0).sum(axis=1) * src.act.hi * lsb_half + half_f)
    return rows, const


def synapse_matrix(projection: Projection, network: Network) -> np.ndarray:
    """The (post, pre) matrix of a projection's synapses: its masked weight, or a conv or
    identity unrolled (each synapse one kernel tap: its rounding is one tap's)."""
    if projection.kind == "dense":
        return (projection.weight * projection.mask if projection.mask is not None
                else projection.weight)
    return Unrolled(projection, network).matrix()


def synapses_per_weight(projection: Projection, network: Network) -> int:
    """How many synapses share one weight entry: 1 (dense), a conv's output positions (each
    kernel tap is summed over them), every neuron of an identity skip."""
    if projection.kind == "dense":
        return 1
    if projection.kind == "identity":
        return network.population(projection.pre).size
    inter = ConvInteraction(projection, network)
    return inter.conv_image[0] * inter.conv_image[1]


def fixed_point_step_error(network: Network, chip, exponents: dict[str, int], epsilon: float,
                           nudge: float = 0.0, weights_rounded: bool = False,
                           input_delta: float | None = None) -> float:
    """c: the most one step of the fixed model adds to |v·2^−F − s| (state units): ε times
    the drive error, the rounding of the ε shift, and with a nudge c_n = β·scale the rounding of
    c_n to ``nudge_frac_bits`` (times |y − s| ≤ hi) and of the nudge term."""
    _, const = fixed_point_drive_terms(network, chip, exponents, weights_rounded, input_delta)
    half_f = 2.0 ** -(chip.state_frac_bits + 1)
    c = max(float(np.max(epsilon * v)) for v in const.values()) + half_f
    if nudge:
        hi = network.outputs[0].act.hi
        c += half_f + epsilon * hi * 2.0 ** -(chip.nudge_frac_bits + 1)
    return c


def rounded_network(network: Network, chip, exponents: dict[str, int]) -> Network:
    """A copy of ``network`` with the weights and biases the fixed-point models hold:
    W = sat(⌊W·2^−e⌉)·2^e, b = ⌊b·2^F⌉·2^−F."""
    rounded = copy.deepcopy(network)
    for proj in rounded.projections:
        e = exponents[proj.name]
        mantissa, _ = quantise_weight(proj.weight, e, chip.weight_bits)
        proj.weight = mantissa * 2.0 ** e
    for pop in rounded.free:
        pop.bias = quantise(pop.bias, chip.state_frac_bits) * 2.0 ** -chip.state_frac_bits
    return rounded


def fixed_point_state_error(c: float, q: float, steps: int, start: float = 0.0) -> float:
    """e_0·q^T + c·Σ_{t<T} q^t: the linearised error bound after T steps (finite for any q:
    a phase has T steps, even where the map does not contract)."""
    return start * q ** steps + c * sum(q ** t for t in range(steps))


@dataclass(frozen=True)
class Distance:
    """A backend's bound on its distance from the engine's trajectory: free and nudged states,
    and an extra term for its ΔW (Lava fixed's payload and mantissa rounding)."""

    free: float
    nudged: float
    weight_extra: dict[str, float] | None = None


def weight_tolerance(network: Network, beta: float, t_free: float, t_nudged: float
                     ) -> dict[str, float]:
    """Per projection, the ΔW tolerance implied by state tolerances (module docstring; a
    clamped end carries no state error, so its own term drops out)."""
    out = {}
    for proj in network.projections:
        pre, post = network.population(proj.pre), network.population(proj.post)
        his = pre.act.hi + (0.0 if pre.clamped else post.act.hi)
        squares = 0.0 if pre.clamped else t_free ** 2 + t_nudged ** 2
        out[proj.name] = ((his * (t_free + t_nudged) + squares) / beta
                          * synapses_per_weight(proj, network)
                          if math.isfinite(t_free + t_nudged) else math.inf)
    return out


def fixed_point_weight_extra(network: Network, chip, exponents: dict[str, int], beta: float,
                             samples: int, rate_shifts: dict[str, int]) -> dict[str, float]:
    """Lava fixed's ΔW rounding: payloads in the correlation and the mantissa grid."""
    out = {}
    for proj in network.projections:
        pre, post = network.population(proj.pre), network.population(proj.post)
        d_pre = 2.0 ** -(activation_frac_bits(pre.act.hi, chip.activation_bits) + 1)
        d_post = 2.0 ** -(activation_frac_bits(post.act.hi, chip.activation_bits) + 1)
        payload = 2.0 / beta * (post.act.hi * d_pre + pre.act.hi * d_post)
        lsb = exponents[proj.name] - (1 if chip.rounding == "nearest" else 0)
        grid = 2.0 ** (lsb + rate_shifts.get(proj.name, 0)) / (beta * samples)
        out[proj.name] = payload * synapses_per_weight(proj, network) + grid
    return out
