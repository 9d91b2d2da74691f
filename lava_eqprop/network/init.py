"""Weight and bias initialisers used by the papers this project follows."""

from __future__ import annotations

import math

import numpy as np

WEIGHT_INITS = ("glorot_uniform", "fan_in_uniform", "normal")
BIAS_INITS = ("zeros", "fan_in_uniform", "normal")


def glorot_bound(fan_in: int, fan_out: int) -> float:
    """Glorot & Bengio (2010) uniform bound √(6 / (fan_in + fan_out)).

    Used by Scellier & Bengio (2017) and Gammell et al. (2021) for every layer pair.
    """
    return math.sqrt(6.0 / (fan_in + fan_out))


def fan_in_bound(fan_in: int) -> float:
    """PyTorch's ``nn.Linear`` default bound 1/√fan_in (the code of Laborieux et al. 2021)."""
    return 1.0 / math.sqrt(fan_in)


def init_weight(scheme: str, fan_in: int, fan_out: int, rng: np.random.Generator,
                gain: float = 1.0) -> np.ndarray:
    """A (fan_out, fan_in) weight drawn uniformly in ±gain·bound of ``scheme``, or from
    N(0, gain²) for ``"normal"`` (Farinha et al. 2020: gain 0.05)."""
    if scheme == "normal":
        return rng.normal(0.0, gain, size=(fan_out, fan_in))
    if scheme == "glorot_uniform":
        bound = glorot_bound(fan_in, fan_out)
    elif scheme == "fan_in_uniform":
        bound = fan_in_bound(fan_in)
    else:
        raise ValueError(f"unknown weight init {scheme!r}; allowed: {list(WEIGHT_INITS)}")
    return rng.uniform(-gain * bound, gain * bound, size=(fan_out, fan_in))


def init_bias(scheme: str, fan_in: int, shape: tuple[int, ...], rng: np.random.Generator,
              gain: float = 1.0) -> np.ndarray:
    """A bias of ``shape``: zeros (Scellier & Bengio), U(±gain/√fan_in) (PyTorch) or
    N(0, gain²) (``"normal"``)."""
    if scheme == "zeros":
        return np.zeros(shape)
    if scheme == "normal":
        return rng.normal(0.0, gain, size=shape)
    if scheme == "fan_in_uniform":
        bound = gain * fan_in_bound(fan_in)
        return rng.uniform(-bound, bound, size=shape)
    raise ValueError(f"unknown bias init {scheme!r}; allowed: {list(BIAS_INITS)}")
