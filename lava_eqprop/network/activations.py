"""Activations of EP rate neurons, all of them clips onto a box.

With a clipping activation the Hopfield energy of Scellier & Bengio (2017, eq. 1),
E(u) = ½Σu² − ½Σ W_ij ρ(u_i)ρ(u_j) − Σ b_i ρ(u_i), restricted to states that the dynamics keep
inside the clip range, is the quadratic E(s) = ½‖s‖² − ½ sᵀWs − bᵀs on a box: ρ(s) = s there and
ρ'(s) = 1. The activation is then nothing but the box: the exact minimiser of E over one
population given its neighbours is ``clip(W·s_neighbours + b, lo, hi)`` (Laborieux et al. 2021's
s ← ρ(∂Φ/∂s)), and a projected Euler step keeps the state in the box.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Activation:
    """A clip activation ρ(s) = min(max(s, lo), hi)."""

    name: str
    lo: float
    hi: float
    summary: str

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """ρ(x) elementwise."""
        return np.clip(x, self.lo, self.hi)


ACTIVATIONS: dict[str, Activation] = {
    "hard_sigmoid": Activation(
        "hard_sigmoid", 0.0, 1.0,
        "clip(s, 0, 1): Scellier & Bengio 2017, Gammell et al. 2021"),
    "clipped_relu": Activation(
        "clipped_relu", 0.0, 6.0,
        "clip(s, 0, 6): the clipped ReLU of Elayedam & Srinivasan's Hopfield-ResNet"),
    "linear": Activation(
        "linear", -math.inf, math.inf,
        "identity: an unbounded linear unit (e.g. a Hopfield-ResNet output layer)"),
}


def get_activation(name: str) -> Activation:
    """Look an activation up by name; the error lists the allowed names."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise KeyError(f"unknown activation {name!r}; allowed: "
                       f"{', '.join(sorted(ACTIVATIONS))}") from None
