"""Helpers shared by the scripts in tools/ (not part of the package)."""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
# the bound on the deepest over the first layer pair's updates (Gammell et al. 2021)
RATIO_LIMIT = 10.0


def emit(figures: dict[str, Any]) -> None:
    """Print the figures as one JSON object on the last line of stdout."""
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
    """Where the figures were measured."""
    import os

    return {"python": sys.version.split()[0], "numpy": np.__version__, "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine()}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def spec_subset(dataset, spec):
    """The part of ``dataset`` a spec trains on: its [data] train_samples and test_samples
    (0: all)."""
    return dataset.subset(spec.data.train_samples or None, spec.data.test_samples or None)


def deepest_over_layer(history: list[dict], key: str) -> list[float]:
    """Deepest layer pair's update magnitude over each layer pair's, both averaged over the
    epochs of ``history`` (Gammell et al. 2021's vanishing-gradient measure).

    ``key``: "layer_mean_abs_dw" (mean |ΔW|) or "layer_rms_dw" (the authors' RMS correction).
    """
    per_layer = np.mean([r[key] for r in history], axis=0)
    return [float(per_layer[-1] / v) for v in per_layer]


def derive_spec(source: Path, target: Path, overrides: dict[str, Any]) -> Path:
    """Write a copy of a model spec with some keys changed, validated.

    ``overrides`` maps "section.key" (e.g. "dynamics.free_steps", "network.conv.channels") to a
    new value (:meth:`~lava_eqprop.spec.ModelSpec.with_overrides`).
    """
    from lava_eqprop.spec import load_spec

    grouped: dict[str, dict[str, Any]] = {}
    for dotted, value in overrides.items():
        section, key = dotted.rsplit(".", 1)
        grouped.setdefault(section, {})[key] = value
    spec = load_spec(source).with_overrides(grouped, f"derived as {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(spec.text)
    return target
