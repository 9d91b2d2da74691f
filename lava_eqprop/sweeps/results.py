"""A sweep's results gathered: ``results.json`` (every point's settings, status, final errors
and epoch records, and the groups over seeds), the table printed, and ``results.png``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from lava_eqprop.io.atomic import write_text_atomic
from lava_eqprop.sweeps.plan import Point, Sweep

RESULTS_FILE = "results.json"
PLOT_FILE = "results.png"


def point_record(point: Point, result: dict[str, Any]) -> dict[str, Any]:
    """One point's entry of results.json."""
    history = result["history"]
    last = history[-1] if history else {}
    return {"name": point.name, "settings": point.settings, "spec": point.spec.path,
            "backend": point.backend, "lava": point.lava, "status": result["status"],
            "error": result["error"], "seconds": result["seconds"],
            "epochs": last.get("epoch"), "test_error": last.get("test_error"),
            "train_error": last.get("train_error"),
            "test_error_curve": [r["test_error"] for r in history], "history": history}


def seed_groups(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The points grouped by their settings other than the seed: each group's final test
    errors, their mean and standard deviation (n − 1; 0 for one seed)."""
    groups: dict[str, dict[str, Any]] = {}
    for record in records:
        settings = {k: v for k, v in record["settings"].items() if k != "seed"}
        label = ", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in settings.items()) or "base"
        group = groups.setdefault(label, {"label": label, "settings": settings, "points": [],
                                          "test_errors": []})
        group["points"].append(record["name"])
        if record["status"] == "done" and record["test_error"] is not None:
            group["test_errors"].append(record["test_error"])
    for group in groups.values():
        errors = group["test_errors"]
        n = len(errors)
        group["mean"] = sum(errors) / n if n else None
        group["std"] = (math.sqrt(sum((e - group["mean"]) ** 2 for e in errors) / (n - 1))
                        if n > 1 else 0.0 if n else None)
    return list(groups.values())


def gather(sweep: Sweep, points: list[Point], results: list[dict[str, Any]], out: Path,
           runner: dict[str, Any], wall_seconds: float) -> dict[str, Any]:
    """Write results.json and results.png into ``out``; return the results."""
    from lava_eqprop.plots import plot_sweep

    records = [point_record(p, r) for p, r in zip(points, results)]
    groups = seed_groups(records)
    summary = {"sweep": sweep.name, "file": sweep.path, "out": str(out), "runner": runner,
               "wall_seconds": wall_seconds,
               "failed": [r["name"] for r in records if r["status"] != "done"],
               "groups": groups, "points": records}
    write_text_atomic(out / RESULTS_FILE, json.dumps(summary, indent=2))
    plot_sweep(groups, out / PLOT_FILE, title=sweep.name)
    return summary


def format_results(summary: dict[str, Any]) -> str:
    """The table of points, then of the groups over seeds where points repeat a seed."""
    def percent(value: Any) -> str:
        return f"{100 * value:6.2f}%" if value is not None else "      -"
    width = max([len(r["name"]) for r in summary["points"]] + [5])
    lines = [f"{'point':{width}s}  test error  train error  seconds  status"]
    for r in summary["points"]:
        status = "done" if r["status"] == "done" else f"failed: {r['error']}"
        lines.append(f"{r['name']:{width}s}  {percent(r['test_error']):>10s}  "
                     f"{percent(r['train_error']):>11s}  {r['seconds']:7.0f}  {status}")
    if any(len(g["points"]) > 1 for g in summary["groups"]):
        lines += ["", "over seeds: mean ± standard deviation of the final test error"]
        for g in summary["groups"]:
            mean = percent(g["mean"]) if g["mean"] is not None else "-"
            spread = f" ± {100 * g['std']:.2f}" if g["std"] is not None else ""
            lines.append(f"  {g['label']}: {mean.strip()}{spread} ({len(g['test_errors'])} "
                         f"of {len(g['points'])} points)")
    lines.append(f"wall time {summary['wall_seconds']:.0f} s ({summary['runner']['kind']}, "
                 f"{summary['runner']['workers']} workers)")
    return "\n".join(lines)
