"""What each backend runs: one declared table of backend × feature, read by the backends'
refusals, by the docs (``docs/capabilities.md``, generated) and by a test.

A *feature* is a choice a model spec (or the network it builds) makes: a schedule, an
estimator, a projection kind, an optimiser feature, ... Each feature lists its possible values
and, per backend, the values that backend runs. :func:`check_spec` refuses a spec that asks a
backend for something it does not run, naming the key, the backend and what it does run;
:func:`check_network` does the same for the projections of a built network.

Backends: ``engine`` (the NumPy reference and trainer), ``torch`` (the engine's phases run by
PyTorch, ``--device``), ``lava-float`` and ``lava-fixed`` (compiled Lava graphs of the ``cpu``
target with floating- or fixed-point process models), ``lava-loihi2`` (the ``loihi2`` target:
learning neurons and Lava's stock learning synapses with the EP rule in their learning engine,
floating or fixed point; run by Lava's CPU simulation, not on a chip), ``brian2`` (the reference
simulator; it runs phases for the cross-check, not training, so the training features do not
apply to it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lava_eqprop.engine.estimators import BETA_SIGNS, ESTIMATORS
from lava_eqprop.engine.relaxation import NUDGES, SCHEDULES
from lava_eqprop.engine.solvers import SOLVERS
from lava_eqprop.errors import NetworkError, SpecError
from lava_eqprop.network.network import Network
from lava_eqprop.spec.model_spec import ModelSpec
from lava_eqprop.spec.sections import LR_SCHEDULES

BACKENDS = ("engine", "torch", "lava-float", "lava-fixed", "lava-loihi2", "brian2")
TRAINERS = ("engine", "torch", "lava-float", "lava-fixed", "lava-loihi2")
LAVA_BACKENDS = {("cpu", "float"): "lava-float", ("cpu", "fixed"): "lava-fixed",
                 ("loihi2", "float"): "lava-loihi2", ("loihi2", "fixed"): "lava-loihi2"}
"""The backend of each Lava (target, precision) that is built."""
ALL = object()          # every value of the feature
ON_OFF = (False, True)
PROJECTIONS = ("dense", "masked dense", "conv", "conv with max pooling",
               "conv with average pooling", "identity")


@dataclass(frozen=True)
class Feature:
    """A choice of the spec (``key``) or of the network: its values, how to read the value a
    spec asks for (``read``; None for network features), and whether it concerns training
    only."""

    name: str
    key: str
    values: tuple
    doc: str
    read: Callable[[ModelSpec], Any] | None = None
    training_only: bool = False


FEATURES = (
    Feature("schedule", "[dynamics] schedule", SCHEDULES, "which populations update together",
            lambda s: s.dynamics.schedule),
    Feature("nudge", "[dynamics] nudge", NUDGES, "how the output's nudge enters a step",
            lambda s: s.dynamics.nudge),
    Feature("decay", "[dynamics] leak, outgoing_decay", ("unit", "general"),
            "unit: leak = 1 and no outgoing decay (energy nets); general: Farinha et al.'s",
            lambda s: "unit" if s.dynamics.leak == 1.0 and not s.dynamics.outgoing_decay
            else "general"),
    Feature("projections", "[network] topology", PROJECTIONS, "the projection kinds of the net"),
    Feature("estimator", "[learning] estimator", ESTIMATORS, "the EP gradient estimator",
            lambda s: s.learning.estimator, training_only=True),
    Feature("beta_sign", "[learning] beta_sign", BETA_SIGNS,
            "the sign of β per batch (one-sided estimator)",
            lambda s: s.learning.beta_sign, training_only=True),
    Feature("batch", "[learning] batch_size", ("one sample", "several samples"),
            "samples per update", lambda s: "one sample" if s.learning.batch_size == 1
            else "several samples", training_only=True),
    Feature("solver", "[dynamics] solver", SOLVERS, "the equilibrium solver of the phases",
            lambda s: s.dynamics.solver, training_only=True),
    Feature("nudged_solver", "[dynamics] nudged_solver", SOLVERS,
            "the equilibrium solver of the nudged phases",
            lambda s: s.dynamics.nudged_solver or s.dynamics.solver, training_only=True),
    Feature("tol", "[dynamics] tol, nudged_tol", ON_OFF, "each sample's phase stops once settled",
            lambda s: bool(s.dynamics.tol or s.dynamics.nudged_phase_tol), training_only=True),
    Feature("persistent", "[dynamics] persistent", ON_OFF, "persistent particles",
            lambda s: s.dynamics.persistent, training_only=True),
    Feature("carry_state", "[dynamics] carry_state", ON_OFF,
            "each batch starts from the previous batch's free state",
            lambda s: s.dynamics.carry_state, training_only=True),
    Feature("momentum", "[learning] momentum", ON_OFF, "SGD momentum (and Nesterov)",
            lambda s: bool(s.learning.momentum), training_only=True),
    Feature("weight_decay", "[learning] weight_decay, clip_norm", ON_OFF,
            "L2 decay and update clipping",
            lambda s: bool(s.learning.weight_decay or s.learning.clip_norm), training_only=True),
    Feature("lr_schedule", "[learning] lr_schedule", LR_SCHEDULES, "the rate's schedule",
            lambda s: s.learning.lr_schedule, training_only=True),
    Feature("l1", "[learning] l1", ON_OFF, "the L1 penalty", lambda s: bool(s.learning.l1),
            training_only=True),
    Feature("pruning", "[learning] prune_threshold", ON_OFF, "pruning once per epoch",
            lambda s: bool(s.learning.prune_threshold), training_only=True),
    Feature("skip_removal", "[learning] remove_skips", ON_OFF,
            "a small-world net's skips removed during training",
            lambda s: s.learning.remove_skips != "none", training_only=True),
    Feature("augment", "[data] augment", ON_OFF, "flips and crops per batch",
            lambda s: bool(s.data.augment), training_only=True),
)

_LAVA_TRAINING = {"estimator": ("one_sided", "symmetric"), "solver": ("euler",),
                  "nudged_solver": ("euler",),
                  "tol": (False,), "persistent": (False,), "carry_state": (False,),
                  "momentum": (False,), "weight_decay": (False,), "lr_schedule": ("constant",),
                  "l1": (False,), "pruning": (False,), "skip_removal": (False,),
                  "augment": (False,)}
_LAVA = {"schedule": ("synchronous",), "decay": ("unit",)}

SUPPORT: dict[str, dict[str, Any]] = {
    "engine": {},
    "torch": {"decay": ("unit",),
              "estimator": tuple(e for e in ESTIMATORS if e != "deep"),
              "solver": tuple(s for s in SOLVERS if s != "adaptive"),
              "nudged_solver": tuple(s for s in SOLVERS if s != "adaptive")},
    "lava-float": _LAVA | _LAVA_TRAINING,
    "lava-fixed": _LAVA | _LAVA_TRAINING | {
        "projections": tuple(p for p in PROJECTIONS if p != "conv with average pooling")},
    "lava-loihi2": _LAVA | _LAVA_TRAINING | {
        "projections": tuple(p for p in PROJECTIONS if p != "conv with max pooling"),
        "estimator": ("one_sided", "symmetric"),
        "beta_sign": ("positive",),
        "batch": ("one sample",)},
    "brian2": {},
}
"""Per backend, the values it runs of each feature it restricts (unlisted: every value)."""

WHY = {
    ("torch", "decay"): "the torch backend runs the unit-leak dynamics of energy nets",
    ("torch", "solver"): "the adaptive integrator's step control runs on the host: the NumPy "
                         "engine runs it",
    ("torch", "nudged_solver"): "the adaptive integrator's step control runs on the host: the "
                                "NumPy engine runs it",
    ("torch", "estimator"): "trajectory learning rules follow the nudged phase step by step on "
                            "the host: the NumPy engine runs them",
    ("lava-float", "schedule"): "the Lava graph updates every population in every step",
    ("lava-float", "decay"): "the Lava neurons decay with rate 1",
    ("lava-float", "training"): "the plastic synapses apply plain local EP updates with fixed "
                                "rates, and every sample starts from zero for a fixed number "
                                "of steps on the stored images",
    ("lava-fixed", "projections"): "average pooling's 1/size² is not an integer operation",
    ("lava-loihi2", "projections"): "each projection is a mirrored pair of stock LearningDense "
                                    "or LearningSparse synapses (a conv unrolled into them: "
                                    "Lava has no learning conv synapse), and a max-pooled conv "
                                    "drives by a max, not a weighted sum; the graph also needs "
                                    "every projection symmetric, between layers (not lateral), "
                                    "and runs with every neuron sending every step (no event "
                                    "threshold)",
    ("lava-loihi2", "estimator"): "the learning rule contrasts the ends of two phases of a "
                                  "sample: the free and nudged ones, or the −β and +β ones",
    ("lava-loihi2", "beta_sign"): "the rule's learning rate m·2^E approximates η/β > 0",
    ("lava-loihi2", "batch"): "a Loihi 2 neuron holds one sample's state",
}
"""Why a backend does not run a feature's other values (the refusals say it)."""


def lava_backend(target: str, precision: str) -> str:
    """The backend that compiles for Lava ``target`` in ``precision``; refused where none is
    built."""
    if (target, precision) not in LAVA_BACKENDS:
        built = [p for t, p in LAVA_BACKENDS if t == target]
        raise SpecError(f"the Lava {target} target is not built for precision {precision!r} "
                        f"(it runs {', '.join(built) or 'nothing'})")
    return LAVA_BACKENDS[(target, precision)]


def _why(backend: str, feature: Feature) -> str:
    lava_twin = "lava-float" if backend.startswith("lava-") else backend
    for key in ((backend, feature.name), (lava_twin, feature.name),
                (lava_twin, "training" if feature.training_only else "")):
        if key in WHY:
            return WHY[key]
    return ""


def supported(backend: str, feature: str) -> tuple:
    """The values of ``feature`` that ``backend`` runs."""
    found = next(f for f in FEATURES if f.name == feature)
    allowed = SUPPORT[backend].get(feature, ALL)
    return found.values if allowed is ALL else allowed


def refusal(backend: str, feature: str, value: Any, where: str) -> str:
    """The message refusing ``value`` of ``feature`` on ``backend`` at ``where``: what it runs
    instead, and why."""
    return _refusal(backend, next(f for f in FEATURES if f.name == feature), value, where)


def _refusal(backend: str, feature: Feature, value: Any, where: str) -> str:
    runs = ", ".join(_shown(v) for v in supported(backend, feature.name))
    why = _why(backend, feature)
    return (f"{where}: {feature.key}: {_shown(value)} is not supported by the {backend} backend "
            f"(it runs {runs}{'; ' + why if why else ''})")


def check_spec(backend: str, spec: ModelSpec, *, training: bool = True) -> None:
    """Refuse, naming the key, a spec that asks ``backend`` for something it does not run
    (training features only when ``training``)."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; allowed: {list(BACKENDS)}")
    for feature in FEATURES:
        if feature.read is None or (feature.training_only and (not training
                                                               or backend not in TRAINERS)):
            continue
        value = feature.read(spec)
        if value not in supported(backend, feature.name):
            raise SpecError(_refusal(backend, feature, value, spec.path))


def projection_features(network: Network) -> dict[str, str]:
    """The ``projections`` feature value of each projection of ``network``."""
    values = {}
    for proj in network.projections:
        if proj.kind == "conv":
            pool = proj.geometry.pool if proj.geometry is not None else None
            value = {None: "conv", "max": "conv with max pooling",
                     "avg": "conv with average pooling"}[pool]
        elif proj.kind == "dense":
            value = "dense" if proj.mask is None else "masked dense"
        else:
            value = proj.kind
        values[proj.name] = value
    return values


def check_network(backend: str, network: Network) -> None:
    """Refuse, naming the projection, a network with a projection ``backend`` does not run."""
    feature = next(f for f in FEATURES if f.name == "projections")
    for name, value in projection_features(network).items():
        if value not in supported(backend, "projections"):
            raise NetworkError(_refusal(backend, feature, value,
                                        f"network {network.name!r}, projection {name!r}"))


def capability_page() -> str:
    """The text of ``docs/capabilities.md``: the table, and why each backend refuses what it
    does."""
    lines = ["# What each backend runs", "",
             "Generated by `python -m lava_eqprop.capabilities` from `lava_eqprop/capabilities.py`,"
             " the table the backends' refusals read; do not edit by hand. A spec that asks a "
             "backend for something it does not run is refused on load, naming the key. "
             "`brian2` runs phases for the cross-check, not training.", "",
             capability_table(), "",
             "Lava backends by target and precision: " + "; ".join(
                 f"{target} {precision}: {name}"
                 for (target, precision), name in LAVA_BACKENDS.items()) + ".", "", "Why:", ""]
    lines += [f"- {backend}, {feature}: {why}." for (backend, feature), why in WHY.items()]
    return "\n".join(lines) + "\n"


def capability_table() -> str:
    """The Markdown table of backend × feature."""
    lines = ["| feature | key | " + " | ".join(BACKENDS) + " |",
             "|---|---|" + "---|" * len(BACKENDS)]
    for feature in FEATURES:
        cells = []
        for backend in BACKENDS:
            if feature.training_only and backend not in TRAINERS:
                cells.append("(no training)")
                continue
            allowed = SUPPORT[backend].get(feature.name, ALL)
            cells.append("all" if allowed is ALL else ", ".join(map(_shown, allowed)))
        lines.append(f"| {feature.name} | `{feature.key}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _shown(value: Any) -> str:
    """A feature value as the docs and messages write it: on/off, or the value itself."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


if __name__ == "__main__":
    print(capability_page(), end="")
