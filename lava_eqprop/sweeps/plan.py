"""A sweep file read into its points.

A sweep file is TOML::

    [sweep]
    name = "digits-quick"
    base = "../digits.toml"     # the model spec every point starts from (relative to this file)
    epochs = 2                  # each point trains this many epochs (0: the spec's)
    seeds = [1, 2]              # each point once per seed (network.seed = learning.seed = s)
    backend = "engine"          # or "lava", with [sweep.lava] its options
    device = "cpu"              # the engine run with PyTorch ("cpu" or "cuda"; default NumPy)
    [sweep.lava]                # options of the points with backend "lava"
    precision = "fixed"
    [sweep.set]                 # spec keys set at every point
    "data.train_samples" = 600
    [grid]                      # every combination of these values
    "learning.layer_learning_rates" = [[0.25, 0.125], [0.125, 0.0625]]
    [[points]]                  # and/or a list of points, each crossed with the grid
    name = "layered"
    base = "../gammell_layered_global.toml"

Keys are those of a model spec, dotted: ``"section.key"`` or ``"network.small_world.p"``. A
grid value or a point may also set ``base``, ``backend``, ``device``, ``epochs`` and
``lava.<option>``.
The points are the grid's combinations crossed with the ``[[points]]`` entries (one empty
entry when there are none), each once per seed. Every point's spec is built and validated
when the file is read, so that a typo fails at once, naming the point and the key.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lava_eqprop.errors import SpecError
from lava_eqprop.schema import Section, SpecFile, key
from lava_eqprop.spec.model_spec import ModelSpec, load_spec

RUN_KEYS = ("base", "backend", "device", "epochs", "name")
"""Keys of a grid or point that choose how a point runs rather than change its spec."""
BACKENDS = ("engine", "lava")
DEVICES = ("", "cpu", "cuda")
SEED_KEYS = ("network.seed", "learning.seed")


def _non_negative_int(value: Any) -> str | None:
    return None if value >= 0 else "an integer >= 0"


def _seed_list(value: Any) -> str | None:
    ok = all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
    return None if ok else "a list of integers >= 0"


@dataclass(frozen=True)
class SweepSection(Section):
    """``[sweep]``: what every point shares."""

    name: str = key(doc="the sweep's name (the results' title)")
    base: str = key("", doc="the model spec every point starts from, relative to the sweep "
                            "file (a point or grid may set its own)")
    epochs: int = key(0, check=_non_negative_int,
                      doc="epochs each point trains (0: the spec's [learning] epochs)")
    backend: str = key("engine", choices=BACKENDS, doc="engine or lava ([sweep.lava]: options)")
    device: str = key("", choices=DEVICES, doc="the engine's points run with PyTorch on this "
                                               "device (cpu or cuda; empty: NumPy)")
    seeds: tuple[int, ...] = key((), check=_seed_list,
                                 doc="run each point once per seed (network.seed and "
                                     "learning.seed both set to it)")


@dataclass(frozen=True)
class Point:
    """One training run of a sweep: its ``name`` (its directory), the ``settings`` that set it
    apart from the others (key → value, for the results table), its validated ``spec``, the
    ``backend``, its ``lava`` options, ``epochs`` (None: the spec's) and the torch ``device``
    of an engine point (None: NumPy)."""

    name: str
    settings: dict[str, Any]
    spec: ModelSpec
    backend: str
    lava: dict[str, Any] = field(default_factory=dict)
    epochs: int | None = None
    device: str | None = None

    @property
    def seed(self) -> Any:
        return self.settings.get("seed")


@dataclass(frozen=True)
class Sweep:
    """A sweep file read: its ``name``, ``path`` and ``points``."""

    name: str
    path: str
    points: list[Point]


def load_sweep(source: str | os.PathLike[str] | Mapping[str, Any],
               overrides: Mapping[str, Any] | None = None,
               only: Sequence[str] | None = None, epochs: int | None = None) -> Sweep:
    """Read and validate a sweep file (or a table of the same shape, whose relative paths are
    taken from the current directory); ``overrides`` are spec keys set at every point after
    the file's own (e.g. shorter runs for a test); ``only`` keeps the points of these names;
    ``epochs`` replaces every point's."""
    if isinstance(source, Mapping):
        import tomli_w

        spec_file = SpecFile.parse(tomli_w.dumps(source), "<sweep given as a table>")
        folder = Path.cwd()
    else:
        spec_file = SpecFile.load(os.fspath(source))
        folder = Path(source).resolve().parent
    spec_file.check_sections({"sweep": True, "grid": False, "points": False})
    raw = spec_file.data["sweep"]
    section = spec_file.section(SweepSection, "sweep", subtables=("set", "lava"))
    shared = {**_table(spec_file, raw.get("set", {}), "[sweep.set]"), **dict(overrides or {})}
    lava = _table(spec_file, raw.get("lava", {}), "[sweep.lava]")
    grid = _table(spec_file, spec_file.data.get("grid", {}), "[grid]")
    for name, values in grid.items():
        if not isinstance(values, list) or not values:
            raise spec_file.error(f"[grid] {name}", "a non-empty list of the values to try")
    entries = spec_file.data.get("points", [{}])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise spec_file.error("[[points]]", "an array of tables, one per point")
    points: list[Point] = []
    combos = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    for k, (combo, entry) in enumerate(itertools.product(combos, entries or [{}])):
        for seed in section.seeds or [None]:
            seeded = {name: seed for name in SEED_KEYS} if seed is not None else {}
            points.append(_point(spec_file, section, folder, combo, entry, shared, lava,
                                 seeded, f"point {k + 1}"))
    names = [p.name for p in points]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise spec_file.error("[[points]]", f"two points would share the name {twice[0]!r}: "
                              "give each point a name")
    if only:
        unknown = sorted(set(only) - set(names))
        if unknown:
            raise SpecError(f"{spec_file.path}: no point named {unknown[0]!r}; the points: "
                            f"{', '.join(names)}")
        points = [p for p in points if p.name in only]
    if epochs is not None:
        points = [dataclasses.replace(p, epochs=epochs) for p in points]
    return Sweep(section.name, spec_file.path, points)


def _table(spec_file: SpecFile, raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise spec_file.error(where, "expected a table")
    return dict(raw)


def _point(spec_file: SpecFile, section: SweepSection, folder: Path, combo: dict[str, Any],
           entry: dict[str, Any], shared: dict[str, Any], lava: dict[str, Any],
           seeded: dict[str, Any], where: str) -> Point:
    """One point: its run keys, its lava options and its spec with every override applied."""
    chosen = {**combo, **entry}
    every = {**shared, **chosen, **seeded}
    run = {k: every.pop(k) for k in RUN_KEYS if k in every}
    backend = run.get("backend", section.backend)
    own = {k.split(".", 1)[1]: every.pop(k) for k in list(every) if k.startswith("lava.")}
    if own and backend != "lava":
        raise spec_file.error(f"{where}: lava.{next(iter(own))}", "a Lava option, for a point "
                              "with backend = \"lava\"")
    options = {**(lava if backend == "lava" else {}), **own}
    base = run.get("base", section.base)
    if not base:
        raise spec_file.error(f"[sweep] base ({where})", "required: the model spec to start "
                              "from, in [sweep] or in the point")
    if backend not in BACKENDS:
        raise spec_file.error(f"{where}: backend", f"{backend!r} is not one of "
                              f"{', '.join(BACKENDS)}")
    device = run.get("device", section.device) or None
    if device not in (None, *DEVICES):
        raise spec_file.error(f"{where}: device", f"{device!r} is not one of cpu, cuda")
    if device and backend == "lava":
        raise spec_file.error(f"{where}: device", "the engine's PyTorch device: a point with "
                              "backend = \"lava\" runs in Lava and takes none")
    epochs = run.get("epochs", section.epochs) or None
    settings: dict[str, Any] = {**({"base": Path(base).stem} if "base" in run else {}),
                                **{k: run[k] for k in ("backend", "device") if k in run},
                                **{k: v for k, v in chosen.items()
                                   if k not in ("name", "base", "backend", "device")},
                                **({"seed": seeded[SEED_KEYS[0]]} if seeded else {})}
    if "name" in run:      # a named point: its name, then what the grid and seed add
        added = {k: v for k, v in settings.items() if k in combo or k == "seed"}
        name = "_".join(filter(None, (str(run["name"]), _name_of(added))))
    else:
        name = _name_of(settings) or "base"
    spec = _point_spec(spec_file, folder / base, every, f"{where} ({name})")
    return Point(name, settings, spec, backend, options, epochs, device)


def _point_spec(spec_file: SpecFile, base: Path, overrides: dict[str, Any],
                where: str) -> ModelSpec:
    try:
        spec = load_spec(base)
    except SpecError as exc:
        raise SpecError(f"{spec_file.path}: {where}: base: {exc}") from None
    return spec.with_keys(overrides, f"as {where} of {spec_file.path}")


def _name_of(settings: dict[str, Any]) -> str:
    """A directory name from a point's settings: ``learning_rate-0.1_seed-2``."""
    parts = [f"{key.rsplit('.', 1)[-1]}-{_value_text(value)}" for key, value in settings.items()]
    return re.sub(r"[^A-Za-z0-9._=-]+", "", "_".join(parts))


def _value_text(value: Any) -> str:
    if isinstance(value, list):
        return "-".join(_value_text(v) for v in value)
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:g}"
    return str(value)
