"""The sections of a model spec, as typed frozen dataclasses: each field is a key of the TOML
file, with its type, default, allowed values and one line of documentation
(:func:`lava_eqprop.schema.key`). The spec reference in the docs is generated from these
declarations; :mod:`lava_eqprop.spec.model_spec` checks what spans several keys.
``[network.conv]`` is declared with its helpers in :mod:`lava_eqprop.spec.conv_section`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lava_eqprop.data.augment import AUGMENTATIONS
from lava_eqprop.data.datasets import DATASETS
from lava_eqprop.engine.estimators import BETA_SIGNS, ESTIMATORS
from lava_eqprop.engine.loss import LOSSES
from lava_eqprop.engine.relaxation import NUDGES, SCHEDULES
from lava_eqprop.engine.solvers import SOLVERS
from lava_eqprop.network.activations import ACTIVATIONS
from lava_eqprop.network.generators import REWIRE_POOLS
from lava_eqprop.network.init import BIAS_INITS, WEIGHT_INITS
from lava_eqprop.schema import (
    Section,
    key,
    non_negative,
    positive,
    positive_float_list,
    positive_int_list,
    probability,
    unit_interval_open_closed,
)

LAYERED_TOPOLOGIES = ("layered", "small_world")
DIRECTED = ("complete_directed", "directed")
CONV_TOPOLOGIES = ("conv", "hopfield_resnet")
TOPOLOGIES = LAYERED_TOPOLOGIES + DIRECTED + CONV_TOPOLOGIES
DTYPES = ("float32", "float64")
LR_SCHEDULES = ("constant", "cosine")
REMOVALS = ("none", "at_once", "fade")
"""How training removes a small-world net's skips (:mod:`lava_eqprop.training.skip_removal`)."""


def _run_name(value: str) -> str | None:
    """A name fit to be a directory of its own (runs/<name>), or what is allowed."""
    ok = (value.strip() and value.isprintable() and not value.startswith(".")
          and "/" not in value and "\\" not in value and len(value.encode()) <= 255)
    return None if ok else ("a plain file name (the run directory is runs/<name>): not empty, "
                            "printable characters, no / or \\, not starting with a dot, at most "
                            "255 bytes")


def _augmentations(value: Any) -> str | None:
    return None if all(a in AUGMENTATIONS for a in value) else f"a list of {list(AUGMENTATIONS)}"


def _nudged_tol(value: Any) -> str | None:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return None if value == "tol" or (number and value >= 0) else 'a number >= 0 or "tol"'


def _momentum(value: float) -> str | None:
    return None if 0 <= value < 1 else "a number in [0, 1)"


@dataclass(frozen=True)
class ModelSection(Section):
    """``[model]``: what the spec is."""

    name: str = key(check=_run_name, doc="the model's name; runs go to runs/<name> by default")
    description: str = key("", doc="one line on what the model is")
    reference: str = key("", doc="the paper (or code) whose settings the spec follows")


@dataclass(frozen=True)
class DataSection(Section):
    """``[data]``: the data set and how it is prepared."""

    dataset: str = key(choices=DATASETS, doc="the data set (digits ships with scikit-learn)")
    path: str = key("", doc="a file or directory holding the data set; when given, the only "
                            "place looked in (not for digits)")
    train_samples: int = key(0, check=non_negative, doc="use the first N training samples "
                                                        "(0: all)")
    test_samples: int = key(0, check=non_negative, doc="use the first N test samples (0: all)")
    train_on_validation: bool = key(False, doc="mnist only: train on the validation images too "
                                               "where the source keeps some apart (mnist.pkl.gz: "
                                               "50,000 + 10,000, the 60,000 training images of "
                                               "the IDX files)")
    normalise: bool = key(False, doc="standardise each channel with the training set's mean and "
                                     "standard deviation")
    augment: tuple[str, ...] = key((), check=_augmentations,
                                   doc='per batch, in this order: "flip" (left-right, '
                                       'probability 1/2), "crop" (pad, crop back at random)')
    crop_padding: int = key(4, check=non_negative, doc="zero padding of the random crop, pixels")


@dataclass(frozen=True)
class NetworkSection(Section):
    """``[network]``: the topology and how its parameters start."""

    topology: str = key("layered", choices=TOPOLOGIES,
                        doc="the generator; small_world, directed and the conv topologies take "
                            "a subtable of their own")
    layers: tuple[int, ...] = key((), check=positive_int_list(0),
                                  doc="neurons per layer (directed topologies: [inputs, hidden, "
                                      "outputs]); conv topologies use [network.conv]")
    activation: str = key("hard_sigmoid", choices=tuple(ACTIVATIONS),
                          doc="ρ of the hidden neurons")
    output_activation: str = key("", choices=("",) + tuple(ACTIVATIONS),
                                 doc="ρ of the output neurons (empty: as activation; conv "
                                     "topologies: linear)")
    weight_init: str = key("glorot_uniform", choices=WEIGHT_INITS,
                           doc="weight initialisation; normal is N(0, weight_gain²)")
    weight_gain: float = key(1.0, check=positive, doc="scale of the weight initialisation")
    bias_init: str = key("zeros", choices=BIAS_INITS, doc="bias initialisation")
    seed: int = key(0, check=non_negative, doc="seed of the initial network (and of random "
                                               "topologies)")


@dataclass(frozen=True)
class SmallWorldSection(Section):
    """``[network.small_world]``: Gammell et al.'s layer-skipping rewiring of a layered net."""

    p: float = key(check=probability, doc="probability that each connection is rewired")
    pool: str = key("skip", choices=REWIRE_POOLS,
                    doc="where a rewired connection may go: skip (between non-neighbouring "
                        "layers) or any pair of layers")
    new_weight_bound: float = key(0.0, check=non_negative,
                                  doc="a new connection's weight is drawn from U(±bound) "
                                      "(0: the initialisation of its layer pair)")


@dataclass(frozen=True)
class DirectedSection(Section):
    """``[network.directed]`` (topology directed): exactly one of the three keys."""

    edges: tuple[tuple[int, int], ...] = key((), doc="connections [i, j] (i → j), neurons "
                                                     "numbered inputs, hidden, outputs")
    adjacency: tuple[tuple[int, ...], ...] = key((), doc="an N×N 0/1 matrix, A[i][j]: i → j")
    connections: int = key(0, check=non_negative,
                           doc="this many connections of the complete graph, drawn with the "
                               "[network] seed")


@dataclass(frozen=True)
class DynamicsSection(Section):
    """``[dynamics]``: the relaxation of the free and nudged phases."""

    epsilon: float = key(1.0, check=unit_interval_open_closed,
                         doc="step size ε of s ← s − ε ∂E/∂s (1: the fixed-point iteration)")
    schedule: str = key("synchronous", choices=SCHEDULES,
                        doc="which populations update together in a step")
    nudge: str = key("joint", choices=NUDGES, doc="how the output's nudge enters a step")
    free_steps: int = key(check=positive, doc="steps of the free phase (its cap with tol > 0)")
    nudged_steps: int = key(check=positive,
                            doc="steps of each nudged phase (its cap with tol > 0)")
    eval_steps: int = key(0, check=non_negative, doc="free steps when testing (0: free_steps)")
    solver: str = key("euler", choices=SOLVERS,
                      doc="euler: the schedule's steps; block: exact block sweeps; "
                          "accelerated: block sweeps with restarted momentum; adaptive: "
                          "an error-controlled Runge–Kutta 3(2) integration of the ODE")
    nudged_solver: str = key("", choices=("",) + SOLVERS,
                             doc="the nudged phases' solver, if not solver's (e.g. euler with "
                                 "nudged_tol = 0: the papers' fixed nudged steps beside a "
                                 "faster free phase)")
    tol: float = key(0.0, check=non_negative,
                     doc="a sample's phase stops once its residual ‖T(s) − s‖∞/ε is at most "
                         "this (0: every step runs)")
    nudged_tol: float | str = key("tol", check=_nudged_tol,
                                  doc="the nudged phases' tol: \"tol\" (the same as the free "
                                      "phases') or a number (0: every nudged step runs, the "
                                      "papers' fixed nudged steps beside a free phase stopped "
                                      "on tol)")
    ode_tol: float = key(1e-4, check=positive,
                         doc="solver adaptive: the local error allowed per step, relative to "
                             "1 + |s|")
    persistent: bool = key(False, doc="start each sample's free phase from its last free state "
                                      "(persistent particles)")
    carry_state: bool = key(False, doc="start each batch's free phase from the previous batch's "
                                       "free state")
    leak: float = key(1.0, check=non_negative, doc="λ in the decay a_j = λ + [outgoing] Σ_k W_jk")
    outgoing_decay: bool = key(False, doc="add the outgoing weights to the decay (Farinha et "
                                          "al.'s DEEP dynamics, with leak = 0)")

    @property
    def nudged_phase_tol(self) -> float:
        """The residual at which a nudged phase stops (0: never early)."""
        return self.tol if self.nudged_tol == "tol" else float(self.nudged_tol)


@dataclass(frozen=True)
class LearningSection(Section):
    """``[learning]``: the EP estimator and the optimiser."""

    loss: str = key("half_squared_error", choices=tuple(LOSSES),
                    doc="C = ½‖y−s‖² or ‖y−s‖² (the papers' code)")
    beta: float = key(check=positive, doc="nudge strength β")
    estimator: str = key("one_sided", choices=ESTIMATORS, doc="the EP gradient estimator")
    beta_sign: str = key("positive", choices=BETA_SIGNS,
                         doc="sign of β per batch (one-sided estimator)")
    learning_rate: float = key(0.0, check=non_negative,
                               doc="one global rate (or give layer_learning_rates)")
    layer_learning_rates: tuple[float, ...] = key((), check=positive_float_list,
                                                  doc="one rate per layer pair (layered nets)")
    momentum: float = key(0.0, check=_momentum, doc="SGD momentum")
    nesterov: bool = key(False, doc="Nesterov momentum")
    weight_decay: float = key(0.0, check=non_negative, doc="L2 weight decay")
    clip_norm: float = key(0.0, check=non_negative,
                           doc="clip each update to this norm (0: no clipping)")
    lr_schedule: str = key("constant", choices=LR_SCHEDULES,
                           doc="constant, or cosine annealing over the epochs")
    lr_min: float = key(0.0, check=non_negative, doc="the cosine schedule's final rate")
    batch_size: int = key(check=positive, doc="samples per update")
    epochs: int = key(check=positive, doc="epochs to train")
    seed: int = key(0, check=non_negative, doc="seed of the training's random stream")
    dtype: str = key("float32", choices=DTYPES, doc="the engine's floating-point type")
    trajectory_beta0: float = key(0.0, doc="estimator deep: β weight of the trajectory's start")
    trajectory_beta1: float = key(1.0, doc="estimator deep: β weight of the trajectory's end")
    l1: float = key(0.0, check=non_negative, doc="L1 penalty (sparsity, Farinha et al.)")
    prune_threshold: float = key(0.0, check=non_negative,
                                 doc="prune weights with |W| ≤ this once per epoch (0: off)")
    prune_temperature: float = key(5.0, check=positive, doc="the pruning softmax's temperature")
    prune_permanent: bool = key(False, doc="a pruned connection is removed for good")
    remove_skips: str = key("none", choices=REMOVALS,
                            doc="remove a small-world net's layer-skipping connections during "
                                "training: at_once, or fade over remove_skips_over epochs")
    remove_skips_after: int = key(0, check=non_negative,
                                  doc="the epoch after which the removal starts")
    remove_skips_over: int = key(1, check=positive,
                                 doc="fade: the epochs over which the skips fall to zero")

