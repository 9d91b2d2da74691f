"""Gammell et al.'s MNIST nets at other depths and widths, as sweep points.

Gammell et al. (2021) train 784-500-500-500-10 (models/gammell_*.toml) and, in their
repository's logs, 784-100-100-100-100-100-10 with other settings. A :class:`Family` is a
width with the settings its nets share; :func:`point` makes one net of it a sweep point
(:mod:`lava_eqprop.sweeps`) on the two shipped specs. :data:`SOLVER` is how those studies relax
the nets: accelerated block sweeps to a residual R ≤ 1e-3 in the free and test phases, capped
at the authors' 1,000 iterations, and the nudged phase's Euler steps (with the split nudge at
ε = ½ the β = −1 step does not contract, so those steps are the phase), the authors' count as
a cap: a sample's nudged phase stops at the same residual. :data:`FIXED_NUDGED_STEPS` runs
every nudged step instead, as the authors' code does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lava_eqprop.experiments.specs import MODELS

LAYERED = MODELS / "gammell_layered_global.toml"
SMALL_WORLD = MODELS / "gammell_small_world.toml"
SOLVER = {"dynamics.solver": "accelerated", "dynamics.tol": 1e-3,
          "dynamics.nudged_solver": "euler", "dynamics.free_steps": 1000,
          "dynamics.eval_steps": 1000}
FIXED_NUDGED_STEPS = {"dynamics.nudged_tol": 0}
"""With :data:`SOLVER`: every nudged phase runs all its Euler steps."""
SCELLIER_RATES = [0.128, 0.032, 0.008, 0.002]
"""Scellier & Bengio's rates of their 3-hidden-layer net, which Gammell et al.'s per-layer run
uses."""


@dataclass(frozen=True)
class Family:
    """A width and the settings its nets share: the global rate, the nudged Euler steps and
    the bound of a rewired connection's initial weight (and the input and output sizes)."""

    width: int
    rate: float
    nudged_steps: int
    new_weight_bound: float
    inputs: int = 784
    classes: int = 10

    def keys(self, depth: int) -> dict[str, Any]:
        """The spec keys of this family's net with ``depth`` hidden layers."""
        return {"network.layers": [self.inputs] + [self.width] * depth + [self.classes],
                "learning.learning_rate": self.rate,
                "dynamics.nudged_steps": self.nudged_steps}


FAMILIES = {
    # the authors' 5-layer log: rate 0.015, 12 nudged iterations, rewired weights U(±0.168)
    "w100": Family(100, 0.015, 12, 0.168),
    # the 3-layer reproduction's settings, rewired weights U(±0.0829) as in the authors' log
    "w500": Family(500, 0.02, 8, 0.0829),
}
QUICK_FAMILY = Family(16, 0.05, 8, 0.3, inputs=64)
"""The studies' --quick family: width 16 on scikit-learn's digits (64 inputs)."""
QUICK_KEYS = {"data.dataset": "digits", "data.train_samples": 200, "data.test_samples": 60}
"""The spec keys of a --quick run: digits, 200 training and 60 test samples."""


def point(name: str, family: Family, depth: int, variant: str,
          rates: list[float] | None = None, **keys: Any) -> dict[str, Any]:
    """One sweep point: ``variant`` "layered" (the global rate), "per_layer" (``rates``, one
    per layer pair) or "small_world" (the shipped p = 0.1 unless ``keys`` set another), plus
    any other spec ``keys``."""
    base = family.keys(depth)
    if variant == "small_world":
        return {"name": name, "base": str(SMALL_WORLD), **base,
                "network.small_world.new_weight_bound": family.new_weight_bound, **keys}
    if variant == "per_layer":
        base |= {"learning.learning_rate": 0.0, "learning.layer_learning_rates": rates}
    elif variant != "layered":
        raise ValueError(f"variant {variant!r} is not layered, per_layer or small_world")
    return {"name": name, "base": str(LAYERED), **base, **keys}
