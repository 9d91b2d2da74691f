"""One population's update: a projected Euler step of ds/dt = −∂F/∂s, F = E + βC.

    s ← clip( s + ε·(drive − a s − β ∂C/∂s) ),   drive = b + Σ_projections drive(s)

with the nudge −β ∂C/∂s taken with the drive (``joint``) or as a second Euler step from the
first one's result (``split``): s' = s + ε(drive − a s), then s'' = s' − εβ ∂C/∂s(s'), then
the clip (:mod:`lava_eqprop.engine.relaxation` derives both). The decay a is the unit leak
(a = 1) unless a ``retain`` = 1 − εa is given.

A pure function of its arguments, in-place operators only, so the same code steps NumPy
arrays (the engine, the Lava float model) and torch tensors (the torch backend).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lava_eqprop.engine.loss import SquaredError


@dataclass(frozen=True)
class Nudge:
    """The nudge of a phase: −β ∂C/∂s towards ``target`` for the cost C of ``loss``,
    joint or ``split`` (the module docstring)."""

    loss: SquaredError
    target: Any
    beta: float
    split: bool


def population_step(drive: Any, s: Any, epsilon: float, retain: Any = None,
                    nudge: Nudge | None = None, clip: Callable[[Any], object] | None = None) -> Any:
    """The population's next state from its state ``s`` and ``drive`` = b + Σ drive, computed
    in the buffer of ``drive`` (overwritten, and returned); ``s`` is left as it is.

    ``retain``: 1 − εa per neuron for a decay other than the unit leak; ``nudge``: None off the
    nudged output; ``clip``: projects an array onto the activation's box in place (None for
    an unbounded unit).
    """
    if nudge is not None and not nudge.split:
        nudge.loss.add_nudge(drive, s, nudge.target, nudge.beta)
    if retain is not None:          # s(1 − εa) + ε·drive
        drive *= epsilon
        drive += s * retain
    elif epsilon != 1.0:            # s + ε(drive − s)
        drive -= s
        drive *= epsilon
        drive += s
    if nudge is not None and nudge.split:
        nudge.loss.add_nudge(drive, drive, nudge.target, epsilon * nudge.beta)
    if clip is not None:
        clip(drive)
    return drive


def block_fixed_point(drive: Any, epsilon: float, leak: float = 1.0, nudge: Nudge | None = None,
                      clip: Callable[[Any], object] | None = None) -> Any:
    """The fixed point of :func:`population_step` for one population with its drive held fixed:
    the state s with s = step(s), computed in the buffer of ``drive`` and returned.

    A population without lateral projections sees a drive that does not depend on its own
    state, and its step is the elementwise map s ← clip(a·s + c) with |a| < 1, whose fixed point
    is clip(c / (1 − a)). With the constant leak λ > 0:

    * free (no nudge): s = clip(drive / λ), the exact minimiser of E over the population
      (for λ = 1 the ε = 1 step itself);
    * ``joint`` nudge, C = (c/2)‖s − y‖²: s = clip((drive + βc·y) / (λ + βc)), the exact
      minimiser of F = E + βC over the population;
    * ``split`` nudge: the step is s ← clip((1 − εβc)((1 − ελ)s + ε·drive) + εβc·y), so
      s = clip(((1 − εβc)ε·drive + εβc·y) / (1 − (1 − εβc)(1 − ελ))): the fixed point depends on ε,
      as the split discretisation's own fixed point does.
    """
    if nudge is None:
        if leak != 1.0:
            drive /= leak
    else:
        bc = nudge.beta * nudge.loss.scale
        if nudge.split:
            keep = 1.0 - epsilon * bc
            drive *= keep * epsilon
            drive += (epsilon * bc) * nudge.target
            drive /= 1.0 - keep * (1.0 - epsilon * leak)
        else:
            drive += bc * nudge.target
            drive /= leak + bc
    if clip is not None:
        clip(drive)
    return drive
