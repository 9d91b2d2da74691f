"""Model specs (``models/*.toml``): a network, its dynamics and how to train it, validated.

A spec has the sections ``[model]``, ``[data]``, ``[network]`` (with ``[network.small_world]``,
``[network.directed]`` or ``[network.conv]`` for those topologies), ``[dynamics]`` and
``[learning]``; the README lists every key.
:func:`load_spec` reads and validates a file; :meth:`ModelSpec.build_network` generates the
network from the spec's seed, so the same spec always gives the same initial network.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lava_eqprop.data.augment import AUGMENTATIONS
from lava_eqprop.data.datasets import DATASETS, IMAGE_SIDES, Dataset, load_dataset
from lava_eqprop.engine.estimators import BETA_SIGNS, ESTIMATORS, EPSettings
from lava_eqprop.engine.loss import LOSSES
from lava_eqprop.engine.relaxation import NUDGES, SCHEDULES, Dynamics
from lava_eqprop.errors import DataNotFoundError, NetworkError
from lava_eqprop.network.activations import ACTIVATIONS
from lava_eqprop.network.conv_nets import conv_network
from lava_eqprop.network.directed import (
    adjacency_from_edges, complete_adjacency, directed_network, random_adjacency)
from lava_eqprop.network.generators import REWIRE_POOLS, layered, small_world
from lava_eqprop.network.init import BIAS_INITS, WEIGHT_INITS
from lava_eqprop.network.network import Network
from lava_eqprop.spec.conv_section import (CONV_TOPOLOGIES, check_conv_network, conv_layers,
                                           conv_section)
from lava_eqprop.spec.footprint import memory_problem, network_footprint
from lava_eqprop.training.optimizer import LR_SCHEDULES
from lava_eqprop.training.pruning import Pruning
from lava_eqprop.spec.schema import (
    Key, SpecFile, non_negative, positive, positive_float_list, positive_int_list, probability,
    unit_interval_open_closed)

TOPOLOGIES = ("layered", "small_world", "complete_directed", "directed") + CONV_TOPOLOGIES
DIRECTED = ("complete_directed", "directed")
DTYPES = ("float32", "float64")

SECTIONS = {"model": True, "data": True, "network": True, "dynamics": True, "learning": True}


def _run_name(value: str) -> str | None:
    """A name fit to be a directory of its own (runs/<name>), or what is allowed."""
    ok = (value.strip() and value.isprintable() and not value.startswith(".")
          and "/" not in value and "\\" not in value and len(value.encode()) <= 255)
    return None if ok else ("a plain file name (the run directory is runs/<name>): not empty, "
                            "printable characters, no / or \\, not starting with a dot, at most "
                            "255 bytes")


MODEL_KEYS = [
    Key("name", str, check=_run_name),
    Key("description", str, ""),
    Key("reference", str, ""),
]
DATA_KEYS = [
    Key("dataset", str, choices=DATASETS),
    Key("path", str, ""),
    Key("train_samples", int, 0, check=non_negative),
    Key("test_samples", int, 0, check=non_negative),
    Key("normalise", bool, False),
    Key("augment", list, [], check=lambda v: None if all(a in AUGMENTATIONS for a in v)
        else f"a list of {list(AUGMENTATIONS)}"),
    Key("crop_padding", int, 4, check=non_negative),
]
NETWORK_KEYS = [
    Key("topology", str, "layered", choices=TOPOLOGIES),
    Key("layers", list, [], check=positive_int_list(0)),
    Key("activation", str, "hard_sigmoid", choices=tuple(ACTIVATIONS)),
    Key("output_activation", str, "", choices=("",) + tuple(ACTIVATIONS)),
    Key("weight_init", str, "glorot_uniform", choices=WEIGHT_INITS),
    Key("weight_gain", float, 1.0, check=positive),
    Key("bias_init", str, "zeros", choices=BIAS_INITS),
    Key("seed", int, 0, check=non_negative),
]
SMALL_WORLD_KEYS = [
    Key("p", float, check=probability),
    Key("pool", str, "skip", choices=REWIRE_POOLS),
    Key("new_weight_bound", float, 0.0, check=non_negative),
]
DIRECTED_KEYS = [
    Key("edges", list, []),
    Key("adjacency", list, []),
    Key("connections", int, 0, check=non_negative),
]
DYNAMICS_KEYS = [
    Key("epsilon", float, 1.0, check=unit_interval_open_closed),
    Key("schedule", str, "synchronous", choices=SCHEDULES),
    Key("nudge", str, "joint", choices=NUDGES),
    Key("free_steps", int, check=positive),
    Key("nudged_steps", int, check=positive),
    Key("eval_steps", int, 0, check=non_negative),
    Key("free_tol", float, 0.0, check=non_negative),
    Key("persistent", bool, False),
    Key("carry_state", bool, False),
    Key("leak", float, 1.0, check=non_negative),
    Key("outgoing_decay", bool, False),
]
LEARNING_KEYS = [
    Key("loss", str, "half_squared_error", choices=tuple(LOSSES)),
    Key("beta", float, check=positive),
    Key("estimator", str, "one_sided", choices=ESTIMATORS),
    Key("beta_sign", str, "positive", choices=BETA_SIGNS),
    Key("learning_rate", float, 0.0, check=non_negative),
    Key("layer_learning_rates", list, [], check=positive_float_list),
    Key("momentum", float, 0.0, check=lambda v: None if 0 <= v < 1 else "a number in [0, 1)"),
    Key("nesterov", bool, False),
    Key("weight_decay", float, 0.0, check=non_negative),
    Key("clip_norm", float, 0.0, check=non_negative),
    Key("lr_schedule", str, "constant", choices=LR_SCHEDULES),
    Key("lr_min", float, 0.0, check=non_negative),
    Key("batch_size", int, check=positive),
    Key("epochs", int, check=positive),
    Key("seed", int, 0, check=non_negative),
    Key("dtype", str, "float32", choices=DTYPES),
    Key("trajectory_beta0", float, 0.0),
    Key("trajectory_beta1", float, 1.0),
    Key("l1", float, 0.0, check=non_negative),
    Key("prune_threshold", float, 0.0, check=non_negative),
    Key("prune_temperature", float, 5.0, check=positive),
    Key("prune_permanent", bool, False),
]


@dataclass(frozen=True)
class ModelSpec:
    """A validated model spec. ``text`` is the TOML source, stored in checkpoints."""

    path: str
    text: str
    model: dict[str, Any]
    data: dict[str, Any]
    network: dict[str, Any]
    small_world: dict[str, Any] | None
    directed: dict[str, Any] | None
    conv: dict[str, Any] | None
    dynamics: dict[str, Any]
    learning: dict[str, Any]

    @property
    def name(self) -> str:
        return self.model["name"]

    def build_network(self) -> Network:
        """Generate the initial network (same spec and seed → same network)."""
        net = self.network
        rng = np.random.default_rng(net["seed"])
        if net["topology"] in CONV_TOPOLOGIES:
            layers, skips, gains = conv_layers(net["topology"], self.conv)
            return conv_network(self.conv["input_shape"], layers, self.conv["classes"], rng=rng,
                                skips=skips, name=self.name, activation=net["activation"],
                                output_activation=net["output_activation"] or "linear",
                                gains=gains, bias_init=net["bias_init"],
                                topology=net["topology"])
        if net["topology"] in DIRECTED:
            return directed_network(net["layers"], self.adjacency(), rng=rng, name=self.name,
                                    activation=net["activation"], weight_std=net["weight_gain"],
                                    bias_std=net["weight_gain"] if net["bias_init"] == "normal"
                                    else 0.0, topology=net["topology"])
        base = layered(net["layers"], rng=rng, name=self.name, activation=net["activation"],
                       output_activation=net["output_activation"] or None,
                       weight_init=net["weight_init"], weight_gain=net["weight_gain"],
                       bias_init=net["bias_init"])
        if net["topology"] == "layered":
            return base
        sw = self.small_world
        return small_world(base, sw["p"], rng=rng, pool=sw["pool"],
                           new_weight_bound=sw["new_weight_bound"] or None, name=self.name)

    def adjacency(self) -> np.ndarray:
        """A directed topology's adjacency matrix (A[i, j]: connection i → j)."""
        return _adjacency(self.network, self.directed)

    def dynamics_settings(self) -> Dynamics:
        d = self.dynamics
        return Dynamics(d["epsilon"], d["schedule"], d["nudge"], d["leak"], d["outgoing_decay"])

    def ep_settings(self) -> EPSettings:
        return EPSettings(beta=self.learning["beta"], free_steps=self.dynamics["free_steps"],
                          nudged_steps=self.dynamics["nudged_steps"],
                          estimator=self.learning["estimator"], beta_sign=self.learning["beta_sign"],
                          free_tol=self.dynamics["free_tol"] or None,
                          trajectory_rates=(self.learning["trajectory_beta0"],
                                            self.learning["trajectory_beta1"]))

    def pruning(self) -> Pruning | None:
        """The per-epoch pruning, or None when ``prune_threshold`` is 0 (off)."""
        learning = self.learning
        if not learning["prune_threshold"]:
            return None
        return Pruning(learning["prune_threshold"], learning["prune_temperature"],
                       learning["prune_permanent"])

    @property
    def eval_steps(self) -> int:
        return self.dynamics["eval_steps"] or self.dynamics["free_steps"]

    @property
    def dtype(self) -> type:
        return np.float32 if self.learning["dtype"] == "float32" else np.float64

    def learning_rates(self, network: Network) -> tuple[dict[str, float], dict[str, float]]:
        """Learning rate of every plastic projection and every learnt bias.

        A global ``learning_rate`` applies to all. ``layer_learning_rates[k]`` (layered nets
        only) applies to the projection from layer k to k+1 and to the bias of layer k+1, as in
        Scellier & Bengio's code.
        """
        rates = self.learning["layer_learning_rates"]
        if not rates:
            lr = self.learning["learning_rate"]
            return ({p.name: lr for p in network.projections if p.plastic},
                    {p.name: lr for p in network.free if p.learn_bias})
        proj_lr, bias_lr = {}, {}
        for proj in network.projections:
            k = network.index(proj.pre)
            proj_lr[proj.name] = rates[k]
        for pop in network.free:
            bias_lr[pop.name] = rates[network.index(pop.name) - 1]
        return proj_lr, bias_lr


def load_spec(path: str | Path) -> ModelSpec:
    """Read and validate a model spec file; raise :class:`SpecError` naming the key at fault."""
    return parse_spec(SpecFile.load(path))


def load_spec_dataset(spec: ModelSpec, path: str | None = None) -> Dataset:
    """The spec's data set, read from ``path`` (the command line's ``--data``) when given, else
    from ``[data] path`` or the usual places (:func:`~lava_eqprop.data.datasets.load_dataset`).
    When ``[data] path`` holds no data, the error names the spec file and the key."""
    name, spec_path = spec.data["dataset"], spec.data["path"] or None
    if path is not None or spec_path is None:
        return load_dataset(name, path)
    try:
        return load_dataset(name, spec_path)
    except DataNotFoundError as exc:
        raise DataNotFoundError(f"{spec.path}: [data] path = {spec_path!r}: {exc}") from None


def parse_spec(spec: SpecFile) -> ModelSpec:
    """Validate an already parsed :class:`SpecFile` (see :func:`load_spec`)."""
    spec.check_sections(SECTIONS)
    model = spec.section("model", MODEL_KEYS)
    data = spec.section("data", DATA_KEYS)
    _check_data(spec, data)
    network = spec.section("network", NETWORK_KEYS, subtables=("small_world", "directed", "conv"))
    conv = conv_section(spec, network)
    if network["topology"] not in CONV_TOPOLOGIES and len(network["layers"]) < 2:
        raise spec.error("[network] layers", f"required for topology {network['topology']!r}: "
                         "a list of at least 2 positive integers (neurons per layer)")
    learning = spec.section("learning", LEARNING_KEYS)
    _check_memory(spec, network, conv, learning)
    if conv is not None:
        check_conv_network(spec, network, conv)
    directed = _directed_section(spec, network)
    sw_raw = spec.topology_subtable("small_world", network["topology"], ("small_world",))
    small = None
    if sw_raw is not None:
        small = spec.section("network.small_world", SMALL_WORLD_KEYS, data=sw_raw)
        if len(network["layers"]) < 3:
            raise spec.error("[network] layers", "a small-world net needs at least three layers")
    dynamics = spec.section("dynamics", DYNAMICS_KEYS)
    _check_learning_rates(spec, network, learning)
    _check_directed_learning(spec, network, learning)
    _check_convergence(spec, dynamics, learning)
    if dynamics["persistent"] and dynamics["carry_state"]:
        raise spec.error("[dynamics] carry_state", "a free phase starts from the sample's own "
                         "particle (persistent) or from the previous batch (carry_state), not both")
    return ModelSpec(spec.path, spec.text, model, data, network, small, directed, conv,
                     dynamics, learning)


def _check_data(spec: SpecFile, data: dict) -> None:
    """No path for the embedded digits; a crop padding that leaves some image in every crop."""
    if data["dataset"] == "digits" and data["path"]:
        raise spec.error("[data] path", f"= {data['path']!r}, but the digits data set ships with "
                         "scikit-learn and reads no file: remove path")
    side = IMAGE_SIDES[data["dataset"]]
    if data["crop_padding"] >= side:
        raise spec.error("[data] crop_padding", f"= {data['crop_padding']}; expected an integer "
                         f"in [0, {side - 1}]: {data['dataset']} images are {side}x{side} pixels, "
                         "and a wider padding gives crops of padding alone")


def _check_memory(spec: SpecFile, network: dict, conv: dict | None, learning: dict) -> None:
    """Refuse a net too large for this machine before anything is allocated."""
    problem = memory_problem(network_footprint(network, conv), learning["dtype"],
                             learning["batch_size"])
    if problem is not None:
        raise spec.error("[network.conv]" if conv is not None else "[network] layers", problem)


def _directed_section(spec: SpecFile, network: dict) -> dict | None:
    """``[network.directed]`` (edges, adjacency or a number of random connections) of
    topology = 'directed'; the sizes and initialisation of both directed topologies."""
    topology = network["topology"]
    if topology not in DIRECTED:
        spec.topology_subtable("directed", topology, ("directed",))
        return None
    raw = spec.topology_subtable("directed", topology, DIRECTED, required=False)
    if len(network["layers"]) != 3:
        raise spec.error("[network] layers", f"a {topology} net takes [inputs, hidden, outputs] "
                         f"neuron counts, got {network['layers']}")
    if network["weight_init"] != "normal" or network["bias_init"] not in ("normal", "zeros"):
        raise spec.error("[network] weight_init", f"a {topology} net draws weights from N(0, "
                         "weight_gain²): use weight_init = 'normal' and bias_init = 'normal' or "
                         "'zeros'")
    if topology == "complete_directed":
        if raw is not None:
            raise spec.error("[network.directed]", "a complete directed net has every connection;"
                             " use topology = 'directed' to give edges or an adjacency matrix")
        return None
    if raw is None:
        raise spec.error("[network.directed]", "required when topology = 'directed' (edges, "
                         "adjacency or connections)")
    directed = spec.section("network.directed", DIRECTED_KEYS, data=raw)
    if sum(bool(directed[k]) for k in ("edges", "adjacency", "connections")) != 1:
        raise spec.error("[network.directed]", "give exactly one of edges ([[i, j], ...]), "
                         "adjacency (an N x N matrix of 0/1) and connections (how many, drawn "
                         "at random from the complete graph's with [network] seed)")
    try:
        directed_network(network["layers"], _adjacency(network, directed),
                         rng=np.random.default_rng(0))
    except (NetworkError, ValueError, TypeError) as exc:
        raise spec.error("[network.directed]", str(exc)) from None
    return directed


def _adjacency(network: dict, directed: dict | None) -> np.ndarray:
    sizes = network["layers"]
    if directed is None:
        return complete_adjacency(sizes)
    if directed["edges"]:
        return adjacency_from_edges(sizes, directed["edges"])
    if directed["connections"]:
        return random_adjacency(sizes, directed["connections"],
                                np.random.default_rng(network["seed"]))
    return np.array(directed["adjacency"], dtype=bool)


def _check_directed_learning(spec: SpecFile, network: dict, learning: dict) -> None:
    directed = network["topology"] in DIRECTED
    if learning["estimator"] == "asymmetric" and not directed:
        raise spec.error("[learning] estimator", "'asymmetric' updates directed connections: it "
                         "needs topology = 'complete_directed' or 'directed'")
    if learning["prune_threshold"] and not directed:
        raise spec.error("[learning] prune_threshold", "pruning removes directed connections: it "
                         "needs topology = 'complete_directed' or 'directed'")


def _check_learning_rates(spec: SpecFile, network: dict, learning: dict) -> None:
    rates = learning["layer_learning_rates"]
    if bool(rates) == bool(learning["learning_rate"]):
        raise spec.error("[learning]", "give exactly one of learning_rate (one global rate) and "
                         "layer_learning_rates (one per layer pair)")
    if rates:
        if network["topology"] != "layered":
            raise spec.error("[learning] layer_learning_rates", "per-layer rates need topology = "
                             "'layered' (a small-world net has layer-skipping projections: use "
                             "learning_rate)")
        pairs = len(network["layers"]) - 1
        if len(rates) != pairs:
            raise spec.error("[learning] layer_learning_rates", f"has {len(rates)} rates but "
                             f"layers {network['layers']} has {pairs} layer pairs")


def _check_convergence(spec: SpecFile, dynamics: dict, learning: dict) -> None:
    """The nudged output, on its own, iterates s ← a·s + const: it must contract, |a| < 1.

    joint: a = 1 − ε(λ + βc); split: a = (1 − ελ)(1 − εβc) (c = 1 or 2, the loss scale, λ the
    leak). With the outgoing-weight decay the rate depends on the weights: not checked here.
    """
    if dynamics["outgoing_decay"]:
        return
    c = LOSSES[learning["loss"]].scale
    eps, beta, leak = dynamics["epsilon"], learning["beta"], dynamics["leak"]
    if dynamics["nudge"] == "joint":
        factor = 1.0 - eps * (leak + beta * c)
    else:
        factor = (1.0 - eps * leak) * (1.0 - eps * beta * c)
    if abs(factor) >= 1.0:
        raise spec.error("[learning] beta", f"with epsilon = {eps}, nudge = {dynamics['nudge']!r} "
                         f"and loss {learning['loss']!r} the nudged output is multiplied by "
                         f"{factor:g} per step: it would not converge; lower beta or epsilon")
