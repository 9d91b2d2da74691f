"""The EP update written in Loihi 2's sum-of-products form, run in Lava's own LearningDense.

Independent reference: the contrastive update ρ_post^β ρ_pre^βᵀ − ρ_post^0 ρ_pre^0ᵀ (what
PlasticSynapse and the engine compute), times the rule's scale. Activations include zeros, the
case graded OVERWRITE would get wrong without the (x1 − 1) offset.

Tolerances. Float: each trace is written every step and decays by exp(−t/τ) ≥ 1 − 2T/τ before
the epoch's update; with x1 − 1 ≤ 1 (x1 ≤ 2) and y ≤ 1, each of the two products is off by at
most 2^−2·(2·2T/τ + 2T/τ), so |error| ≤ 3T/τ (1.8e-4 at T = 4); measured about 4e-5. Fixed:
one stochastic rounding per learning epoch, two epochs: |error| < 2 weight LSBs.
"""

import numpy as np
import pytest

from lava_eqprop.lava_backend.loihi2_rule import (
    FIXED_PRODUCT_SHIFT,
    SCALE_EXPONENT,
    TRACE_TAU,
    learning_dense_update,
)

pytestmark = pytest.mark.lava
STEPS = 4


def phases(rng, draw):
    """(ρ_pre, ρ_post) for the free and nudged phases of a 3 × 4 projection, some exactly 0."""
    free, nudged = (draw(4), draw(3)), (draw(4), draw(3))
    free[0][1] = nudged[0][2] = nudged[1][0] = 0
    return free, nudged


def contrast(free, nudged):
    (pre_0, post_0), (pre_b, post_b) = free, nudged
    return np.outer(post_b, pre_b) - np.outer(post_0, pre_0)


def test_float_learning_dense_applies_the_ep_contrast():
    rng = np.random.default_rng(0)
    free, nudged = phases(rng, lambda n: rng.uniform(0.0, 1.0, n))
    weight = rng.normal(size=(3, 4))
    dw = learning_dense_update(weight, free, nudged, steps=STEPS)
    expected = 2.0 ** SCALE_EXPONENT * contrast(free, nudged)
    assert np.max(np.abs(dw - expected)) <= 3 * STEPS / TRACE_TAU
    assert np.max(np.abs(expected)) > 0.05      # the check is not vacuous


def test_fixed_learning_dense_applies_the_ep_contrast_within_rounding():
    rng = np.random.default_rng(1)
    for _ in range(3):
        free, nudged = phases(rng, lambda n: rng.integers(0, 16, n))
        weight = 2 * rng.integers(-20, 20, size=(3, 4))
        dw = learning_dense_update(weight, free, nudged, steps=STEPS, precision="fixed")
        expected = 2.0 ** (SCALE_EXPONENT - FIXED_PRODUCT_SHIFT) * contrast(free, nudged)
        assert np.max(np.abs(dw - expected)) < 2.0
        assert np.max(np.abs(expected)) >= 2.0


def test_fixed_learning_dense_refuses_activations_outside_the_trace():
    with pytest.raises(ValueError, match="7-bit trace"):
        learning_dense_update(np.zeros((1, 1)), (np.array([200]), np.array([1])),
                              (np.array([1]), np.array([1])), precision="fixed")
