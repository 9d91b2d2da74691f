"""The capability table is what the backends enforce: for every backend and every value of
every spec feature, a spec asking for it is accepted exactly when the table says the backend
runs it; the generated docs page is current."""

import re
from pathlib import Path

import numpy as np
import pytest

from lava_eqprop import capabilities
from lava_eqprop.capabilities import BACKENDS, FEATURES, TRAINERS, check_network, check_spec
from lava_eqprop.errors import NetworkError, SpecError
from lava_eqprop.network.conv_nets import ConvLayer, conv_network
from lava_eqprop.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
LAYERED = ROOT / "models" / "digits.toml"
DIRECTED = ROOT / "models" / "farinha_digits_complete.toml"
SMALL_WORLD = ROOT / "models" / "digits_small_world.toml"

ON = {"tol": {"dynamics": {"tol": 1e-3}},
      "persistent": {"dynamics": {"persistent": True}},
      "carry_state": {"dynamics": {"carry_state": True}},
      "momentum": {"learning": {"momentum": 0.5}},
      "weight_decay": {"learning": {"weight_decay": 1e-4}},
      "l1": {"learning": {"l1": 1e-4}},
      "pruning": {"learning": {"prune_threshold": 0.01}},
      "skip_removal": {"learning": {"remove_skips": "at_once", "remove_skips_after": 1}},
      "augment": {"data": {"augment": ["flip"]}}}
OFF = {"tol": {"dynamics": {"tol": 0.0}},
       "persistent": {"dynamics": {"persistent": False}},
       "carry_state": {"dynamics": {"carry_state": False}},
       "momentum": {"learning": {"momentum": 0.0}},
       "weight_decay": {"learning": {"weight_decay": 0.0, "clip_norm": 0.0}},
       "l1": {"learning": {"l1": 0.0}},
       "pruning": {"learning": {"prune_threshold": 0.0}},
       "skip_removal": {"learning": {"remove_skips": "none"}},
       "augment": {"data": {"augment": []}}}


def spec_with(feature: str, value):
    """A valid spec whose ``feature`` has ``value`` (and every other feature the defaults'
    value, which every backend runs)."""
    if isinstance(value, bool):
        overrides = (ON if value else OFF)[feature]
    elif feature == "decay":
        overrides = {"dynamics": {"leak": 1.0 if value == "unit" else 0.5}}
    elif feature in ("estimator", "beta_sign"):
        overrides = {"learning": {feature: value}}
    elif feature == "batch":
        overrides = {"learning": {"batch_size": 1 if value == "one sample" else 16}}
    else:
        section = "learning" if feature == "lr_schedule" else "dynamics"
        overrides = {section: {feature: value}}
    directed = feature == "pruning" or value in ("asymmetric", "deep")
    source = DIRECTED if directed else SMALL_WORLD if feature == "skip_removal" else LAYERED
    base = load_spec(source).with_overrides(
        {"dynamics": {"leak": 1.0, "outgoing_decay": False},
         "learning": {"estimator": "one_sided", "batch_size": 1}})
    return base.with_overrides(overrides)


CASES = [(backend, feature.name, value) for backend in BACKENDS for feature in FEATURES
         if feature.read is not None for value in feature.values
         if not (feature.training_only and backend not in TRAINERS)]


@pytest.mark.parametrize("backend, feature, value", CASES)
def test_a_spec_is_refused_exactly_where_the_table_says(backend, feature, value):
    spec = spec_with(feature, value)
    assert next(f for f in FEATURES if f.name == feature).read(spec) == value
    if value in capabilities.supported(backend, feature):
        check_spec(backend, spec)
    else:
        key = next(f for f in FEATURES if f.name == feature).key
        with pytest.raises(SpecError, match=re.escape(key) + f": .* is not supported by the "
                                            f"{backend} backend"):
            check_spec(backend, spec)


def test_training_features_are_not_checked_for_inference():
    spec = spec_with("persistent", True)
    with pytest.raises(SpecError):
        check_spec("lava-float", spec)
    check_spec("lava-float", spec, training=False)


def test_projection_kinds_are_refused_where_the_table_says():
    avg = conv_network((1, 6, 6), [ConvLayer("a", 2, 3, padding=1, pool="avg")], 3,
                       rng=np.random.default_rng(0))
    assert "conv with average pooling" in capabilities.projection_features(avg).values()
    for backend in BACKENDS:
        if "conv with average pooling" in capabilities.supported(backend, "projections"):
            check_network(backend, avg)
        else:
            with pytest.raises(NetworkError, match="projection 'input-a'"):
                check_network(backend, avg)


def test_the_capability_page_is_current():
    """Regenerate with: python -m lava_eqprop.capabilities > docs/capabilities.md"""
    assert (ROOT / "docs" / "capabilities.md").read_text() == capabilities.capability_page()
