"""Shared fixtures: a tiny digits spec that trains in about a second."""

import pytest

TINY_DIGITS = """
[model]
name = "tiny-digits"
[data]
dataset = "digits"
train_samples = 1000
test_samples = 200
[network]
layers = [64, 32, 10]
weight_init = "fan_in_uniform"
bias_init = "fan_in_uniform"
seed = 3
[dynamics]
epsilon = 1.0
free_steps = 15
nudged_steps = 5
eval_steps = 30
persistent = {persistent}
[learning]
beta = 0.5
estimator = "{estimator}"
beta_sign = "random"
layer_learning_rates = [0.2, 0.1]
momentum = {momentum}
batch_size = 8
epochs = 3
seed = 4
dtype = "float64"
"""


@pytest.fixture
def tiny_spec_path(tmp_path):
    def make(persistent="false", estimator="one_sided", momentum=0.0, name="tiny.toml"):
        path = tmp_path / name
        path.write_text(TINY_DIGITS.format(persistent=persistent, estimator=estimator, momentum=momentum))
        return path
    return make
