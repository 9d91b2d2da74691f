"""The loihi2 graph under GraphRun: one message per sample, a failing model named, a stuck
graph caught by the watchdog, and nothing left behind (faults injected as in
test_runner_failures: a model's method patched before Lava forks)."""

import time

import numpy as np
import pytest

from lava_eqprop.engine.relaxation import Dynamics
from lava_eqprop.errors import LavaRunError
from tests.lava_backend.test_runner_failures import assert_clean, shm_segments

pytestmark = pytest.mark.lava


def loihi2_graph(watchdog_seconds=20.0):
    from lava_eqprop.engine.estimators import EPSettings
    from lava_eqprop.lava_backend.loihi2.graph import build_loihi2_graph
    from lava_eqprop.lava_backend.schedule import training_schedule
    from lava_eqprop.lava_backend.settings import LavaSettings
    from lava_eqprop.network.generators import layered

    net = layered([5, 4, 3], rng=np.random.default_rng(0))
    rng = np.random.default_rng(1)
    x, t = rng.uniform(0, 1, (3, 5)), np.eye(3)[rng.integers(3, size=3)]
    schedule = training_schedule(3, 1, EPSettings(beta=0.5, free_steps=6, nudged_steps=3), rng)
    settings = LavaSettings(dynamics=Dynamics(epsilon=0.5), watchdog_seconds=watchdog_seconds, target="loihi2",
                            weight_rates={p.name: 0.25 for p in net.projections})
    return build_loihi2_graph(net, settings, schedule, x, t), schedule


def test_one_prediction_per_sample_and_a_clean_exit():
    from lava_eqprop.lava_backend.runner import GraphRun

    before = shm_segments()
    graph, schedule = loihi2_graph()
    results = []
    with GraphRun(graph) as run:
        run.run(schedule.steps, results.append, expected=schedule.batches)
    assert [int(r[0]) for r in results] == [0, 1, 2]
    assert all(0 <= r[1] < 3 for r in results)
    assert_clean(before)


def test_a_failing_population_is_named(monkeypatch):
    from lava_eqprop.lava_backend.procs.learning_population import models
    from lava_eqprop.lava_backend.runner import GraphRun

    original = models.PyLearningRatePopulationModelFloat.run_spk

    def faulty(self):
        if self.proc_params["name"] == "h1" and self.time_step >= 5:
            raise ValueError("injected fault")
        original(self)

    monkeypatch.setattr(models.PyLearningRatePopulationModelFloat, "run_spk", faulty)
    before = shm_segments()
    graph, schedule = loihi2_graph()
    with pytest.raises(LavaRunError, match=r"'h1' failed: ValueError: injected fault"):
        with GraphRun(graph) as run:
            run.run(schedule.steps, lambda r: None)
    assert_clean(before)


def test_a_stuck_readout_trips_the_watchdog(monkeypatch):
    from lava_eqprop.lava_backend.procs.loihi2_io import models
    from lava_eqprop.lava_backend.runner import GraphRun

    original = models.PyPredictionReadoutModelFloat.run_spk

    def stuck(self):
        if self.time_step >= 4:
            time.sleep(3600)
        original(self)

    monkeypatch.setattr(models.PyPredictionReadoutModelFloat, "run_spk", stuck)
    before = shm_segments()
    graph, schedule = loihi2_graph(watchdog_seconds=1.0)
    start = time.monotonic()
    with pytest.raises(LavaRunError, match="watchdog_seconds"):
        with GraphRun(graph) as run:
            run.run(schedule.steps, lambda r: None)
    assert time.monotonic() - start < 15
    assert_clean(before)
