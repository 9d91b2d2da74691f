"""What the Python API accepts, turned into the package's own objects: a spec from a path, a
table or a :class:`ModelSpec`; data from a :class:`Dataset`, a path or arrays; the network's own
spec when none is given; and the Lava backend's options, checked by name."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any, Union

import numpy as np

from lava_eqprop.data.datasets import Dataset
from lava_eqprop.errors import SpecError
from lava_eqprop.network.network import Network
from lava_eqprop.schema import SpecFile
from lava_eqprop.spec.model_spec import (
    ModelSpec,
    load_spec_dataset,
    parse_spec,
    spec_from_table,
)
from lava_eqprop.spec.model_spec import load_spec as load_spec_file

SpecLike = Union[str, "os.PathLike[str]", Mapping[str, Any], ModelSpec]
DataLike = Union[None, str, "os.PathLike[str]", Dataset, tuple]

LAVA_OPTIONS = ("target", "precision", "batch", "event_threshold", "watchdog_seconds", "chip",
                "weight_bits", "contrast")
"""The keys of ``lava=`` (the options of ``--backend lava`` on the command line)."""
LAVA_CHOICES = {"target": ("cpu", "loihi2"), "precision": ("float", "fixed"),
                "contrast": ("exact", "free_term_first")}

logger = logging.getLogger("lava_eqprop")


def load_spec(source: SpecLike) -> ModelSpec:
    """A validated model spec from a TOML file's path, from a table (``{"model": {...},
    "network": {...}, ...}``, kept as TOML text so that it is stored with the networks it
    trains), or a :class:`ModelSpec` as it is. Errors name the file or table and the key."""
    if isinstance(source, ModelSpec):
        return source
    if isinstance(source, Mapping):
        return spec_from_table(source)
    if isinstance(source, (str, os.PathLike)):
        return load_spec_file(os.fspath(source))
    raise SpecError(f"a model spec is a TOML file's path, a table (dict) or a ModelSpec, not "
                    f"{type(source).__name__}")


def network_spec(network: Network, spec: SpecLike | None) -> ModelSpec:
    """``spec`` if given, else the spec stored with ``network`` (:attr:`Network.spec_text`)."""
    if spec is not None:
        return load_spec(spec)
    if not network.spec_text:
        raise SpecError(f"network {network.name!r} carries no model spec (it was built by "
                        "hand): pass the spec to run it with (spec=, --model MODEL.toml)")
    return parse_spec(SpecFile.parse(network.spec_text, f"the spec stored with {network.name!r}"))


def load_data(spec: SpecLike, path: str | os.PathLike[str] | None = None) -> Dataset:
    """The data set of a spec (``[data]``), read from ``path`` if given: ``x_train``,
    ``y_train``, ``x_test``, ``y_test`` as arrays, ``num_classes``, and where it came from."""
    model = load_spec(spec)
    return load_spec_dataset(model, None if path is None else os.fspath(path))


def as_dataset(data: DataLike, spec: ModelSpec, classes: int | None = None) -> Dataset:
    """The data set to train or evaluate on: ``None`` the spec's (``[data]``), a path to read
    the spec's data set from, a :class:`Dataset`, or arrays ``(x_train, y_train, x_test,
    y_test)`` (inputs of any shape with one sample per row, integer labels from 0; as many
    classes as the network has outputs: ``classes``, by default the spec's network's)."""
    if data is None:
        return load_spec_dataset(spec)
    if isinstance(data, Dataset):
        return data
    if isinstance(data, (str, os.PathLike)):
        return load_spec_dataset(spec, os.fspath(data))
    if isinstance(data, tuple) and len(data) == 4:
        return _arrays_dataset(*data, classes=classes or _spec_outputs(spec))
    raise SpecError("data= is None (the spec's data set), a path, a Dataset or a tuple "
                    f"(x_train, y_train, x_test, y_test), not {type(data).__name__}")


def _spec_outputs(spec: ModelSpec) -> int:
    """The number of output neurons of the spec's network (= classes)."""
    return spec.conv.classes if spec.conv is not None else spec.network.layers[-1]


def _arrays_dataset(x_train: Any, y_train: Any, x_test: Any, y_test: Any, classes: int
                    ) -> Dataset:
    arrays = {"x_train": np.asarray(x_train), "y_train": np.asarray(y_train),
              "x_test": np.asarray(x_test), "y_test": np.asarray(y_test)}
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if y.ndim != 1 or len(x) != len(y):
            raise SpecError(f"data: y_{split} must be one label per row of x_{split} "
                            f"({len(x)} rows), found shape {y.shape}")
        if not np.issubdtype(x.dtype, np.number) or not np.all(np.isfinite(x)):
            raise SpecError(f"data: x_{split} must hold finite numbers")
        if y.size and (not np.issubdtype(y.dtype, np.integer) or y.min() < 0
                       or y.max() >= classes):
            raise SpecError(f"data: y_{split} must hold integer labels in [0, {classes - 1}] "
                            f"(the network has {classes} outputs)")
    return Dataset("arrays", arrays["x_train"], arrays["y_train"], arrays["x_test"],
                   arrays["y_test"], classes, "given as arrays")


def lava_options(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """``lava=`` checked: only the keys of :data:`LAVA_OPTIONS`, the listed values of
    :data:`LAVA_CHOICES`, and a contrast other than exact only on the loihi2 target."""
    options = dict(options or {})
    unknown = sorted(set(options) - set(LAVA_OPTIONS))
    if unknown:
        raise SpecError(f"lava= has no option {', '.join(map(repr, unknown))}; the options are "
                        f"{', '.join(LAVA_OPTIONS)}")
    for name, choices in LAVA_CHOICES.items():
        if name in options and options[name] not in choices:
            raise SpecError(f"lava option {name} (--{name}) is {options[name]!r}: one of "
                            f"{', '.join(choices)}")
    if options.get("contrast", "exact") != "exact" and options.get("target") != "loihi2":
        raise SpecError(f"contrast {options['contrast']} (--contrast) is a rule of the loihi2 "
                        "graph: it needs target loihi2 (--target loihi2)")
    return options
