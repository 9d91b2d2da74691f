"""Inference in Lava: the free phase alone, predictions from the readout (host-side: builds
the graph for ``settings.target``, runs it in Lava's CPU simulation and collects the readout's
messages)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from lava_eqprop.errors import LavaRunError
from lava_eqprop.lava_backend.graph import EPGraph, build_graph
from lava_eqprop.lava_backend.loihi2.graph import Loihi2Graph
from lava_eqprop.lava_backend.loihi2.inference import build_loihi2_inference_graph
from lava_eqprop.lava_backend.readback import read_counters
from lava_eqprop.lava_backend.runner import GraphRun
from lava_eqprop.lava_backend.schedule import Schedule, inference_schedule
from lava_eqprop.lava_backend.settings import LavaSettings
from lava_eqprop.network.network import Network


def collect_predictions(schedule: Schedule, on_batch: Callable[[int], None] | None = None):
    """A readout callback and the array it fills: the prediction of every scheduled sample."""
    predictions = np.full(int(schedule.n_valid.sum()), -1, dtype=np.int64)
    samples = np.full_like(predictions, -1)

    def on_result(message: np.ndarray) -> None:
        batch = int(message[0])
        rows = schedule.order[batch]
        valid = rows >= 0
        start = batch * schedule.order.shape[1]
        predictions[start:start + valid.sum()] = message[1:][valid]
        samples[start:start + valid.sum()] = rows[valid]
        if on_batch is not None:
            on_batch(batch)

    return on_result, predictions, samples


def lava_predict(network: Network, settings: LavaSettings, x: np.ndarray, steps: int,
                 num_classes: int) -> tuple[np.ndarray, dict[str, Any]]:
    """Predicted class of every row of ``x`` after ``steps`` free steps in a Lava graph (no
    learning), and the graph's counters per sample (none on the ``loihi2`` target)."""
    frozen = dataclasses.replace(settings, weight_rates={}, bias_rates={})
    schedule = inference_schedule(len(x), settings.batch, steps)
    graph: EPGraph | Loihi2Graph
    if settings.target == "loihi2":
        graph = build_loihi2_inference_graph(network, frozen, schedule, x)
    else:
        graph = build_graph(network, frozen, schedule, x, np.zeros((len(x), num_classes)))
    on_result, predictions, samples = collect_predictions(schedule)
    counters: dict[str, Any] = {}
    with GraphRun(graph) as run:
        run.run(schedule.steps, on_result, expected=schedule.batches)
        if isinstance(graph, EPGraph):
            counters = read_counters(run, graph, len(x))
    if np.any(samples < 0):
        raise LavaRunError(f"the readout of {network.name!r} did not report every batch")
    labels = np.empty_like(predictions)
    labels[samples] = predictions
    return labels, counters
