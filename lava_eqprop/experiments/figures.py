"""What a study script prints: progress on stderr, and its figures as one JSON object on the
last line of stdout (what ``tests/tools`` and docs/results.md read), with the machine they
were measured on."""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

import numpy as np


def emit(figures: dict[str, Any]) -> None:
    """Print ``figures`` as one JSON object on the last line of stdout (NumPy scalars and
    arrays, and paths, written as plain JSON values)."""
    print(json.dumps(figures, default=_jsonable), flush=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def machine() -> dict[str, Any]:
    """Where the figures were measured: Python and NumPy versions, CPU count, processor."""
    return {"python": sys.version.split()[0], "numpy": np.__version__, "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine()}


def log(message: str) -> None:
    """A progress line on stderr (stdout is kept for the figures)."""
    print(message, file=sys.stderr, flush=True)
