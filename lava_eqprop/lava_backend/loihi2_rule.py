"""The EP update in Loihi 2's sum-of-products learning-rule form, checked in Lava's LearningDense.

Loihi 2 learns with rules of the form  Δw = Σ_k ±m_k·2^e_k · D_k · Π factors  evaluated once per
learning epoch of ``t_epoch`` steps, where a dependency D_k (x0: the pre neuron spiked, y0: the post
neuron spiked, u0: every epoch) gates a product of traces: x1, x2 per pre neuron, y1, y2, y3 per
post neuron (Davies et al. 2021; Lava's ``LoihiLearningRule``). With a three-factor rule
(``Loihi3FLearningRule``) the post neuron itself writes y1..y3 every step, and a graded spike with
``GradedSpikeCfg.OVERWRITE`` writes its payload/2 into the pre trace x1.

The contrastive EP update of one projection (Scellier & Bengio 2017, eq. 13, one-sided),

    ΔW = (η/β) · (ρ(s_post^β) ρ(s_pre^β)ᵀ − ρ(s_post^0) ρ(s_pre^0)ᵀ),

is then two products, one learning epoch per EP phase (t_epoch = T, the phase length):

    dw = 2^e · u0 · (x1 − 1) · y1  −  2^e · u0 · (x1 − 1) · y2        (:data:`EP_DW`)

* x1: the pre population's activation plus one, sent as a graded payload 2(ρ(s_pre) + 1)
  (x1 = payload/2). The offset is there because OVERWRITE ignores a zero payload: a pre
  neuron at ρ = 0 would otherwise keep the previous phase's x1;
* y1, y2: the post population's activation, routed by phase (the third factor): in the free
  phase the post neuron writes y1 = 0, y2 = ρ(s_post^0); in the nudged phase y1 = ρ(s_post^β),
  y2 = 0. The phase's sign lives in *which* trace carries the activity, so every trace stays
  non-negative, as Loihi's traces must;
* 2^e: the learning rate η/β as a power of two (the fixed-point models' shift; Loihi 2 allows a
  mantissa in [−8, 7] and e in [−7, 8] per product). The symmetric estimator swaps the roles of
  the two phases' signs the same way.

What this form cannot express as directly: a symmetric projection needs a mirrored LearningDense
(Wᵀ, pre and post swapped) because LearningDense has one output. :func:`learning_dense_update`
runs the rule in Lava's own LearningDense for the tests, which compare it with the contrast
computed directly (the update :class:`~lava_eqprop.lava_backend.procs.plastic_synapse.process.
PlasticSynapse` applies).
"""

from __future__ import annotations

import numpy as np
from lava.magma.core.learning.constants import GradedSpikeCfg
from lava.magma.core.learning.learning_rule import Loihi3FLearningRule
from lava.magma.core.run_conditions import RunSteps
from lava.magma.core.run_configs import Loihi2SimCfg
from lava.proc.dense.process import LearningDense
from lava.proc.io.source import PySendModelFixed, PySendModelFloat, RingBuffer

SCALE_EXPONENT = -2
EP_DW = (f"2^{SCALE_EXPONENT} * u0 * (x1 - 1) * y1 - "
         f"2^{SCALE_EXPONENT} * u0 * (x1 - 1) * y2")
TRACE_TAU = 65535   # x1 must not decay within an epoch (tau = 0 breaks Lava's trace history)
# The fixed-point LearningDense right-shifts each product by max(0, Σ factor widths + 4 − 15):
# 3 bits for a product of two 7-bit traces (lava/magma/core/learning/learning_rule_applier.py).
FIXED_PRODUCT_SHIFT = 3


def ep_learning_rule(t_epoch: int) -> Loihi3FLearningRule:
    """The EP rule :data:`EP_DW` with one learning epoch per phase of ``t_epoch`` steps."""
    return Loihi3FLearningRule(dw=EP_DW, x1_tau=TRACE_TAU, t_epoch=t_epoch)


def phase_rasters(free: tuple[np.ndarray, np.ndarray], nudged: tuple[np.ndarray, np.ndarray],
                  steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What the pre neurons send and the post neuron writes into y1, y2 over two phases.

    ``free`` and ``nudged`` are (ρ_pre, ρ_post) at the end of each phase. Returns rasters of
    shape (neurons, 2·steps): pre payload 2(ρ + 1), y1 (nudged activity, 0 in the free phase)
    and y2 (free activity, 0 in the nudged phase).
    """
    (pre_0, post_0), (pre_b, post_b) = free, nudged

    def two_phases(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.concatenate([np.repeat(a[:, None], steps, axis=1),
                               np.repeat(b[:, None], steps, axis=1)], axis=1)

    zeros = np.zeros_like(post_0)
    return (two_phases(2 * (pre_0 + 1), 2 * (pre_b + 1)), two_phases(zeros, post_b),
            two_phases(post_0, zeros))


def learning_dense_update(weight: np.ndarray, free: tuple[np.ndarray, np.ndarray],
                          nudged: tuple[np.ndarray, np.ndarray], steps: int = 4,
                          precision: str = "float") -> np.ndarray:
    """Run :data:`EP_DW` in Lava's LearningDense over a free and a nudged phase; return ΔW.

    ``weight`` is (post, pre); ``free``/``nudged`` are (ρ_pre, ρ_post) of one sample.

    * ``precision="float"`` (``floating_pt`` model): ΔW = 2^SCALE_EXPONENT · (ρ_post^β ρ_pre^βᵀ
      − ρ_post^0 ρ_pre^0ᵀ), up to the traces' decay over an epoch (factor exp(−t/65535)).
    * ``precision="fixed"`` (``fixed_pt``, Lava's bit-approximate Loihi model): integer weights
      (even, 8 bits and sign) and integer activations (ρ + 1 ≤ 127, the 7-bit trace); ΔW is the
      same times 2^−FIXED_PRODUCT_SHIFT, stochastically rounded once per learning epoch.
    """
    if precision not in ("float", "fixed"):
        raise ValueError(f"precision {precision!r} is not 'float' or 'fixed'")
    fixed = precision == "fixed"
    if fixed:
        names = ("free pre", "free post", "nudged pre", "nudged post")
        for name, rho in zip(names, (*free, *nudged)):
            rho = np.asarray(rho)
            if not np.array_equal(rho, np.round(rho)) or rho.min() < 0 or rho.max() > 126:
                raise ValueError(f"fixed-point LearningDense: {name} activations must be integers "
                                 f"in [0, 126] (ρ + 1 fits the 7-bit trace), got "
                                 f"[{rho.min()}, {rho.max()}]")
    payload, y1, y2 = phase_rasters(free, nudged, steps)
    kind = int if fixed else float
    synapse = LearningDense(weights=np.array(weight, dtype=float),
                            learning_rule=ep_learning_rule(steps), num_message_bits=8,
                            graded_spike_cfg=GradedSpikeCfg.OVERWRITE)
    sources = [RingBuffer(data=raster.astype(kind)) for raster in (payload, y1, y2)]
    for source, port in zip(sources, (synapse.s_in, synapse.s_in_y1, synapse.s_in_y2)):
        source.s_out.connect(port)
    config = Loihi2SimCfg(
        select_tag="fixed_pt" if fixed else "floating_pt",
        exception_proc_model_map={RingBuffer: PySendModelFixed if fixed else PySendModelFloat})
    try:
        synapse.run(condition=RunSteps(num_steps=2 * steps), run_cfg=config)
        learnt = synapse.weights.get()
    finally:
        synapse.stop()
    return learnt - weight
