"""Model specs (``models/*.toml``): a network, its dynamics and how to train it, validated.

A spec has the sections ``[model]``, ``[data]``, ``[network]`` (with ``[network.small_world]``,
``[network.directed]`` or ``[network.conv]`` for those topologies), ``[dynamics]`` and
``[learning]``, each a typed frozen dataclass (:mod:`lava_eqprop.spec.sections`, whose key
declarations the spec reference in the docs is generated from). :func:`load_spec` reads and
validates a file, including what spans several keys; :meth:`ModelSpec.build_network` generates
the network from the spec's seed, so the same spec always gives the same initial network;
:meth:`ModelSpec.with_overrides` gives a spec with some keys changed, validated again, its
TOML text kept in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from lava_eqprop.data.datasets import IMAGE_SIDES, Dataset, load_dataset
from lava_eqprop.engine.estimators import EPSettings
from lava_eqprop.engine.loss import LOSSES
from lava_eqprop.engine.relaxation import Dynamics
from lava_eqprop.engine.solvers import SolverSettings
from lava_eqprop.errors import DataNotFoundError, NetworkError, SpecError
from lava_eqprop.network.conv_nets import conv_network
from lava_eqprop.network.directed import (
    adjacency_from_edges,
    complete_adjacency,
    directed_network,
    random_adjacency,
)
from lava_eqprop.network.generators import layered, small_world
from lava_eqprop.network.network import Network
from lava_eqprop.schema import SpecFile
from lava_eqprop.spec.conv_section import ConvSection, check_conv_network, conv_layers, conv_section
from lava_eqprop.spec.footprint import memory_problem, network_footprint
from lava_eqprop.spec.sections import (
    CONV_TOPOLOGIES,
    DIRECTED,
    DataSection,
    DirectedSection,
    DynamicsSection,
    LearningSection,
    ModelSection,
    NetworkSection,
    SmallWorldSection,
)

SECTIONS = {"model": True, "data": True, "network": True, "dynamics": True, "learning": True}
SUBTABLES = ("small_world", "directed", "conv")


@dataclass(frozen=True)
class ModelSpec:
    """A validated model spec. ``text`` is the TOML source, stored in checkpoints."""

    path: str
    text: str
    model: ModelSection
    data: DataSection
    network: NetworkSection
    small_world: SmallWorldSection | None
    directed: DirectedSection | None
    conv: ConvSection | None
    dynamics: DynamicsSection
    learning: LearningSection

    @property
    def name(self) -> str:
        return self.model.name

    def with_overrides(self, overrides: Mapping[str, Mapping[str, Any]],
                       origin: str = "overridden") -> ModelSpec:
        """This spec with the keys of ``overrides`` ({section: {key: value}}, e.g.
        ``{"dynamics": {"epsilon": 0.5}}``; a subtable as ``"network.conv"``) replaced, validated
        again like a file; its ``text`` is the TOML of the result. Errors name this spec's path
        followed by ``origin``."""
        table = SpecFile.parse(self.text, self.path).data
        merged = {name: dict(section) if isinstance(section, Mapping) else section
                  for name, section in table.items()}
        for dotted, values in overrides.items():
            target = merged
            for part in dotted.split("."):
                if not isinstance(target.get(part, {}), Mapping):
                    raise SpecError(f"{self.path}: cannot override [{dotted}]: not a table")
                target[part] = dict(target.get(part, {}))
                target = target[part]
            target.update(values)
        suffix = f" ({origin})"
        path = self.path if self.path.endswith(suffix) else self.path + suffix
        return parse_spec(SpecFile.parse(tomli_w.dumps(merged), path))

    def with_keys(self, overrides: Mapping[str, Any], origin: str = "overridden") -> ModelSpec:
        """:meth:`with_overrides` with the keys dotted: ``{"dynamics.free_steps": 20,
        "network.small_world.p": 0.2}``."""
        grouped: dict[str, dict[str, Any]] = {}
        for dotted, value in overrides.items():
            if "." not in dotted:
                raise SpecError(f"{self.path} ({origin}): {dotted!r}: a spec key is written "
                                "\"section.key\" (e.g. \"learning.learning_rate\")")
            section, name = dotted.rsplit(".", 1)
            grouped.setdefault(section, {})[name] = value
        return self.with_overrides(grouped, origin)

    def build_network(self) -> Network:
        """Generate the initial network (same spec and seed → same network), carrying this
        spec's text."""
        network = self._generate_network()
        network.spec_text = self.text
        return network

    def _generate_network(self) -> Network:
        net = self.network
        rng = np.random.default_rng(net.seed)
        if self.conv is not None:
            layers, skips, gains = conv_layers(net.topology, self.conv, net.seed)
            return conv_network(self.conv.input_shape, layers, self.conv.classes, rng=rng,
                                skips=skips, name=self.name, activation=net.activation,
                                output_activation=net.output_activation or "linear",
                                gains=gains, bias_init=net.bias_init, topology=net.topology)
        if net.topology in DIRECTED:
            return directed_network(net.layers, self.adjacency(), rng=rng, name=self.name,
                                    activation=net.activation, weight_std=net.weight_gain,
                                    bias_std=net.weight_gain if net.bias_init == "normal"
                                    else 0.0, topology=net.topology)
        base = layered(net.layers, rng=rng, name=self.name, activation=net.activation,
                       output_activation=net.output_activation or None,
                       weight_init=net.weight_init, weight_gain=net.weight_gain,
                       bias_init=net.bias_init)
        if self.small_world is None:
            return base
        sw = self.small_world
        return small_world(base, sw.p, rng=rng, pool=sw.pool,
                           new_weight_bound=sw.new_weight_bound or None, name=self.name)

    def adjacency(self) -> np.ndarray:
        """A directed topology's adjacency matrix (A[i, j]: connection i → j)."""
        return _adjacency(self.network, self.directed)

    def dynamics_settings(self) -> Dynamics:
        d = self.dynamics
        return Dynamics(d.epsilon, d.schedule, d.nudge, d.leak, d.outgoing_decay)

    def ep_settings(self) -> EPSettings:
        d, learning = self.dynamics, self.learning
        return EPSettings(beta=learning.beta, free_steps=d.free_steps,
                          nudged_steps=d.nudged_steps, estimator=learning.estimator,
                          beta_sign=learning.beta_sign,
                          solver=SolverSettings(d.solver, d.tol, d.ode_tol),
                          nudged_solver=(SolverSettings(d.nudged_solver or d.solver,
                                                        d.nudged_phase_tol, d.ode_tol)
                                         if d.nudged_solver or d.nudged_phase_tol != d.tol
                                         else None),
                          trajectory_rates=(learning.trajectory_beta0, learning.trajectory_beta1))

    @property
    def eval_steps(self) -> int:
        return self.dynamics.eval_steps or self.dynamics.free_steps

    @property
    def dtype(self) -> type:
        return np.float32 if self.learning.dtype == "float32" else np.float64

    def learning_rates(self, network: Network) -> tuple[dict[str, float], dict[str, float]]:
        """Learning rate of every plastic projection and every learnt bias.

        A global ``learning_rate`` applies to all. ``layer_learning_rates[k]`` (layered nets
        only) applies to the projection from layer k to k+1 and to the bias of layer k+1, as in
        Scellier & Bengio's code.
        """
        rates = self.learning.layer_learning_rates
        if not rates:
            lr = self.learning.learning_rate
            return ({p.name: lr for p in network.projections if p.plastic},
                    {p.name: lr for p in network.free if p.learn_bias})
        proj_lr = {proj.name: rates[network.index(proj.pre)] for proj in network.projections}
        bias_lr = {pop.name: rates[network.index(pop.name) - 1] for pop in network.free}
        return proj_lr, bias_lr


def load_spec(path: str | Path) -> ModelSpec:
    """Read and validate a model spec file; raise :class:`SpecError` naming the key at fault."""
    return parse_spec(SpecFile.load(path))


def spec_from_table(table: Mapping[str, Any], origin: str = "<spec given as a table>"
                    ) -> ModelSpec:
    """Validate a spec given as nested mappings (``{"model": {"name": ...}, "network": {...}}``,
    as a TOML file reads). Its ``text`` is the table written as TOML, so that a checkpoint
    stores it and a resume compares it as it does a file's; errors name ``origin``."""
    try:
        text = tomli_w.dumps(table)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{origin}: cannot be written as TOML ({exc}): use numbers, strings, "
                        "booleans, lists and tables") from None
    return parse_spec(SpecFile.parse(text, origin))


def load_spec_dataset(spec: ModelSpec, path: str | None = None) -> Dataset:
    """The spec's data set, read from ``path`` (the command line's ``--data``) when given, else
    from ``[data] path`` or the usual places (:func:`~lava_eqprop.data.datasets.load_dataset`).
    When that path holds no data, the error names it: ``--data`` or the spec file and key."""
    name, spec_path = spec.data.dataset, spec.data.path or None
    where = f"--data {path!r}" if path is not None else f"{spec.path}: [data] path = {spec_path!r}"
    try:
        dataset = load_dataset(name, path if path is not None else spec_path)
    except DataNotFoundError as exc:
        if path is None and spec_path is None:
            raise
        raise DataNotFoundError(f"{where}: {exc}") from None
    return dataset.with_validation_in_training() if spec.data.train_on_validation else dataset


def parse_spec(spec: SpecFile) -> ModelSpec:
    """Validate an already parsed :class:`SpecFile` (see :func:`load_spec`)."""
    spec.check_sections(SECTIONS)
    model = spec.section(ModelSection, "model")
    data = spec.section(DataSection, "data")
    _check_data(spec, data)
    network = spec.section(NetworkSection, "network", subtables=SUBTABLES)
    conv = conv_section(spec, network)
    if network.topology not in CONV_TOPOLOGIES and len(network.layers) < 2:
        raise spec.error("[network] layers", f"required for topology {network.topology!r}: "
                         "a list of at least 2 positive integers (neurons per layer)")
    learning = spec.section(LearningSection, "learning")
    _check_memory(spec, network, conv, learning)
    if conv is not None:
        check_conv_network(spec, network, conv)
    directed = _directed_section(spec, network)
    sw_raw = spec.topology_subtable("small_world", network.topology, ("small_world",))
    small = None
    if sw_raw is not None:
        small = spec.section(SmallWorldSection, "network.small_world", data=sw_raw)
        if len(network.layers) < 3:
            raise spec.error("[network] layers", "a small-world net needs at least three layers")
    dynamics = spec.section(DynamicsSection, "dynamics")
    _check_learning_rates(spec, network, learning)
    _check_directed_learning(spec, network, learning)
    _check_skip_removal(spec, network, learning)
    _check_convergence(spec, dynamics, learning)
    _check_solver(spec, network, dynamics, learning)
    if dynamics.persistent and dynamics.carry_state:
        raise spec.error("[dynamics] carry_state", "a free phase starts from the sample's own "
                         "particle (persistent) or from the previous batch (carry_state), not both")
    return ModelSpec(spec.path, spec.text, model, data, network, small, directed, conv,
                     dynamics, learning)


def _check_data(spec: SpecFile, data: DataSection) -> None:
    """No path for the embedded digits; validation images in training for MNIST alone; a crop
    padding that leaves some image in every crop."""
    if data.dataset == "digits" and data.path:
        raise spec.error("[data] path", f"= {data.path!r}, but the digits data set ships with "
                         "scikit-learn and reads no file: remove path")
    if data.train_on_validation and data.dataset != "mnist":
        raise spec.error("[data] train_on_validation", f"= true, but only mnist's mnist.pkl.gz "
                         f"keeps validation images apart, not {data.dataset}: remove the key")
    side = IMAGE_SIDES[data.dataset]
    if data.crop_padding >= side:
        raise spec.error("[data] crop_padding", f"= {data.crop_padding}; expected an integer "
                         f"in [0, {side - 1}]: {data.dataset} images are {side}x{side} pixels, "
                         "and a wider padding gives crops of padding alone")


def _check_memory(spec: SpecFile, network: NetworkSection, conv: ConvSection | None,
                  learning: LearningSection) -> None:
    """Refuse a net too large for this machine before anything is allocated."""
    problem = memory_problem(network_footprint(network, conv), learning.dtype,
                             learning.batch_size)
    if problem is not None:
        raise spec.error("[network.conv]" if conv is not None else "[network] layers", problem)


def _directed_section(spec: SpecFile, network: NetworkSection) -> DirectedSection | None:
    """``[network.directed]`` (edges, adjacency or a number of random connections) of
    topology = 'directed'; the sizes and initialisation of both directed topologies."""
    topology = network.topology
    if topology not in DIRECTED:
        spec.topology_subtable("directed", topology, ("directed",))
        return None
    raw = spec.topology_subtable("directed", topology, DIRECTED, required=False)
    if len(network.layers) != 3:
        raise spec.error("[network] layers", f"a {topology} net takes [inputs, hidden, outputs] "
                         f"neuron counts, got {list(network.layers)}")
    if network.weight_init != "normal" or network.bias_init not in ("normal", "zeros"):
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
    directed = spec.section(DirectedSection, "network.directed", data=raw)
    if sum(bool(v) for v in (directed.edges, directed.adjacency, directed.connections)) != 1:
        raise spec.error("[network.directed]", "give exactly one of edges ([[i, j], ...]), "
                         "adjacency (an N x N matrix of 0/1) and connections (how many, drawn "
                         "at random from the complete graph's with [network] seed)")
    try:
        directed_network(network.layers, _adjacency(network, directed),
                         rng=np.random.default_rng(0))
    except (NetworkError, ValueError, TypeError) as exc:
        raise spec.error("[network.directed]", str(exc)) from None
    return directed


def _adjacency(network: NetworkSection, directed: DirectedSection | None) -> np.ndarray:
    sizes = list(network.layers)
    if directed is None:
        return complete_adjacency(sizes)
    if directed.edges:
        return adjacency_from_edges(sizes, [list(e) for e in directed.edges])
    if directed.connections:
        return random_adjacency(sizes, directed.connections, np.random.default_rng(network.seed))
    return np.array(directed.adjacency, dtype=bool)


def _check_directed_learning(spec: SpecFile, network: NetworkSection,
                             learning: LearningSection) -> None:
    directed = network.topology in DIRECTED
    if learning.estimator == "asymmetric" and not directed:
        raise spec.error("[learning] estimator", "'asymmetric' updates directed connections: it "
                         "needs topology = 'complete_directed' or 'directed'")
    if learning.prune_threshold and not directed:
        raise spec.error("[learning] prune_threshold", "pruning removes directed connections: it "
                         "needs topology = 'complete_directed' or 'directed'")


def _check_skip_removal(spec: SpecFile, network: NetworkSection,
                        learning: LearningSection) -> None:
    """Skips are removed from small-world nets, starting after a trained epoch and ending by
    the last one."""
    if learning.remove_skips == "none":
        for key in ("remove_skips_after", "remove_skips_over"):
            if key in spec.data.get("learning", {}):
                raise spec.error(f"[learning] {key}", "set, but remove_skips is 'none': choose "
                                 "remove_skips = 'at_once' or 'fade'")
        return
    if network.topology != "small_world":
        raise spec.error("[learning] remove_skips", "removes a small-world net's layer-skipping "
                         f"connections: it needs topology = 'small_world', not "
                         f"{network.topology!r}")
    if learning.remove_skips_after < 1:
        raise spec.error("[learning] remove_skips_after", "the epoch after which the skips are "
                         "removed: at least 1 (the net trains with them first)")
    span = learning.remove_skips_over if learning.remove_skips == "fade" else 1
    if learning.remove_skips_after + span - 1 > learning.epochs:
        raise spec.error("[learning] remove_skips_after", f"the removal would end after epoch "
                         f"{learning.remove_skips_after + span - 1}, past the last of the "
                         f"{learning.epochs} epochs")


def _check_solver(spec: SpecFile, network: NetworkSection, dynamics: DynamicsSection,
                  learning: LearningSection) -> None:
    """Block sweeps need populations without lateral projections and a constant leak, and in
    a nudged phase an output step that contracts for every sign of β used; the adaptive
    integrator follows the joint ODE; the trajectory rule needs every step of the nudged
    trajectory (Euler's at tol = 0, or the adaptive integrator's)."""
    nudged = dynamics.nudged_solver or dynamics.solver
    for key, solver in (("solver", dynamics.solver), ("nudged_solver", nudged)):
        where = f"[dynamics] {key}"
        if solver in ("block", "accelerated"):
            if network.topology in DIRECTED:
                raise spec.error(where, f"{solver!r} sweeps exact block updates, and a "
                                 "directed net's hidden neurons drive each other inside one "
                                 "population: use 'euler' or 'adaptive'")
            if dynamics.outgoing_decay or dynamics.leak <= 0.0:
                raise spec.error(where, f"{solver!r} needs a constant leak > 0 (no "
                                 "outgoing_decay): use 'euler' or 'adaptive'")
        if solver == "adaptive" and dynamics.nudge == "split":
            raise spec.error(where, "'adaptive' integrates the ODE ds/dt = −∂F/∂s, of which "
                             "the split nudge is only a discretisation: use nudge = 'joint'")
    if nudged in ("block", "accelerated"):
        _check_nudged_blocks(spec, dynamics, learning)
    if learning.estimator == "deep" and not (
            nudged == "adaptive" or (nudged == "euler" and dynamics.nudged_phase_tol == 0)):
        raise spec.error("[dynamics] solver", "the 'deep' estimator sums its rule over every "
                         "step of the nudged trajectory: it needs solver = 'euler' with "
                         "tol = 0 (or nudged_tol = 0), or 'adaptive'")


def _check_nudged_blocks(spec: SpecFile, dynamics: DynamicsSection,
                         learning: LearningSection) -> None:
    """A nudged phase solved by blocks sets the output to the fixed point of its own step,
    which exists (and is the limit of the steps) only where that step contracts, for every
    sign the nudge takes: joint, λ + βc > 0 (F convex in the output); split, the step's factor
    |(1 − ελ)(1 − εβc)| < 1. With a negative β the split step can expand (Gammell et al.'s
    ε = 0.5, β = −1, c = 2: factor 1), and only the fixed Euler steps define the phase."""
    c = LOSSES[learning.loss].scale
    signs = (1.0, -1.0) if (learning.estimator == "symmetric"
                            or learning.beta_sign == "random") else (1.0,)
    for sign in signs:
        beta = sign * learning.beta
        if dynamics.nudge == "joint":
            ok, what = dynamics.leak + beta * c > 0, f"λ + βc = {dynamics.leak + beta * c:g}"
        else:
            factor = (1 - dynamics.epsilon * dynamics.leak) * (1 - dynamics.epsilon * beta * c)
            ok, what = abs(factor) < 1, f"the output's step factor is {factor:g}"
        if not ok:
            raise spec.error("[dynamics] nudged_solver", f"with β = {beta:g} {what}: the "
                             "nudged output has no fixed point for blocks to solve; use "
                             "nudged_solver = 'euler' (the fixed nudged steps)")


def _check_learning_rates(spec: SpecFile, network: NetworkSection,
                          learning: LearningSection) -> None:
    rates = learning.layer_learning_rates
    if bool(rates) == bool(learning.learning_rate):
        raise spec.error("[learning]", "give exactly one of learning_rate (one global rate) and "
                         "layer_learning_rates (one per layer pair)")
    if rates:
        if network.topology != "layered":
            raise spec.error("[learning] layer_learning_rates", "per-layer rates need topology = "
                             "'layered' (a small-world net has layer-skipping projections: use "
                             "learning_rate)")
        pairs = len(network.layers) - 1
        if len(rates) != pairs:
            raise spec.error("[learning] layer_learning_rates", f"has {len(rates)} rates but "
                             f"layers {list(network.layers)} has {pairs} layer pairs")


def _check_convergence(spec: SpecFile, dynamics: DynamicsSection,
                       learning: LearningSection) -> None:
    """The nudged output, on its own, iterates s ← a·s + const: it must contract, |a| < 1.

    joint: a = 1 − ε(λ + βc); split: a = (1 − ελ)(1 − εβc) (c = 1 or 2, the loss scale, λ the
    leak). With the outgoing-weight decay the rate depends on the weights: not checked here.
    """
    if dynamics.outgoing_decay:
        return
    c = LOSSES[learning.loss].scale
    eps, beta, leak = dynamics.epsilon, learning.beta, dynamics.leak
    if dynamics.nudge == "joint":
        factor = 1.0 - eps * (leak + beta * c)
    else:
        factor = (1.0 - eps * leak) * (1.0 - eps * beta * c)
    if abs(factor) >= 1.0:
        raise spec.error("[learning] beta", f"with epsilon = {eps}, nudge = {dynamics.nudge!r} "
                         f"and loss {learning.loss!r} the nudged output is multiplied by "
                         f"{factor:g} per step: it would not converge; lower beta or epsilon")
