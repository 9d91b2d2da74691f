"""The model specs a study starts from (``models/`` of the repository) and the variants it
derives from them, written next to its results so that every run names the spec it trained."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lava_eqprop.data.datasets import Dataset
from lava_eqprop.spec import ModelSpec, load_spec

ROOT = Path(__file__).resolve().parents[2]
"""The repository: ``models/`` holds the specs, studies write under ``runs/``."""
MODELS = ROOT / "models"


def derive_spec(source: Path, target: Path, overrides: dict[str, Any]) -> Path:
    """Write to ``target`` a copy of the spec ``source`` with some keys changed, validated
    (:meth:`~lava_eqprop.spec.ModelSpec.with_keys`); returns ``target``.

    ``overrides`` maps "section.key" (e.g. "dynamics.free_steps", "network.conv.channels") to
    the new value.
    """
    spec = load_spec(source).with_keys(overrides, f"derived as {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(spec.text)
    return target


def spec_subset(dataset: Dataset, spec: ModelSpec) -> Dataset:
    """The part of ``dataset`` a spec trains on: the first ``[data] train_samples`` and
    ``test_samples`` (0: all)."""
    return dataset.subset(spec.data.train_samples or None, spec.data.test_samples or None)
