"""The NumPy reference engine: interaction terms, relaxation (free/nudged phases), equilibrium
solvers, estimators."""

from lava_eqprop.engine.estimators import EPResult, EPSettings, ep_update
from lava_eqprop.engine.loss import get_loss
from lava_eqprop.engine.relaxation import Clamped, Dynamics, Relaxer, State
from lava_eqprop.engine.solvers import PhaseReport, SolverSettings, solve_phase

__all__ = ["Clamped", "Dynamics", "EPResult", "EPSettings", "PhaseReport", "Relaxer",
           "SolverSettings", "State", "ep_update", "get_loss", "solve_phase"]
