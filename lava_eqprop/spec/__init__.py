"""Model specs: TOML files validated on load (see model_spec.py and schema.py)."""

from lava_eqprop.spec.model_spec import ModelSpec, load_spec, load_spec_dataset, parse_spec

__all__ = ["ModelSpec", "load_spec", "load_spec_dataset", "parse_spec"]
