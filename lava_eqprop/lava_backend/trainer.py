"""Training in Lava: each epoch is one run of a compiled graph that learns by itself.

:class:`LavaTrainer` runs in the epoch loop every trainer shares
(:class:`~lava_eqprop.training.run.TrainingRun`: same checkpoints, resume, summary.json and
plots), with the epoch done by a Lava graph: the host
compiles the network with the epoch's schedule (same permutation and β signs as the engine
would draw), runs it under the watchdog, counts the readout's predictions as they arrive, and
reads the learnt weights back once at the end. The test error comes from an inference graph.
On the ``cpu`` target per-layer update magnitudes are measured inside the synapses, over every
update of the epoch; on the ``loihi2`` target (Lava's stock learning synapses, simulated on this
machine) they are the epoch's net change per update, and events are not counted.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np

from lava_eqprop.capabilities import lava_backend
from lava_eqprop.data.datasets import Dataset
from lava_eqprop.lava_backend.graph import EPGraph, build_graph
from lava_eqprop.lava_backend.inference import collect_predictions, lava_predict
from lava_eqprop.lava_backend.loihi2.graph import build_loihi2_graph
from lava_eqprop.lava_backend.readback import (
    read_counters,
    read_loihi2_parameters,
    read_parameters,
)
from lava_eqprop.lava_backend.runner import GraphRun
from lava_eqprop.lava_backend.schedule import training_schedule
from lava_eqprop.lava_backend.settings import settings_from_spec
from lava_eqprop.spec.model_spec import ModelSpec
from lava_eqprop.training.reporting import progress_bar
from lava_eqprop.training.run import TrainingRun


class LavaTrainer(TrainingRun):
    """Trains a model spec in Lava (see the module docstring). ``lava_options`` go to
    :func:`~lava_eqprop.lava_backend.settings.settings_from_spec` (batch, precision,
    event_threshold, watchdog_seconds, chip, weight_bits, target); other arguments:
    :class:`~lava_eqprop.training.run.TrainingRun`."""

    def __init__(self, spec: ModelSpec, dataset: Dataset, out_dir: str | Path | None, *,
                 lava_options: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.lava_options = lava_options or {}
        backend = lava_backend(self.lava_options.get("target", "cpu"),
                               self.lava_options.get("precision", "float"))
        super().__init__(spec, dataset, out_dir, backend=backend, **kwargs)

    def setup(self) -> None:
        self.settings = self.spec.ep_settings()
        self.lava = settings_from_spec(self.spec, self.network, **self.lava_options)

    def train_epoch(self, epoch: int, epochs: int) -> dict[str, Any]:
        n = len(self.x_train)
        schedule = training_schedule(n, self.lava.batch, self.settings, self.rng)
        loihi2 = self.lava.target == "loihi2"
        build = build_loihi2_graph if loihi2 else build_graph
        graph = build(self.network, self.lava, schedule, self.x_train, self.t_train)
        bar = progress_bar(schedule.batches, f"epoch {epoch}/{epochs} (lava)", self.progress)
        on_result, predictions, samples = collect_predictions(
            schedule, on_batch=(lambda b: bar.update(1)) if bar is not None else None)
        start = time.perf_counter()
        with GraphRun(graph) as run:
            run.run(schedule.steps, on_result, expected=schedule.batches)
            seconds = time.perf_counter() - start
            if isinstance(graph, EPGraph):
                read_parameters(run, graph)
                counters = read_counters(run, graph, n)
            else:
                counters = read_loihi2_parameters(run, graph, n)
        if bar is not None:
            bar.close()
        wrong = int(np.sum(predictions != self.dataset.y_train[samples]))
        eval_start = time.perf_counter()
        labels, eval_counters = lava_predict(self.network, self.lava, self.x_test,
                                             self.spec.eval_steps, self.dataset.num_classes)
        test_error = float(np.mean(labels != self.dataset.y_test)) if len(labels) else float("nan")
        record = self.epoch_record(
            epoch=epoch, train_error=wrong / n, test_error=test_error, persistent=None,
            seconds=seconds, eval_seconds=time.perf_counter() - eval_start,
            mean_free_steps=float(self.settings.free_steps), mean_dw=counters["mean_abs_dw"],
            rms_dw=counters["rms_dw"])
        return record | {
            "backend": {"name": "lava", "target": self.lava.target,
                        "precision": self.lava.precision, "batch": self.lava.batch,
                        "event_threshold": self.lava.event_threshold,
                        "chip": dataclasses.asdict(self.lava.chip) if self.lava.chip else None},
            "events_per_sample": counters.get("events"),
            "synops_per_sample": counters.get("synops"),
            "eval_events_per_sample": eval_counters.get("events"),
            "eval_synops_per_sample": eval_counters.get("synops"),
            "saturations_per_sample": counters.get("saturations"),
            "mirror_mismatch": counters.get("mirror_mismatch"),
        }
