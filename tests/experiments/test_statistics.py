"""Gammell et al.'s layer ratio (lava_eqprop.experiments.statistics)."""

import pytest

from lava_eqprop.experiments.statistics import deepest_over_layer


def test_deepest_over_layer_on_a_made_up_history():
    # three layer pairs over two epochs; means 1e-4, 1e-3, 4e-3 (mean |ΔW|) and 2e-4, 2e-3,
    # 2e-3 (RMS)
    history = [{"layer_mean_abs_dw": [0.5e-4, 0.5e-3, 3e-3], "layer_rms_dw": [1e-4, 1e-3, 1e-3]},
               {"layer_mean_abs_dw": [1.5e-4, 1.5e-3, 5e-3], "layer_rms_dw": [3e-4, 3e-3, 3e-3]}]
    assert deepest_over_layer(history, "layer_mean_abs_dw") == pytest.approx([40.0, 4.0, 1.0])
    assert deepest_over_layer(history, "layer_rms_dw") == pytest.approx([10.0, 1.0, 1.0])
    assert deepest_over_layer(history[1:], "layer_mean_abs_dw") == pytest.approx(
        [5e-3 / 1.5e-4, 5e-3 / 1.5e-3, 1.0])
