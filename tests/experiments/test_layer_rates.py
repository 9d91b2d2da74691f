"""Equalising per-layer rates: trained with them, the batch they were measured on gives every
layer pair the deepest pair's RMS correction."""

import numpy as np
import pytest

import lava_eqprop as le
from lava_eqprop.experiments.layer_rates import capped_rates, equalising_rates

GLOBAL = {"learning.layer_learning_rates": [], "learning.learning_rate": 0.125,
          "data.test_samples": 10}


def test_the_rates_equalise_the_corrections_of_the_batch_they_were_measured_on():
    spec = le.load_spec("models/digits_deep_layered.toml").with_keys(GLOBAL)
    rates = equalising_rates(spec, batches=1)
    assert rates[0] > rates[-1]                         # the updates vanish towards the input
    assert np.exp(np.mean(np.log(rates))) == pytest.approx(0.125, rel=1e-12)
    per_layer = spec.with_keys({"learning.learning_rate": 0.0,
                                "learning.layer_learning_rates": rates,
                                "data.train_samples": spec.learning.batch_size,
                                "learning.epochs": 1})
    rms = le.train(per_layer, stats_every=1, progress=False).history[0]["layer_rms_dw"]
    np.testing.assert_allclose(rms, rms[-1], rtol=1e-9)


def test_a_rate_grows_by_at_most_four_per_layer_towards_the_input():
    """Corrections 1e-4, 1e-3, 0.5, 1: the uncapped ratios to the deepest pair's rate would be
    10⁴, 10³, 2 and 1; the cap allows 2 (uncapped), then 8 and 32; at α = 0.01 the rates are
    those ratios times 0.01 / (32·8·2·1)^¼, whose geometric mean is 0.01."""
    scale = 0.01 / 512 ** 0.25
    assert capped_rates([1e-4, 1e-3, 0.5, 1.0], 0.01) == pytest.approx(
        [32 * scale, 8 * scale, 2 * scale, scale], rel=1e-12)
    ratios = [2.0, 1 / 0.9, 1.0]                 # 1/0.5 = 2 is within 4 · 1/0.9: uncapped
    scale = 0.1 / (2.0 / 0.9) ** (1 / 3)
    assert capped_rates([0.5, 0.9, 1.0], 0.1) == pytest.approx(
        [r * scale for r in ratios], rel=1e-12)


def test_a_small_world_net_is_refused():
    with pytest.raises(ValueError, match="layered net with one global learning_rate"):
        equalising_rates(le.load_spec("models/digits_small_world.toml"))
