"""What a resumed run must share with the run it continues: the model spec and the data.

A checkpoint stores the spec's TOML text and a description of the training data (data set,
sample counts, a SHA-256 of the arrays). Resuming with anything else would silently continue
another experiment, so :func:`check_same_spec` and :func:`check_same_data` refuse it, and the
message lists what differs, key by key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from lava_eqprop.data.datasets import Dataset
from lava_eqprop.errors import SpecError
from lava_eqprop.toml_compat import tomllib

MAX_LISTED = 4


def data_description(dataset: Dataset) -> dict[str, Any]:
    """The training data of a run as stored in its checkpoint: name, sizes and a SHA-256 of the
    images and labels (so a different file or subset is caught, not only another size)."""
    digest = hashlib.sha256()
    for arr in (dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test):
        digest.update(np.ascontiguousarray(arr).data)
    return {"dataset": dataset.name, "train": int(len(dataset.x_train)),
            "test": int(len(dataset.x_test)), "sha256": digest.hexdigest()}


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"[section] key": value}`` for every leaf of a parsed TOML table."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, Mapping):
            flat |= _flatten(value, f"{prefix}.{key}" if prefix else key)
        else:
            flat[f"[{prefix}] {key}" if prefix else key] = value
    return flat


def _differences(stored: Mapping[str, Any], current: Mapping[str, Any]) -> str:
    """'KEY: A in the checkpoint, B now' for each differing key (the first few, in the
    checkpoint's order)."""
    def shown(table: Mapping[str, Any], key: str) -> str:
        return repr(table[key]) if key in table else "absent"

    lines = [f"{key}: {shown(stored, key)} in the checkpoint, {shown(current, key)} now"
             for key in [*stored, *(k for k in current if k not in stored)]
             if shown(stored, key) != shown(current, key)]
    more = f"; and {len(lines) - MAX_LISTED} more" if len(lines) > MAX_LISTED else ""
    return "; ".join(lines[:MAX_LISTED]) + more


def check_same_spec(checkpoint_path: object, stored_text: str, spec_path: str,
                    spec_text: str) -> None:
    """Refuse to resume from a checkpoint written for another spec, naming the keys that
    differ (or saying that only comments and layout differ)."""
    if stored_text == spec_text:
        return
    try:
        changed = _differences(_flatten(tomllib.loads(stored_text)),
                               _flatten(tomllib.loads(spec_text)))
    except tomllib.TOMLDecodeError:
        changed = "the stored spec is not valid TOML"
    raise SpecError(f"{checkpoint_path} was written for a different model spec than {spec_path} "
                    f"({changed or 'only comments or layout differ'}): resume with the same "
                    "spec, or choose another --out")


def check_same_data(checkpoint_path: object, stored: Mapping[str, Any] | None,
                    current: Mapping[str, Any]) -> None:
    """Refuse to resume on other training data than the checkpoint's (``stored`` is None for
    checkpoints written before data descriptions were stored: nothing to compare)."""
    if stored is None or dict(stored) == dict(current):
        return
    raise SpecError(f"{checkpoint_path} was trained on other data "
                    f"({_differences(stored, current)}): resume with the same data set, "
                    "--data and --train-samples/--test-samples")
