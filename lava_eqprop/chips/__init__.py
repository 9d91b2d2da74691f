"""Chip configurations (``chip_configs/*.toml``): the arithmetic of a Loihi-class target."""
