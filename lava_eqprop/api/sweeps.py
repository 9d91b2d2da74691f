"""``lava_eqprop.sweep``: run a sweep file's points (:mod:`lava_eqprop.sweeps`)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from lava_eqprop.api.inputs import logger
from lava_eqprop.errors import RunDirectoryError, SpecError
from lava_eqprop.sweeps.execute import point_task, run_points
from lava_eqprop.sweeps.plan import load_sweep
from lava_eqprop.sweeps.results import RESULTS_FILE, gather


def sweep(source: str | os.PathLike[str] | Mapping[str, Any], *,
          out: str | os.PathLike[str] | None = None, jobs: int = 1, ray: str | None = None,
          resume: bool = False, overrides: Mapping[str, Any] | None = None,
          only: Sequence[str] | None = None, epochs: int | None = None,
          progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train every point of the sweep file ``source`` (or a table of its shape) into
    ``out/points/<point>`` (default ``runs/sweeps/<name>``), ``jobs`` local processes at a
    time, or as Ray tasks on the cluster at ``ray`` (an address, "auto" for the local one);
    ``resume`` continues each point from its checkpoint and skips the finished ones;
    ``overrides`` set spec keys at every point; ``only`` keeps the points of these names;
    ``epochs`` replaces every point's.
    Writes ``results.json`` and ``results.png``
    and returns the results (a line per finished point goes to ``progress``)."""
    if jobs < 1:
        raise SpecError(f"jobs (--jobs) is {jobs}: at least 1")
    plan = load_sweep(source, overrides, only, epochs)
    folder = Path(out) if out is not None else Path("runs") / "sweeps" / plan.name
    if not resume and ((folder / RESULTS_FILE).exists() or (folder / "points").exists()):
        raise RunDirectoryError(f"{folder} holds a sweep already: pass --resume (resume=True) "
                                "to continue it, or choose another --out")
    from lava_eqprop.io.atomic import write_text_atomic

    (folder / "specs").mkdir(parents=True, exist_ok=True)
    for point in plan.points:
        write_text_atomic(folder / "specs" / f"{point.name}.toml", point.spec.text)
    say = progress or logger.info
    say(f"sweep {plan.name}: {len(plan.points)} points -> {folder} "
        + (f"(Ray at {ray})" if ray else f"({jobs} local process{'es' if jobs > 1 else ''})"))
    start = time.perf_counter()
    results = run_points([point_task(p, folder, resume) for p in plan.points], jobs, ray, say)
    runner = {"kind": "ray", "address": ray, "workers": "cluster"} if ray else \
        {"kind": "local", "workers": jobs}
    return gather(plan, plan.points, results, folder, runner, time.perf_counter() - start)
