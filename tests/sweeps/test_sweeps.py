"""Sweeps: a file's points are the grid crossed with the listed points, once per seed, each a
validated spec; the points train as a direct ``lava_eqprop.train`` of the same spec would
(locally in parallel, and as Ray tasks on a local Ray instance started here); a finished sweep
resumes without training; a failing point is reported and the others go on."""

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import lava_eqprop as le
from lava_eqprop.cli.main import main
from lava_eqprop.errors import RunDirectoryError, SpecError
from lava_eqprop.sweeps.plan import load_sweep

QUICK = Path("models/sweeps/digits_quick.toml")
SHORT = {"data.train_samples": 200, "data.test_samples": 60}


def test_the_quick_sweep_has_four_points_with_their_settings():
    plan = load_sweep(QUICK)
    base = le.load_spec("models/digits.toml")
    assert [p.settings for p in plan.points] == [
        {"learning.layer_learning_rates": rates, "seed": seed}
        for rates in ([0.25, 0.125], [0.125, 0.0625]) for seed in (1, 2)]
    for point in plan.points:
        assert point.epochs == 2 and point.backend == "engine"
        assert list(point.spec.learning.layer_learning_rates) == point.settings[
            "learning.layer_learning_rates"]
        assert point.spec.network.seed == point.spec.learning.seed == point.seed
        assert point.spec.dynamics == base.dynamics
    assert len({p.name for p in plan.points}) == 4
    assert {p.epochs for p in load_sweep(QUICK, epochs=5).points} == {5}
    assert [p.name for p in load_sweep(QUICK, only=[plan.points[1].name]).points] == [
        plan.points[1].name]
    with pytest.raises(SpecError, match=r"no point named 'nope'"):
        load_sweep(QUICK, only=["nope"])


def test_points_cross_the_grid_and_may_change_base_backend_and_lava_options(tmp_path):
    table = {"sweep": {"name": "x", "base": str(Path("models/digits.toml").resolve()),
                       "set": {"data.train_samples": 100}},
             "grid": {"dynamics.free_steps": [10, 20]},
             "points": [{"name": "engine"},
                        {"name": "lava8", "backend": "lava", "lava.precision": "fixed",
                         "lava.weight_bits": 8},
                        {"name": "sw", "base": str(Path("models/digits_small_world.toml")
                                                   .resolve())}]}
    plan = load_sweep(table)
    assert len(plan.points) == 6
    assert [p.name for p in plan.points][:3] == ["engine_free_steps-10", "lava8_free_steps-10",
                                                 "sw_free_steps-10"]
    lava = [p for p in plan.points if p.backend == "lava"]
    assert [p.lava for p in lava] == [{"precision": "fixed", "weight_bits": 8}] * 2
    assert all(p.spec.data.train_samples == 100 for p in plan.points)
    assert {p.spec.dynamics.free_steps for p in plan.points} == {10, 20}
    assert sum(p.spec.small_world is not None for p in plan.points) == 2


@pytest.mark.parametrize("change, message", [
    ({"grid": {"learning.betta": [0.1]}}, r"\[learning\] betta: unknown key"),
    ({"grid": {"learning.beta": []}}, r"\[grid\] learning.beta: a non-empty list"),
    ({"grid": {"beta": [0.1, 0.2]}}, r"'beta': a spec key is written \"section.key\""),
    ({"sweep": {"name": "x"}}, r"\[sweep\] base .*required"),
    ({"points": [{"name": "a"}, {"name": "a"}]}, r"share the name 'a'"),
    ({"sweep": {"name": "x", "base": "nowhere.toml"}}, r"base: .*nowhere.toml: no such file"),
    ({"points": [{"name": "a", "device": "tpu"}]}, r"point 1: device.*'tpu' is not one of"),
    ({"points": [{"name": "a", "device": "cpu", "backend": "lava"}]},
     r"point 1: device.*backend = \"lava\" runs in Lava"),
])
def test_bad_sweep_files_are_refused_naming_the_key(change, message):
    table = {"sweep": {"name": "x", "base": str(Path("models/digits.toml").resolve())}}
    table.update(change)
    with pytest.raises(SpecError, match=message):
        load_sweep(table)


def test_a_local_parallel_sweep_trains_each_point_as_train_does_and_resumes(tmp_path):
    out = tmp_path / "sweep"
    summary = le.sweep(QUICK, out=out, jobs=2, overrides=SHORT, progress=lambda line: None)
    stored = json.loads((out / "results.json").read_text())
    assert [p["status"] for p in stored["points"]] == ["done"] * 4
    assert (out / "results.png").stat().st_size > 0
    plan = load_sweep(QUICK, SHORT)
    for point, record in zip(plan.points, stored["points"]):
        direct = le.train(point.spec, epochs=2, progress=False)
        assert record["test_error_curve"] == [r["test_error"] for r in direct.history]
        assert (out / "points" / point.name / "checkpoint.h5").is_file()
    assert [g["mean"] for g in summary["groups"]] == [
        sum(r["test_error"] for r in stored["points"][k:k + 2]) / 2 for k in (0, 2)]
    with pytest.raises(RunDirectoryError, match="--resume"):
        le.sweep(QUICK, out=out, overrides=SHORT)
    stamp = {p: (out / "points" / p / "checkpoint.h5").stat().st_mtime_ns
             for p in (r["name"] for r in stored["points"])}
    again = le.sweep(QUICK, out=out, resume=True, overrides=SHORT, progress=lambda line: None)
    assert [p["test_error"] for p in again["points"]] == [p["test_error"] for p in stored["points"]]
    assert stamp == {p: (out / "points" / p / "checkpoint.h5").stat().st_mtime_ns for p in stamp}


def test_a_failing_point_is_reported_and_the_others_run(tmp_path, capsys):
    sweep_file = tmp_path / "s.toml"
    sweep_file.write_text(
        f'[sweep]\nname = "f"\nbase = "{Path("models/digits.toml").resolve()}"\nepochs = 1\n'
        '[sweep.set]\n"data.train_samples" = 100\n"data.test_samples" = 50\n'
        '[[points]]\nname = "fine"\n'
        '[[points]]\nname = "broken"\n"data.dataset" = "mnist"\n"data.path" = "/nowhere"\n')
    assert main(["sweep", str(sweep_file), "--out", str(tmp_path / "o")]) == 1
    out = capsys.readouterr().out
    assert "fine" in out and "failed: " in out and "/nowhere" in out
    records = json.loads((tmp_path / "o" / "results.json").read_text())["points"]
    assert [r["status"] for r in records] == ["done", "failed"]


def test_a_point_with_a_device_trains_with_torch_in_a_worker_with_its_share_of_threads(
        tmp_path):
    """A sweep's ``device`` point trains as ``train(device=...)`` does, and its worker's
    PyTorch pool is capped to the worker's share of the cores, as its BLAS is."""
    pytest.importorskip("torch")
    import os

    from lava_eqprop.sweeps.execute import point_task, run_local
    from tests.sweeps.workers import train_and_count_torch_threads

    table = {"sweep": {"name": "t", "base": str(Path("models/digits.toml").resolve()),
                       "epochs": 1, "device": "cpu", "set": SHORT},
             "points": [{"name": "torch"}, {"name": "numpy", "device": ""}]}
    plan = load_sweep(table)
    assert [p.device for p in plan.points] == ["cpu", None]
    tasks = [point_task(p, tmp_path, False) for p in plan.points]
    records = {r["name"]: r for r in run_local(tasks, 2, work=train_and_count_torch_threads)}
    assert {r["status"] for r in records.values()} == {"done"}
    assert records["torch"]["torch_threads"] == max(1, (os.cpu_count() or 1) // 2)
    spec = plan.points[0].spec
    for name, device in (("torch", "cpu"), ("numpy", None)):
        direct = le.train(spec, epochs=1, device=device, progress=False)
        assert ([r["test_error"] for r in records[name]["history"]]
                == [r["test_error"] for r in direct.history])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_the_cli_sweep_on_a_local_ray_instance_gives_the_local_results(tmp_path):
    pytest.importorskip("ray")
    ray = shutil.which("ray", path=str(Path(sys.executable).parent))
    port = free_port()
    env_start = subprocess.run([ray, "start", "--head", f"--port={port}", "--num-cpus=2",
                                "--include-dashboard=false", "--disable-usage-stats"],
                               capture_output=True, text=True, timeout=120)
    assert env_start.returncode == 0, env_start.stderr
    try:
        quick = tmp_path / "quick.toml"
        quick.write_text(QUICK.read_text().replace('"../digits.toml"',
                                                   repr(str(Path("models/digits.toml").resolve())))
                         + '\n[sweep.set]\n"data.train_samples" = 200\n"data.test_samples" = 60\n')
        for flags, out in ((["--ray", f"127.0.0.1:{port}"], "ray"), (["--jobs", "2"], "local")):
            done = subprocess.run([sys.executable, "-m", "lava_eqprop", "sweep", str(quick),
                                   "--out", str(tmp_path / out), *flags],
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr
        ray_run, local_run = (json.loads((tmp_path / o / "results.json").read_text())
                              for o in ("ray", "local"))
        assert ray_run["runner"]["kind"] == "ray" and len(ray_run["points"]) == 4
        assert ([p["test_error_curve"] for p in ray_run["points"]]
                == [p["test_error_curve"] for p in local_run["points"]])
    finally:
        subprocess.run([ray, "stop", "--force"], capture_output=True, timeout=120)


def test_the_quick_sweep_file_runs_as_shipped_with_two_jobs(tmp_path, capsys):
    assert main(["sweep", str(QUICK), "--jobs", "2", "--out", str(tmp_path / "q")]) == 0
    results = json.loads((tmp_path / "q" / "results.json").read_text())
    assert len(results["points"]) == 4 and not results["failed"]
    assert all(p["epochs"] == 2 for p in results["points"])
    assert "over seeds" in capsys.readouterr().out


def test_a_dead_worker_ends_the_sweep_in_one_error_and_stops_the_others(tmp_path):
    """A worker killed (here it exits) is reported as a SweepError naming --resume, without
    waiting for the sibling still training (it would train ten minutes, past the test's
    timeout), which is terminated. After a Lava run in this process, where the executor's
    late-spawned workers once went unwatched."""
    import os

    import numpy as np

    from lava_eqprop.errors import SweepError
    from lava_eqprop.sweeps.execute import run_local
    from tests.sweeps.workers import die_or_wait

    pytest.importorskip("lava")
    from tests.export.test_lava_processes import run_in_lava

    net = le.load_spec("models/digits.toml").build_network()
    run_in_lava(le.lava_synapse(net, "input-h1"), np.zeros((64, 2)))
    pid_file = tmp_path / "pid"
    with pytest.raises(SweepError, match=r"died .*--resume continues"):
        list(run_local([{"name": "wait", "pid": str(pid_file)}, {"name": "die"}], 2,
                       work=die_or_wait))
    if pid_file.exists():                   # the sibling had started its point: it is gone
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid_file.read_text()), 0)
