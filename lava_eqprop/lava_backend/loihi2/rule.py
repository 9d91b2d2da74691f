"""The EP update as a Loihi 2 learning rule with the exact contrast, for stock LearningDense and
LearningSparse.

Loihi 2's learning engine updates each synaptic variable (weight w, tag t, delay d) with a sum
of products  Δv = Σ_k m_k·2^e_k · D_k · Π factors,  evaluated at the end of every learning epoch
of ``t_epoch`` steps; the dependency D_k (x0: the pre neuron spiked in the epoch, y0: the post
neuron sent its back-propagating spike, u0: always) gates a product of traces x1, x2 (per pre
neuron), y1..y3 (per post neuron) and synaptic variables (Davies et al. 2021, §II-C; Lava 0.10's
``lava/magma/core/learning/learning_rule.py`` and ``product_series.py``). With
``Loihi3FLearningRule`` the post neuron writes y1..y3 itself every step, and a graded spike with
``GradedSpikeCfg.OVERWRITE`` sets the pre trace x1 to payload/2.

The one-sided EP update of a projection (Scellier & Bengio 2017, eq. 13), with η/β = m·2^E,

    ΔW = m·2^E · (ρ_post^β ρ_pre^βᵀ − ρ_post^0 ρ_pre^0ᵀ),

is two rules evaluated every step (t_epoch = 1) and gated by y0 (:func:`ep_rule`):

    dt = m·2^K · y0·x1·y2  −  y0·t
    dw = m·2^E · y0·x1·y1  −  2^(E−K) · y0·t

* x1 = ρ_pre: the pre neuron sends the payload 2ρ every step (:func:`pre_payload`);
* y0: the post neuron sends its back-propagating spike only on the last step of each phase, so
  the rules act twice per sample and nowhere else; all other steps leave w and t unchanged;
* y1, y2: the post neuron writes its activity into y2 in the free phase and into y1 in the
  nudged phase, and 0 into the other (:func:`post_traces`). Traces stay non-negative.

End of the free phase (y1 = 0, t = 0): dt stores the free correlation t = m·2^K·ρ_pre^0ρ_post^0
in the tag; dw is 0, so **the weights do not move** and the nudged phase runs with the free
phase's W. End of the nudged phase (y2 = 0): dw = m·2^E·ρ_pre^βρ_post^β − 2^(E−K)·t is the
contrast, and dt = −t resets the tag for the next sample. Every rule reads the values of w and t
from before the step. Traces do not decay: τ = :data:`NO_DECAY_TAU` for x1 and y1..y3, where
exp(−1/τ) is 1.0 in float64, so both Lava models keep them exactly (τ = 0 is not "no decay":
Lava leaves such traces out of the trace history; Loihi3FLearningRule's own y τ of 65535 makes
the fixed-point model read y − 1 with probability about y/65535 per step).

Fixed point (Lava's ``LearningRuleApplierBitApprox``, ``learning_rule_applier.py:270-328``, and
``LearningConnectionModelBitApproximate._apply_learning_rules``, ``py/connection.py:936-973``):
each factor saturates to its width, the product of the factors and the mantissa (4 bits) is
floor-shifted right by max(0, Σ widths + 4 − 15), shifted left by e + 7, saturated to 16 bits
and added to a 16-bit accumulator holding the variable shifted left by 7, which saturates after
every product; the accumulator is then stochastically rounded to the variable (one uniform
number per learning step for the whole matrix) and the variable saturates (w: 8 bits and sign,
[−256, 255]; t: [−257, 255]). Here:

    m·2^K·y0·x1·y2, m·2^E·y0·x1·y1:  7 + 7 + 4 = 18 bits, floor-shifted by s = 3
    y0·t, 2^(E−K)·y0·t:              9 + 4 = 13 bits, not shifted

so with integer activities ρ ∈ [0, 127] (the 7-bit trace) the update is, in weight LSBs,

    ΔW = 2^E·(⌊m·ρ_post^β ρ_pre^β / 8⌋ − ⌊m·ρ_post^0 ρ_pre^0 / 8⌋)

exactly when K ≥ 0 (the tag holds ⌊m·ρρ/8⌋·2^K without rounding), E ≥ 0 (the accumulator holds
whole weights, so the stochastic rounding adds nothing) and nothing saturates. With E < 0 the
accumulator keeps a fraction of an LSB, rounded stochastically and without bias: within 1 LSB
of that value, within 1 + 2^E of the real contrast m·2^E·(ρρ^β − ρρ^0)/8; with K < 0 the tag's
own rounding adds less than 2^(E−K). :func:`fixed_point_scale` picks K as large as the tag
allows for the largest activities, and E for the rate; the mantissa enters both products, so
both floors round the same way. Saturation: each product is capped at ±(2^15 − 1)/2^7 ≈ ±256
LSB and so is the sum, then the weight at [−256, 255]; the cap is not a whole weight, so a
saturated weight rounds stochastically. Keeping |w| + |ΔW| < 256 is the graph builder's part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from lava.magma.core.learning.constants import W_S_MANT, W_TAG_1_U
from lava.magma.core.learning.learning_rule import Loihi3FLearningRule

from lava_eqprop.chips.config import LearningWidths

NO_DECAY_TAU = 2 ** 62          # exp(−1/τ) == 1.0 in float64: the traces keep their value
MANTISSAS = range(1, 8)         # positive scale mantissas (Loihi 2: m in [−8, 7])
EXPONENTS = range(-7, 9)        # scale exponents e (Loihi 2: e in [−7, 8])
TAG_MAX = 2 ** W_TAG_1_U - 1    # the largest tag, 255
FREE, NUDGED = "free", "nudged"


@dataclass(frozen=True)
class RuleScale:
    """The rule's scales: η/β = ``mantissa``·2^``exponent`` (in weight units per unit product of
    traces, before the fixed-point product shift) and the tag's exponent K."""

    mantissa: int
    exponent: int
    tag_exponent: int = 0

    def __post_init__(self) -> None:
        if self.mantissa not in MANTISSAS:
            raise ValueError(f"mantissa must be in [1, 7], got {self.mantissa}")
        for name, e in (("exponent", self.exponent), ("tag_exponent", self.tag_exponent),
                        ("exponent - tag_exponent", self.exponent - self.tag_exponent)):
            if e not in EXPONENTS:
                raise ValueError(f"{name} must be in [-7, 8], got {e}")

    @property
    def rate(self) -> float:
        return self.mantissa * 2.0 ** self.exponent


def nearest_scale(rate: float, tag_exponent: int = 0) -> RuleScale:
    """The m·2^E in range nearest to ``rate`` > 0 (the largest E on a tie: 1·2^0, not 2·2^−1)."""
    if not rate > 0:
        raise ValueError(f"the learning rate must be positive, got {rate}")
    candidates = [(abs(m * 2.0 ** e - rate), -e, m) for m in MANTISSAS for e in EXPONENTS
                  if (e - tag_exponent) in EXPONENTS]
    _, e, m = min(candidates)
    return RuleScale(m, -e, tag_exponent)


def product_shift(learning: LearningWidths) -> int:
    """The floor shift of a product of two traces: max(0, 2·trace_bits + 4 − (accumulator − 1))."""
    return max(0, 2 * learning.trace_bits + W_S_MANT - (learning.accumulator_bits - 1))


def fixed_point_scale(rate: float, pre_max: int, post_max: int,
                      learning: LearningWidths) -> RuleScale:
    """K and E for the fixed-point models.

    ``rate``: the update in weight LSBs per unit of ρ_post·ρ_pre (integer activities, the trace
    values). The product shift s divides by 2^s, so m·2^E is the representable value nearest to
    rate·2^s. K is the largest exponent with ⌊m·pre_max·post_max / 2^s⌋·2^K ≤ 255, so the tag
    cannot saturate; K ≥ 0 (and E ≥ 0) makes the contrast exact, K < 0 rounds the free term."""
    top = 2 ** learning.trace_bits - 1
    if not (0 < pre_max <= top and 0 < post_max <= top):
        raise ValueError(f"largest activities must be in [1, {top}] (the trace), got "
                         f"{pre_max}, {post_max}")
    scale = nearest_scale(rate * 2 ** product_shift(learning))
    tag_free = (scale.mantissa * pre_max * post_max) >> product_shift(learning)
    fitting = [k for k in EXPONENTS
               if tag_free * 2.0 ** k <= TAG_MAX and scale.exponent - k in EXPONENTS]
    if not fitting:
        raise ValueError(f"no tag exponent keeps the free term {tag_free} within the tag "
                         f"with E = {scale.exponent}")
    return RuleScale(scale.mantissa, scale.exponent, max(fitting))


def _literal(mantissa: int, exponent: int) -> str:
    return f"{mantissa} * 2^{exponent}"


def ep_rule(scale: RuleScale, rng_seed: int | None = None) -> Loihi3FLearningRule:
    """The exact-contrast EP rule (module docstring), t_epoch = 1, traces without decay."""
    m, e, k = scale.mantissa, scale.exponent, scale.tag_exponent
    rule = Loihi3FLearningRule(
        dw=f"{_literal(m, e)} * y0 * x1 * y1 - {_literal(1, e - k)} * y0 * t",
        dt=f"{_literal(m, k)} * y0 * x1 * y2 - y0 * t",
        x1_tau=NO_DECAY_TAU, t_epoch=1, rng_seed=rng_seed)
    rule.y1_tau = rule.y2_tau = rule.y3_tau = NO_DECAY_TAU
    return rule


def ep_rule_free_term_first(scale: RuleScale,
                            rng_seed: int | None = None) -> Loihi3FLearningRule:
    """The same contrast in two weight updates, without the tag:

        dw = m·2^E · y0·x1·y1  −  m·2^E · y0·x1·y2

    subtracts the free term at the end of the free phase and adds the nudged term at the end of
    the nudged phase, so the nudged phase runs with the weights already moved by
    −m·2^E·ρ_post^0ρ_pre^0ᵀ: the coarsest form of continual EP (Ernoult et al. 2020, whose
    updates during the nudged phase telescope to the same contrast). Fixed point: exact for
    any 7-bit activities when E ≥ 0 and the weights do not saturate (no tag to fill)."""
    m, e = scale.mantissa, scale.exponent
    term = _literal(m, e)
    rule = Loihi3FLearningRule(dw=f"{term} * y0 * x1 * y1 - {term} * y0 * x1 * y2",
                               x1_tau=NO_DECAY_TAU, t_epoch=1, rng_seed=rng_seed)
    rule.y1_tau = rule.y2_tau = rule.y3_tau = NO_DECAY_TAU
    return rule


def pre_payload(rho: np.ndarray, fixed: bool, trace_bits: int = 7) -> np.ndarray:
    """The graded payload a pre neuron of activity ρ ≥ 0 sends: 2ρ, so that x1 = payload/2 = ρ.

    OVERWRITE ignores a zero payload (x1 would keep the previous phase's value), so ρ = 0 sends
    the smallest non-zero payload, which halves to x1 = 0: the least positive float (its half
    rounds to 0.0), and 1 in fixed point (x1 = round(1/2) = 0). The synaptic drive W·payload
    then carries 2W·ρ, plus W·1 per silent neuron in fixed point (nothing in float).
    Fixed point: ρ must be integers in [0, 2^trace_bits − 1]."""
    rho = np.asarray(rho)
    if np.any(rho < 0):
        raise ValueError("activities sent as traces must be non-negative")
    if fixed:
        top = 2 ** trace_bits - 1
        if not np.array_equal(rho, np.round(rho)) or np.any(rho > top):
            raise ValueError(f"fixed-point activities must be integers in [0, {top}] "
                             f"(the {trace_bits}-bit trace)")
        return np.where(rho > 0, 2 * rho, 1).astype(int)
    return np.where(rho > 0, 2.0 * rho, np.nextafter(0.0, 1.0))


def post_traces(rho: np.ndarray, phase: str) -> tuple[np.ndarray, np.ndarray]:
    """(y1, y2) a post neuron of activity ρ writes in ``phase``: (0, ρ) free, (ρ, 0) nudged."""
    rho = np.asarray(rho)
    zeros = np.zeros_like(rho)
    if phase == FREE:
        return zeros, rho
    if phase == NUDGED:
        return rho, zeros
    raise ValueError(f"phase must be {FREE!r} or {NUDGED!r}, got {phase!r}")
