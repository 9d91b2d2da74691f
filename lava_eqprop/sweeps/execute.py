"""Running a sweep's points: each a normal run directory ``OUT/points/<name>`` with its own
checkpoint and resume, trained by :func:`lava_eqprop.api.training.train` in a worker, either a
local process (at most ``jobs`` at once, each with its BLAS threads capped to its share of the
cores; with one job, the calling process itself) or a Ray task on a cluster (one CPU each).

A point that fails is recorded with its one-line error and the others go on. A point whose
run is complete returns at once on resume (its results rewritten from its checkpoint).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from lava_eqprop.errors import LavaEqpropError, SpecError, SweepError
from lava_eqprop.sweeps.plan import Point

Task = dict[str, Any]
_thread_limit: Any = None   # the worker's threadpoolctl limit, kept alive for its lifetime
_threads: int | None = None  # the worker's thread cap (None: the process's own settings)


def point_task(point: Point, out: Path, resume: bool) -> Task:
    """What a worker needs to train ``point`` (plain data: it crosses process boundaries)."""
    return {"name": point.name, "spec_text": point.spec.text, "spec_path": point.spec.path,
            "backend": point.backend, "lava": point.lava, "epochs": point.epochs,
            "device": point.device,
            "dir": str(out / "points" / point.name),
            "log": str(out / "logs" / f"{point.name}.log"), "resume": resume}


def run_point(task: Task) -> dict[str, Any]:
    """Train one point (in a worker); its epoch records, or its error."""
    from lava_eqprop.api.training import train
    from lava_eqprop.schema import SpecFile
    from lava_eqprop.spec.model_spec import parse_spec

    start = time.perf_counter()
    Path(task["log"]).parent.mkdir(parents=True, exist_ok=True)
    with open(task["log"], "a", encoding="utf-8") as log:
        def line(text: str) -> None:
            log.write(text + "\n")
            log.flush()
        try:
            spec = parse_spec(SpecFile.parse(task["spec_text"], task["spec_path"]))
            resume = task["resume"] and (Path(task["dir"]) / "checkpoint.h5").exists()
            if task["device"] and _threads is not None:
                _cap_torch_threads(_threads)
            run = train(spec, epochs=task["epochs"], out=task["dir"], resume=resume,
                        backend=task["backend"], lava=task["lava"] or None, progress=False,
                        log=line, device=task["device"])
            status, history, error = "done", run.history, None
        except LavaEqpropError as exc:
            status, history, error = "failed", [], str(exc).replace("\n", " ")
        except Exception as exc:   # a bug: recorded, so that the other points still run
            status, history, error = "failed", [], f"{type(exc).__name__}: {exc}"
        if error:
            line(f"failed: {error}")
    return {"name": task["name"], "status": status, "error": error, "history": history,
            "seconds": time.perf_counter() - start}


def _cap_threads(threads: int) -> None:
    """Cap BLAS and OpenMP threads in this worker (an initializer); PyTorch's own pool is
    capped when a point first uses it (:func:`_cap_torch_threads`)."""
    global _thread_limit, _threads
    from threadpoolctl import threadpool_limits

    _thread_limit, _threads = threadpool_limits(limits=threads), threads


def _cap_torch_threads(threads: int) -> None:
    """Cap PyTorch's intra-op threads; a point without torch installed fails in
    :func:`~lava_eqprop.api.training.train` with the install hint."""
    try:
        import torch
    except ModuleNotFoundError:
        return
    torch.set_num_threads(threads)


def _capped_point(task: Task) -> dict[str, Any]:
    """:func:`run_point` with one BLAS thread (a Ray task's share: one CPU)."""
    _cap_threads(1)
    return run_point(task)


def run_local(tasks: list[Task], jobs: int,
              work: Callable[[Task], dict[str, Any]] = run_point) -> Iterator[dict[str, Any]]:
    """The points' results as they finish, ``jobs`` local processes at a time (``work``
    trains one; it must be importable by a fresh process)."""
    if jobs == 1:         # in this process, with its own thread settings
        for task in tasks:
            yield work(task)
        return
    threads = max(1, (os.cpu_count() or 1) // jobs)
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"),
                               initializer=_cap_threads, initargs=(threads,))
    try:
        # Start every worker before the points: the executor spawns its workers as tasks are
        # submitted, and one started after its manager began waiting is not watched until the
        # next result, so its death would go unseen while a sibling trains (CPython 3.11).
        wait([pool.submit(os.getpid) for _ in range(jobs)])
        pending = {pool.submit(work, task) for task in tasks}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
    except BrokenProcessPool:
        raise SweepError("a sweep worker process died (killed, or out of memory) while "
                         "training a point: --resume continues the sweep") from None
    finally:
        _stop(pool)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Shut the pool down; workers still training (an interrupt, a dead sibling) are
    terminated rather than waited for: their checkpoints are written atomically, and a
    resumed sweep continues each point from its last one."""
    workers = list(getattr(pool, "_processes", {}).values())   # the executor's own table
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        if worker.is_alive():
            worker.terminate()
    for worker in workers:
        worker.join()


def run_ray(tasks: list[Task], address: str) -> Iterator[dict[str, Any]]:
    """The points' results as they finish, as Ray tasks of one CPU on the cluster at
    ``address`` (every node must see the output directory and have lava-eqprop installed)."""
    try:
        import ray
    except ModuleNotFoundError:
        raise SpecError("--ray needs Ray: pip install 'lava-eqprop[ray]' (or ray)") from None
    try:
        ray.init(address=address, log_to_driver=False, ignore_reinit_error=True)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise SpecError(f"--ray {address}: cannot connect to a Ray cluster there "
                        f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
                        ) from None
    try:
        remote = ray.remote(num_cpus=1)(_capped_point)
        pending = [remote.remote(task) for task in tasks]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        ray.shutdown()


def run_points(tasks: list[Task], jobs: int, ray_address: str | None,
               progress: Callable[[str], None]) -> list[dict[str, Any]]:
    """Every point's result, in the order of ``tasks``; a line per finished point."""
    runner = run_ray(tasks, ray_address) if ray_address else run_local(tasks, jobs)
    results = {}
    for k, result in enumerate(runner, 1):
        results[result["name"]] = result
        if result["status"] == "done" and result["history"]:
            last = result["history"][-1]
            what = (f"epoch {last['epoch']}, test error {100 * last['test_error']:.2f}%, "
                    f"train error {100 * last['train_error']:.2f}%")
        else:
            what = f"failed: {result['error']}"
        progress(f"[{k}/{len(tasks)}] {result['name']}: {what} ({result['seconds']:.0f} s)")
    return [results[task["name"]] for task in tasks]
