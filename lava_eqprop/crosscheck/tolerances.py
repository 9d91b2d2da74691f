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
* **fixed point vs float** (Lava fixed): the fixed models hold weights, biases and the clamped
  input rounded to the chip's grid. Their effect is measured, not bounded: the engine runs the
  phases again on :func:`rounded_network` and the payload-grid inputs, and the change, per
  unit and sample, is the first part of the distance. The rest is the rounding inside every
  step (payloads, drives, the ε shift, the nudge), bounded per unit and sample from the chip's
  widths and carried through every step along that trajectory as an affine form, clip
  switches included (:mod:`lava_eqprop.crosscheck.rounding_bound`).
* **the loihi2 target** (Lava float on the loihi2 graph, :mod:`lava_eqprop.crosscheck.loihi2`):
  one sample at a time against the engine from the same weights, the same scheme: distance
  1e-9 per sample, and for ΔW the product bound of that sample's two contrasted states over β
  (2β with the symmetric estimator).

A pair's tolerance is per unit and sample where a distance is (Lava fixed), one number
otherwise. ΔW follows from the state distances E (:func:`product_bound`): a product s_k s_j
moves by at most |s_k| E_j + E_k |s_j| + E_k E_j, summed over samples and both phases and
divided by β·n, per synapse (the clamped input carries no state error). Lava fixed adds the
measured ΔW change of the rounded network, the payload rounding of its correlations,
(2/β)(hi_k δ_j + hi_j δ_k) with δ = 2^−(Fa+1), and the rounding of the weight change to its
mantissa grid, 2^(e−1) weight units (2^e if stochastic), i.e. 2^(e−1+k)/(β·n) in ΔW (2^−k the
rate shift, n the samples). A weight shared by several synapses (a conv tap over its output
positions, an identity gain over its neurons) sums their products: its ΔW tolerance is that
many times a synapse's (:func:`synapses_per_weight`). If q ≥ 1 the continuous-time distance is
infinite (a map that does not contract has no reason to reach the ODE's fixed point), and the
pair fails.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

from lava_eqprop.chips.fixed_point import activation_frac_bits, quantise, quantise_weight
from lava_eqprop.engine.conv_interaction import ConvInteraction
from lava_eqprop.engine.loss import SquaredError
from lava_eqprop.engine.relaxation import Dynamics, Relaxer
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


@dataclass(frozen=True)
class Distance:
    """A backend's bound on its distance from the engine: of its free and nudged states (one
    number for every unit, or per population a (samples, size) array) and of its ΔW (per
    projection, a number or a weight-shaped array)."""

    free: float | dict[str, np.ndarray]
    nudged: float | dict[str, np.ndarray]
    weight: dict[str, float | np.ndarray]


def product_bound(network: Network, beta: float, states: tuple[dict, dict],
                  errors: tuple) -> dict[str, float | np.ndarray]:
    """Per plastic projection, how far ΔW = (1/β)·mean_b[s_k^β s_j^β − s_k^0 s_j^0] may move
    when every state moves by at most its error.

    ``states``: the reference's (free, nudged) states by population, the clamped input
    included (it carries no error); ``errors``: (free, nudged), each one number for every free
    unit or a dict of (samples, size) arrays by population. For the synapse k ← j of a dense
    projection the bound is (1/(|β| n)) Σ_phases Σ_b (|s_k| E_j + E_k |s_j| + E_k E_j), per
    synapse. A conv tap or identity gain is shared by many synapses: it takes the largest error
    and the states' bounds, ((hi_k + hi_j)(E⁰ + E^β) + (E⁰)² + (E^β)²)/|β| per synapse, times
    the synapses that share it.
    """
    out = {}
    n = len(next(iter(states[0].values())))
    for proj in network.projections:
        if not proj.plastic:
            continue
        if proj.kind != "dense":
            worst = [_largest(e) for e in errors]
            pre, post = network.population(proj.pre), network.population(proj.post)
            his = pre.act.hi + (0.0 if pre.clamped else post.act.hi)
            squares = 0.0 if pre.clamped else worst[0] ** 2 + worst[1] ** 2
            out[proj.name] = ((his * sum(worst) + squares) / abs(beta)
                              * synapses_per_weight(proj, network))
            continue
        total = 0.0
        for phase, error in zip(states, errors):
            s_pre, s_post = np.abs(phase[proj.pre]), np.abs(phase[proj.post])
            e_pre, e_post = (_unit_errors(error, network.population(name), s) for name, s in
                             ((proj.pre, s_pre), (proj.post, s_post)))
            total = total + s_post.T @ e_pre + e_post.T @ s_pre + e_post.T @ e_pre
        out[proj.name] = total / (abs(beta) * n)
    return out


def _unit_errors(error, pop, state: np.ndarray) -> np.ndarray:
    """A population's per-unit errors, shaped like its states: zero for a clamped input."""
    if pop.clamped:
        return np.zeros_like(state)
    if isinstance(error, dict):
        return error[pop.name]
    return np.full_like(state, error)


def _largest(error) -> float:
    if isinstance(error, dict):
        return max((float(np.max(v)) for v in error.values()), default=0.0)
    return float(error)


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
