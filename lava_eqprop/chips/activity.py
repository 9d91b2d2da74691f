"""What a network does per sample, counted on the reference engine's dynamics: the messages and
synaptic operations that the chip energy model charges (:class:`~lava_eqprop.chips.energy.
Activity`), without a Lava run, out of reach for a 13-layer CIFAR net on a CPU.

The counting is the Lava graphs' (the rate populations, the data source and the plastic
synapses of :mod:`lava_eqprop.lava_backend.procs`) applied to the engine's states, step by step,
samples one after another:

* a free population sends δ = s − ŝ, ŝ what it has sent so far, where |δ| > θ (θ = 0: every
  neuron, every step), and its neighbours' drives read ŝ (:mod:`lava_eqprop.engine.events`):
  the dynamics are the event-driven graph's, not the engine's own; the clamped input sends at
  its load step only, where it changed;
* a message from neuron i is one synaptic operation per synapse out of i (both directions of a
  symmetric projection, none into the input); at θ = 0 every free neuron's synapses count
  every step, as the dense messages of the Lava graphs do;
* a sample's phases: load (the free populations reset to 0), free (T_free steps), then per β of
  the estimator (+β; or +β and −β, symmetric) a nudged phase of T_nudged steps from the free
  state, each after the first preceded by one restore step back to it; inference is load and
  a free phase of ``eval_steps`` steps.

At θ = 0 the counts do not depend on the states, and the dynamics are not run.

A step of a schedule with g groups (odd/even, colouring) updates the groups in turn: a chip
needs g time steps for it, and the phases' step counts say so; the Lava graphs' synchronous
schedule has one group.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lava_eqprop.chips.energy import Activity
from lava_eqprop.chips.pathways import pathways
from lava_eqprop.engine.estimators import EPSettings
from lava_eqprop.engine.events import Messages
from lava_eqprop.engine.loss import SquaredError, get_loss
from lava_eqprop.engine.relaxation import Clamped, Dynamics, Relaxer, State
from lava_eqprop.errors import DataNotFoundError
from lava_eqprop.network.network import Network
from lava_eqprop.spec.model_spec import ModelSpec, load_spec_dataset

PHASES = ("load", "free", "nudged", "restore")
RANDOM_INPUTS = "random"


def activity_inputs(spec: ModelSpec, network: Network, path: Path | None, samples: int,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray, str]:
    """``samples`` training inputs of the spec's data set (rows), their one-hot targets and
    the data set's name; when the data set's files are not found and no ``path`` was given,
    random inputs of the input population's size (standard normal if the spec normalises its
    data, else uniform in [0, 1]) and random classes, named :data:`RANDOM_INPUTS`."""
    try:
        data = load_spec_dataset(spec, None if path is None else str(path))
    except DataNotFoundError:
        if path is not None:
            raise
        rng = np.random.default_rng(seed)
        size, classes = network.inputs[0].size, network.outputs[0].size
        x = (rng.standard_normal((samples, size)) if spec.data.normalise
             else rng.uniform(0.0, 1.0, (samples, size)))
        return x, np.eye(classes)[rng.integers(classes, size=samples)], RANDOM_INPUTS
    data = data.subset(train=samples)
    x = data.x_train.reshape(len(data.x_train), -1).astype(float)
    return x, np.eye(data.num_classes)[data.y_train], spec.data.dataset


class _Counter(Messages):
    """The messages of one sample at a time (batch 1) and what they cost: events by
    population and phase, synaptic operations by phase."""

    def __init__(self, network: Network, threshold: float) -> None:
        super().__init__({pop.name: pop.size for pop in network.free}, 1, threshold)
        self.fan_out = {pop.name: np.zeros(pop.size) for pop in network.populations}
        for w in pathways(network):
            self.fan_out[w.source] += w.synapses.column_counts()
        self.input = network.inputs[0].name
        self.last_input = np.zeros(network.inputs[0].size)
        self.events = {pop.name: dict.fromkeys(PHASES, 0.0) for pop in network.populations}
        self.synops = dict.fromkeys(PHASES, 0.0)
        self.phase = "load"

    def sent(self, name: str, moved: np.ndarray | None) -> None:
        if moved is None:
            self.events[name][self.phase] += self.fan_out[name].size
            self.synops[self.phase] += float(self.fan_out[name].sum())
        else:
            self.events[name][self.phase] += int(moved.sum())
            self.synops[self.phase] += float(self.fan_out[name][moved.ravel()].sum())

    def step(self, phase: str, values: dict[str, np.ndarray]) -> None:
        """A step outside the dynamics (load, restore): the free populations send ``values``."""
        self.phase = phase
        self.send(list(self.seen), values)

    def load(self, x: np.ndarray) -> None:
        """The load step: the new input where it changed, the free populations reset to 0."""
        changed = x != self.last_input
        self.last_input = x.copy()
        self.events[self.input]["load"] += x.size if self.threshold == 0 else int(changed.sum())
        self.synops["load"] += float(self.fan_out[self.input][changed].sum())
        self.step("load", {name: np.zeros_like(seen) for name, seen in self.seen.items()})

    def activity(self, samples: int, steps: dict[str, int], learns: bool) -> Activity:
        return Activity(steps=steps,
                        events={name: {phase: count / samples for phase, count in by.items()}
                                for name, by in self.events.items()},
                        synops={phase: count / samples for phase, count in self.synops.items()},
                        learns=learns)


def engine_activity(network: Network, dynamics: Dynamics, loss: SquaredError, ep: EPSettings,
                    eval_steps: int, x: np.ndarray, targets: np.ndarray,
                    threshold: float) -> dict[str, Activity]:
    """Per-sample activity of a training pass and of an inference pass over the samples ``x``
    (rows, with one-hot ``targets``) at event threshold ``threshold`` (module docstring); the
    weights do not change."""
    relaxer = Relaxer(network, dynamics, loss)
    groups = len(relaxer.groups)
    betas = [ep.beta, -ep.beta] if ep.estimator == "symmetric" else [ep.beta]
    training, inference = _Counter(network, threshold), _Counter(network, threshold)
    for row in range(len(x)):
        sample, target = x[row:row + 1], targets[row:row + 1]
        clamped = relaxer.clamp({network.inputs[0].name: sample})
        training.load(sample.ravel())
        state = relaxer.zero_state(clamped)
        _run(relaxer, training, state, clamped, ep.free_steps, "free")
        free = state.copy()
        for index, beta in enumerate(betas):
            nudged = free.copy()
            if index:
                training.step("restore", nudged.values)
            _run(relaxer, training, nudged, clamped, ep.nudged_steps, "nudged", beta, target)
        inference.load(sample.ravel())
        _run(relaxer, inference, relaxer.zero_state(clamped), clamped, eval_steps, "free")
    steps = {"load": 1, "free": ep.free_steps * groups,
             "nudged": len(betas) * ep.nudged_steps * groups, "restore": len(betas) - 1}
    return {"training": training.activity(len(x), steps, learns=True),
            "inference": inference.activity(
                len(x), {"load": 1, "free": eval_steps * groups, "nudged": 0, "restore": 0},
                learns=False)}


def spec_activity(spec: ModelSpec, network: Network, x: np.ndarray, targets: np.ndarray,
                  threshold: float) -> dict[str, Activity]:
    """:func:`engine_activity` with the spec's dynamics, loss, EP settings and eval steps."""
    return engine_activity(network, spec.dynamics_settings(), get_loss(spec.learning.loss),
                           spec.ep_settings(), spec.eval_steps, x, targets, threshold)


def _run(relaxer: Relaxer, counter: _Counter, state: State, clamped: Clamped, steps: int,
         phase: str, beta: float = 0.0, target: np.ndarray | None = None) -> None:
    """``steps`` steps of the dynamics, their drives read from the messages, counted. At
    θ = 0 every neuron sends every step whatever its state, so the dynamics are not run."""
    counter.phase = phase
    if counter.threshold == 0:
        for _ in range(steps):
            counter.send(list(counter.seen), counter.seen)
        return
    relaxer.run(state, clamped, steps, beta, target, messages=counter)
