"""The NumPy reference engine: interaction terms, relaxation (free/nudged phases), estimators."""

from lava_eqprop.engine.estimators import EPResult, EPSettings, ep_update
from lava_eqprop.engine.loss import get_loss
from lava_eqprop.engine.relaxation import Clamped, Dynamics, Relaxer, State

__all__ = ["Clamped", "Dynamics", "EPResult", "EPSettings", "Relaxer", "State", "ep_update",
           "get_loss"]
