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
    assert rates[-1] == 0.125 and rates[0] > rates[-1]        # the updates vanish towards the input
    per_layer = spec.with_keys({"learning.learning_rate": 0.0,
                                "learning.layer_learning_rates": rates,
                                "data.train_samples": spec.learning.batch_size,
                                "learning.epochs": 1})
    rms = le.train(per_layer, stats_every=1, progress=False).history[0]["layer_rms_dw"]
    np.testing.assert_allclose(rms, rms[-1], rtol=1e-9)


def test_a_rate_grows_by_at_most_four_per_layer_towards_the_input():
    """Corrections 1e-4, 1e-3, 0.5, 1 at α = 0.01: the uncapped rates would be 100, 10, 0.02
    and 0.01; the cap allows 0.02 (uncapped), then 0.08 and 0.32."""
    assert capped_rates([1e-4, 1e-3, 0.5, 1.0], 0.01) == pytest.approx([0.32, 0.08, 0.02, 0.01])
    assert capped_rates([0.5, 0.9, 1.0], 0.1) == pytest.approx([0.2, 0.1 / 0.9, 0.1])


def test_a_small_world_net_is_refused():
    with pytest.raises(ValueError, match="layered net with one global learning_rate"):
        equalising_rates(le.load_spec("models/digits_small_world.toml"))
