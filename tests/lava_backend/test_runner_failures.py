"""A failing or stuck Lava graph becomes one clear error, and nothing is left behind.

Faults are injected by patching a process model's method in this (parent) process before the
graph starts: Lava forks its children, so they run the patched class.
"""

import multiprocessing as mp
import os
import time

import numpy as np
import pytest

from lava_eqprop.errors import LavaRunError
from lava_eqprop.network.generators import layered

pytestmark = pytest.mark.lava


def small_graph(watchdog_seconds=20.0, precision="float"):
    from lava_eqprop.engine.estimators import EPSettings
    from lava_eqprop.lava_backend.graph import build_graph
    from lava_eqprop.lava_backend.schedule import training_schedule
    from lava_eqprop.lava_backend.settings import LavaSettings

    net = layered([5, 4, 3], rng=np.random.default_rng(0))
    rng = np.random.default_rng(1)
    x, t = rng.uniform(0, 1, (6, 5)), np.eye(3)[rng.integers(3, size=6)]
    schedule = training_schedule(6, 2, EPSettings(beta=0.5, free_steps=8, nudged_steps=3), rng)
    settings = LavaSettings(batch=2, precision=precision, watchdog_seconds=watchdog_seconds)
    return build_graph(net, settings, schedule, x, t), schedule


def shm_segments():
    return {name for name in os.listdir("/dev/shm") if name.startswith("psm_")}


def assert_clean(before_shm):
    deadline = time.monotonic() + 5
    while mp.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert mp.active_children() == [], "Lava child processes were left running"
    assert shm_segments() - before_shm == set(), "shared-memory segments were left behind"


def test_a_clean_run_leaves_nothing_behind():
    from lava_eqprop.lava_backend.runner import GraphRun

    before = shm_segments()
    graph, schedule = small_graph()
    results = []
    with GraphRun(graph) as run:
        run.run(schedule.steps, results.append)
    assert [int(r[0]) for r in results] == [0, 1, 2]           # one message per batch, in order
    assert_clean(before)


def test_a_model_that_raises_is_named(monkeypatch):
    from lava_eqprop.lava_backend.procs.rate_population import models
    from lava_eqprop.lava_backend.runner import GraphRun

    original = models.PyRatePopulationModelFloat._step

    def faulty(self, *args):
        if self.proc_params["name"] == "h1" and self.time_step >= 5:
            raise ValueError("injected fault")
        return original(self, *args)

    monkeypatch.setattr(models.PyRatePopulationModelFloat, "_step", faulty)
    before = shm_segments()
    graph, schedule = small_graph()
    start = time.monotonic()
    with pytest.raises(LavaRunError, match=r"'h1' failed: ValueError: injected fault"):
        with GraphRun(graph) as run:
            run.run(schedule.steps, lambda r: None)
    assert time.monotonic() - start < 15
    assert_clean(before)


def test_a_stuck_graph_trips_the_watchdog(monkeypatch):
    from lava_eqprop.lava_backend.procs.readout import models
    from lava_eqprop.lava_backend.runner import GraphRun

    original = models.PyReadoutModelFloat.run_spk

    def stuck(self):
        if self.time_step == 20:
            time.sleep(3600)
        original(self)

    monkeypatch.setattr(models.PyReadoutModelFloat, "run_spk", stuck)
    before = shm_segments()
    graph, schedule = small_graph(watchdog_seconds=2.0)
    start = time.monotonic()
    with pytest.raises(LavaRunError, match="stuck"):
        with GraphRun(graph) as run:
            run.run(schedule.steps, lambda r: None)
    assert time.monotonic() - start < 15
    assert_clean(before)


def test_bad_parameters_are_refused_before_compiling():
    from lava_eqprop.lava_backend.procs.plastic_synapse.process import PlasticSynapse
    from lava_eqprop.lava_backend.procs.rate_population.process import RatePopulation

    with pytest.raises(ValueError, match="population 'h': epsilon must be in"):
        RatePopulation(batch=1, size=3, bias=np.zeros(3), lo=0, hi=1, epsilon=1.5, name="h")
    with pytest.raises(ValueError, match="population 'c': channels must divide size 8, got 3"):
        RatePopulation(batch=1, size=8, bias=np.zeros(8), lo=0, hi=1, epsilon=1, channels=3,
                       name="c")
    with pytest.raises(ValueError, match="synapse 'w': mask shape"):
        PlasticSynapse(batch=1, weight=np.zeros((3, 2)), mask=np.ones((2, 3), bool), name="w")
    with pytest.raises(ValueError, match="precision 'double'"):
        small_graph(precision="double")


class _LatePipe:
    """The host end of the readout's pipe whose listener thread delivers the messages only a
    little after the runtime reports the run done (the order Lava does not guarantee)."""

    def __init__(self, messages):
        self.pending, self.delivered = list(messages), []

    def release_later(self, seconds):
        import threading
        threading.Timer(seconds, lambda: self.delivered.extend(self.pending)).start()

    def probe(self):
        return bool(self.delivered)

    def recv(self):
        return self.delivered.pop(0)


def _run_with_late_messages(n_sent, expected, watchdog_seconds=2.0):
    from types import SimpleNamespace

    from lava_eqprop.lava_backend.runner import GraphRun

    pipe = _LatePipe([np.array([b]) for b in range(n_sent)])
    done_port = SimpleNamespace(probe=lambda: True)
    runtime = SimpleNamespace(service_to_runtime=[done_port], start=lambda condition: None,
                              wait=lambda: pipe.release_later(0.05))
    graph = SimpleNamespace(
        readout=SimpleNamespace(result_out=SimpleNamespace(external_pipe_csp_recv_port=pipe)),
        settings=SimpleNamespace(watchdog_seconds=watchdog_seconds),
        network=SimpleNamespace(name="late"))
    run = GraphRun(graph)
    run._runtime = runtime
    got = []
    run.run(10, lambda message: got.append(int(message[0])), expected=expected)
    return got


def test_results_that_arrive_after_the_run_ends_are_still_collected():
    assert _run_with_late_messages(3, expected=3) == [0, 1, 2]


def test_a_missing_result_is_an_error_not_a_silent_gap():
    with pytest.raises(LavaRunError, match="delivered 3 of 4"):
        _run_with_late_messages(3, expected=4, watchdog_seconds=0.3)
