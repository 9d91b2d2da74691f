"""The exact-contrast EP rule in Lava's stock LearningDense and LearningSparse.

RingBuffer sources play the two ends of one projection through a free and a nudged phase of
STEPS steps each: the pre neurons' payloads, the post neurons' back-propagated spike (last step
of each phase) and their y1/y2. A last probe step sends the spike with y1 = y2 = 0, so
dw = −2^(E−K)·t moves the weights unless the tag was reset. Some activities are exactly 0.

References, independent of Lava's code: float, the contrast itself; fixed point,
:func:`engine_update`, the learning engine's integer arithmetic as documented (factors
saturated, products floor-shifted by max(0, Σ widths + 4 − 15), scaled by 2^e into a 16-bit
accumulator holding the weight shifted left by 7, saturating after each product; weights
saturated to [−256, 255]).
"""

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from lava_eqprop.chips.config import load_chip_config
from lava_eqprop.lava_backend.loihi2.rule import (
    FREE,
    NUDGED,
    RuleScale,
    ep_rule,
    ep_rule_free_term_first,
    fixed_point_scale,
    post_traces,
    pre_payload,
    product_shift,
)
from lava_eqprop.lava_backend.loihi2.sparse import LearningSparseFixed, LearningSparseFloat

# isort: split
# (Lava after lava_eqprop.lava_backend, which installs its Python 3.11 fix)
from lava.magma.core.learning.constants import GradedSpikeCfg
from lava.magma.core.run_conditions import RunSteps
from lava.magma.core.run_configs import Loihi2SimCfg
from lava.proc.dense.process import LearningDense
from lava.proc.io.source import PySendModelFixed, PySendModelFloat, RingBuffer
from lava.proc.sparse.process import LearningSparse

pytestmark = pytest.mark.lava
STEPS = 3
SHAPE = (3, 4)                      # (post, pre)
ACCUMULATOR = 2 ** 15 - 1           # Lava saturates the accumulator to [−2^15 − 1, 2^15 − 1]
WEIGHT_RANGE = (-256, 255)
MASK = np.array([[1, 1, 0, 1], [0, 1, 1, 1], [1, 0, 1, 1]], dtype=bool)


def activities(rng, fixed, top=23):
    """(ρ_pre, ρ_post) of the free and nudged phases; some exactly 0, one pre neuron silent in
    both phases."""
    def draw(n):
        return rng.integers(1, top + 1, n) if fixed else rng.uniform(0.1, 1.0, n)
    free, nudged = (draw(4), draw(3)), (draw(4), draw(3))
    free[0][1] = nudged[0][1] = nudged[0][2] = free[1][2] = nudged[1][0] = 0
    return free, nudged


def contrast(free, nudged):
    (pre_0, post_0), (pre_b, post_b) = free, nudged
    return np.outer(post_b, pre_b) - np.outer(post_0, pre_0)


def run_sample(process, weight, free, nudged, rule, fixed):
    """Weights (dense) after the free phase, the nudged phase and the probe step, and for
    LearningDense the tag after each phase (a zero tag of LearningSparse cannot be read back)."""
    (pre_0, post_0), (pre_b, post_b) = free, nudged

    def steps(free_value, nudged_value, probe_value):
        return np.column_stack([free_value] * STEPS + [nudged_value] * STEPS + [probe_value])

    zeros = np.zeros(SHAPE[0])
    payload = steps(pre_payload(pre_0, fixed), pre_payload(pre_b, fixed), pre_payload(pre_b, fixed))
    (y1_0, y2_0), (y1_b, y2_b) = post_traces(post_0, FREE), post_traces(post_b, NUDGED)
    y1, y2 = steps(y1_0, y1_b, zeros), steps(y2_0, y2_b, zeros)
    spike = np.zeros_like(y1)
    spike[:, [STEPS - 1, 2 * STEPS - 1, 2 * STEPS]] = 1
    kind = int if fixed else float
    synapse = process(weights=weight, learning_rule=rule, num_message_bits=8,
                      graded_spike_cfg=GradedSpikeCfg.OVERWRITE)
    for data, port in ((payload, synapse.s_in), (spike, synapse.s_in_bap),
                       (y1, synapse.s_in_y1), (y2, synapse.s_in_y2)):
        RingBuffer(data=data.astype(kind)).s_out.connect(port)
    models = {RingBuffer: PySendModelFixed if fixed else PySendModelFloat,
              LearningSparse: LearningSparseFixed if fixed else LearningSparseFloat}
    config = Loihi2SimCfg(select_tag="fixed_pt" if fixed else "floating_pt",
                          exception_proc_model_map=models)
    weights, tags = [], []
    try:
        for n in (STEPS, STEPS, 1):
            synapse.run(condition=RunSteps(num_steps=n), run_cfg=config)
            w = synapse.weights.get()
            weights.append(w.toarray() if isinstance(w, csr_matrix) else w)
            tags.append(synapse.tag_1.get() if process is LearningDense else None)
    finally:
        synapse.stop()
    return weights, tags


def saturate(value):
    return np.clip(value, -ACCUMULATOR - 1, ACCUMULATOR)


def accumulate(weight, products):
    """The weight after adding products ``(p, e)``: each p (already floor-shifted) scaled by
    2^(e+7) and saturated, then added to the accumulator w·2^7, which saturates too. Returns
    the value before rounding (a fraction of an LSB when some e < 0), in weight units."""
    accumulator = weight * 2 ** 7
    for product, exponent in products:
        accumulator = saturate(accumulator + saturate(product * 2.0 ** (exponent + 7)))
    return accumulator / 2 ** 7


def engine_update(weight, free, nudged, scale, shift=3):
    """Weights after a sample in the learning engine's integer arithmetic, K ≥ 0 (the tag needs
    no rounding): the tag holds t = ⌊m·ρ_post^0ρ_pre^0 / 2^s⌋·2^K; at the end of the nudged
    phase w gains 2^E·⌊m·ρ_post^βρ_pre^β / 2^s⌋ and −2^(E−K)·t (t is not shifted: 9 + 4 bits).
    Returns the saturated weights and the accumulator's value before rounding (for E < 0)."""
    m, e, k = scale.mantissa, scale.exponent, scale.tag_exponent
    (pre_0, post_0), (pre_b, post_b) = free, nudged
    tag = ((m * np.outer(post_0, pre_0)) >> shift) * 2 ** k
    assert k >= 0 and tag.max() <= 255, "the reference assumes a tag that needs no rounding"
    exact = accumulate(weight, [((m * np.outer(post_b, pre_b)) >> shift, e), (-tag, e - k)])
    return np.clip(exact, *WEIGHT_RANGE), exact


@pytest.mark.parametrize("process", [LearningDense, LearningSparse])
def test_float_rule_applies_the_exact_contrast(process):
    rng = np.random.default_rng(0)
    free, nudged = activities(rng, fixed=False)
    weight = rng.normal(size=SHAPE)
    if process is LearningSparse:
        weight = weight * MASK
    scale = RuleScale(mantissa=3, exponent=-2, tag_exponent=1)
    (w_free, w_nudged, w_probe), tags = run_sample(process, weight, free, nudged,
                                                   ep_rule(scale), fixed=False)
    expected = scale.rate * contrast(free, nudged)
    if process is LearningSparse:
        assert np.abs(expected[~MASK]).max() > 0.05     # a dense rule would create them
        expected = expected * MASK
    assert np.array_equal(w_free, weight)
    np.testing.assert_allclose(w_nudged - weight, expected, rtol=0, atol=1e-12)
    assert np.array_equal(w_probe, w_nudged)
    assert np.abs(expected).max() > 0.1
    if process is LearningDense:
        np.testing.assert_allclose(tags[0], 3 * 2 * np.outer(free[1], free[0]), atol=1e-12)
        assert not tags[1].any()


@pytest.mark.parametrize("process", [LearningDense, LearningSparse])
def test_fixed_rule_is_the_engine_arithmetic_bit_for_bit(process):
    rng = np.random.default_rng(1)
    chip = load_chip_config("loihi2").learning
    free, nudged = activities(rng, fixed=True)
    scale = fixed_point_scale(3 / 8, pre_max=23, post_max=23, learning=chip)
    assert (scale.mantissa, scale.exponent, scale.tag_exponent) == (3, 0, 0)
    weight = 2 * rng.integers(-28, 29, size=SHAPE)      # |w| + ⌊3·23·23/8⌋ < 256: no saturation
    weight[weight == 0] = 2
    if process is LearningSparse:
        weight = weight * MASK
    (w_free, w_nudged, w_probe), tags = run_sample(process, weight, free, nudged,
                                                   ep_rule(scale, rng_seed=2), fixed=True)
    expected, exact = engine_update(weight, free, nudged, scale, product_shift(chip))
    assert np.array_equal(expected, exact)
    if process is LearningSparse:
        expected = expected * MASK
    assert np.array_equal(w_free, weight)
    assert np.array_equal(w_nudged, expected)
    assert np.array_equal(w_probe, w_nudged)
    assert np.abs(expected - weight).max() > 20 and (expected != weight).sum() > 4
    if process is LearningDense:
        assert np.array_equal(tags[0], (3 * np.outer(free[1], free[0])) >> 3)
        assert not tags[1].any()


def test_fixed_rule_with_negative_exponent_rounds_within_one_lsb():
    """E < 0: the accumulator keeps fractions of a weight LSB and rounds them stochastically,
    so ΔW is within 1 LSB of the engine's exact 2^E·(⌊m·ρρ^β/8⌋ − ⌊m·ρρ^0/8⌋), and within
    1 + 2^E of the real contrast m·2^E·(ρρ^β − ρρ^0)/8."""
    rng = np.random.default_rng(3)
    free, nudged = activities(rng, fixed=True, top=20)
    scale = RuleScale(mantissa=5, exponent=-2, tag_exponent=0)
    weight = 2 * rng.integers(-60, 61, size=SHAPE)
    (w_free, w_nudged, w_probe), _ = run_sample(LearningDense, weight, free, nudged,
                                                ep_rule(scale, rng_seed=4), fixed=True)
    _, exact = engine_update(weight, free, nudged, scale)
    assert np.array_equal(w_free, weight) and np.array_equal(w_probe, w_nudged)
    assert np.abs(w_nudged - exact).max() < 1
    assert not np.array_equal(exact, np.round(exact))       # there was something to round
    real = scale.rate / 8 * contrast(free, nudged)
    assert np.abs(w_nudged - weight - real).max() < 1 + 2.0 ** scale.exponent


def test_free_term_first_variant_moves_the_weights_twice():
    """Without the tag: 2^E·⌊−m·ρρ^0/8⌋ at the end of the free phase (the signed product is
    floor-shifted: the free term rounds up) and 2^E·⌊m·ρρ^β/8⌋ at the end of the nudged phase,
    bit-exact with E ≥ 0 where nothing saturates."""
    rng = np.random.default_rng(5)
    free, nudged = activities(rng, fixed=True, top=40)
    scale = RuleScale(mantissa=1, exponent=0)
    weight = 2 * rng.integers(-20, 21, size=SHAPE)
    (w_free, w_nudged, w_probe), _ = run_sample(LearningDense, weight, free, nudged,
                                                ep_rule_free_term_first(scale, rng_seed=6),
                                                fixed=True)
    (pre_0, post_0), (pre_b, post_b) = free, nudged
    after_free = accumulate(weight, [(-np.outer(post_0, pre_0) >> 3, 0)])
    assert np.array_equal(w_free, after_free)
    assert np.array_equal(w_nudged, accumulate(after_free, [(np.outer(post_b, pre_b) >> 3, 0)]))
    assert np.abs(w_nudged).max() < 256 and (w_free != weight).sum() > 4
    assert np.array_equal(w_probe, w_nudged)


def test_fixed_point_scale_sizes_the_tag():
    chip = load_chip_config("loihi2").learning
    assert product_shift(chip) == 3
    # ⌊7·127·127 / 8⌋ = 14112 needs K = −6 to fit 255; ⌊1·15·15 / 8⌋ = 28 allows K = 3
    assert fixed_point_scale(7 / 8, 127, 127, chip).tag_exponent == -6
    assert fixed_point_scale(1 / 8, 15, 15, chip) == RuleScale(1, 0, 3)
    assert fixed_point_scale(1 / 64, 15, 15, chip) == RuleScale(1, -3, 3)
    with pytest.raises(ValueError, match="trace"):
        fixed_point_scale(1.0, 128, 1, chip)
    with pytest.raises(ValueError, match="mantissa"):
        RuleScale(mantissa=8, exponent=0)


def test_payloads_and_post_traces():
    assert pre_payload(np.array([0, 3, 127]), fixed=True).tolist() == [1, 6, 254]
    payload = pre_payload(np.array([0.0, 0.25]), fixed=False)
    assert payload[0] > 0 and payload[0] / 2 == 0.0 and payload[1] == 0.5
    with pytest.raises(ValueError, match="7-bit"):
        pre_payload(np.array([128]), fixed=True)
    rho = np.array([0.5, 0.0])
    assert [y.tolist() for y in post_traces(rho, FREE)] == [[0, 0], [0.5, 0.0]]
    assert [y.tolist() for y in post_traces(rho, NUDGED)] == [[0.5, 0.0], [0, 0]]
