"""A study's runs as the points of one sweep (:func:`lava_eqprop.sweep`): the scripts in
``tools/`` that compare several trainings build a sweep table and read its finished points."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from lava_eqprop.experiments.figures import log


def finished_points(table: Mapping[str, Any], out: str | os.PathLike[str], *, jobs: int,
                    resume: bool) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Train the sweep ``table`` into ``out`` (progress to the script's log); its points'
    records by name (``history``, ``seconds``, ...) and the sweep's summary. A failed point
    ends the script with its name and error."""
    import lava_eqprop as le

    summary = le.sweep(table, out=out, jobs=jobs, resume=resume, progress=log)
    records = {}
    for record in summary["points"]:
        if record["status"] != "done":
            raise SystemExit(f"{summary['sweep']}: point {record['name']} failed: "
                             f"{record['error']}")
        records[record["name"]] = record
    return records, summary


def epoch_seconds(record: Mapping[str, Any]) -> float:
    """The seconds one epoch record took, training and testing."""
    return record["seconds"] + record["eval_seconds"]


def training_seconds(history: list[dict[str, Any]]) -> float:
    """The seconds a point's epochs took, summed over every run a resume joined (a sweep
    record's own ``seconds`` are those of the call that returned it)."""
    return sum(epoch_seconds(r) for r in history)
