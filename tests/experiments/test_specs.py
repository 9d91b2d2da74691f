"""Derived model specs (lava_eqprop.experiments.specs)."""

import pytest

from lava_eqprop.data.datasets import load_dataset
from lava_eqprop.errors import SpecError
from lava_eqprop.experiments.specs import MODELS, derive_spec, spec_subset
from lava_eqprop.spec import load_spec


def test_derive_spec_changes_only_the_given_keys(tmp_path):
    source = MODELS / "digits.toml"
    target = derive_spec(source, tmp_path / "sub" / "spec.toml",
                         {"dynamics.free_steps": 7, "data.train_samples": 100,
                          "model.name": "derived"})
    derived, original = load_spec(target), load_spec(source)
    assert derived.dynamics.free_steps == 7 and derived.data.train_samples == 100
    assert derived.name == "derived"
    assert derived.network == original.network and derived.learning == original.learning


def test_derive_spec_validates(tmp_path):
    with pytest.raises(SpecError, match="free_steps"):
        derive_spec(MODELS / "digits.toml", tmp_path / "spec.toml", {"dynamics.free_steps": -1})


def test_spec_subset_takes_the_spec_sample_counts(tmp_path):
    spec = load_spec(derive_spec(MODELS / "digits.toml", tmp_path / "spec.toml",
                                 {"data.train_samples": 50, "data.test_samples": 0}))
    digits = load_dataset("digits")
    data = spec_subset(digits, spec)
    assert len(data.x_train) == 50 and len(data.x_test) == len(digits.x_test)
