"""What a network does per sample in Lava, for the chip energy model: the counters of a short
training pass and of an inference pass (:class:`~lava_eqprop.chips.energy.Activity`)."""

from __future__ import annotations

import dataclasses

import numpy as np

from lava_eqprop.chips.energy import Activity
from lava_eqprop.engine.estimators import EPSettings
from lava_eqprop.lava_backend.graph import build_graph
from lava_eqprop.lava_backend.readback import read_counters
from lava_eqprop.lava_backend.runner import GraphRun
from lava_eqprop.lava_backend.schedule import Schedule, inference_schedule, training_schedule
from lava_eqprop.lava_backend.settings import LavaSettings
from lava_eqprop.network.network import Network


def _measure(network: Network, settings: LavaSettings, schedule: Schedule, x: np.ndarray,
             targets: np.ndarray) -> Activity:
    graph = build_graph(network, settings, schedule, x, targets)
    with GraphRun(graph) as run:
        run.run(schedule.steps, lambda message: None, expected=schedule.batches)
        counters = read_counters(run, graph, len(x))
    return Activity(steps=schedule.steps_by_phase(), events=counters["events_by_population"],
                    synops=counters["synops"], learns=schedule.betas.shape[1] > 0)


def measure_activity(network: Network, settings: LavaSettings, ep: EPSettings, eval_steps: int,
                     x: np.ndarray, targets: np.ndarray, seed: int = 0) -> dict[str, Activity]:
    """Per-sample activity of one training pass over ``x`` (weights change in the graph only;
    ``network`` is left as it is) and of one inference pass of ``eval_steps`` free steps."""
    training = _measure(network, settings,
                        training_schedule(len(x), settings.batch, ep, np.random.default_rng(seed)),
                        x, targets)
    frozen = dataclasses.replace(settings, weight_rates={}, bias_rates={})
    inference = _measure(network, frozen, inference_schedule(len(x), settings.batch, eval_steps),
                         x, targets)
    return {"training": training, "inference": inference}
