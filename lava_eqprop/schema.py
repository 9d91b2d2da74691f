"""A small declarative schema for TOML configuration: typed keys, defaults, allowed values.

Every error names the file, the ``[section] key``, the value found and what is allowed, so that
a typo in ``models/*.toml`` or ``chip_configs/*.toml`` is caught on load, not deep in a run.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lava_eqprop.errors import SpecError

REQUIRED = object()
INT64_MIN, INT64_MAX = -2 ** 63, 2 ** 63 - 1


@dataclass(frozen=True)
class Key:
    """One key of a section: its type, default (or REQUIRED), allowed values or a check.

    ``check`` returns None when the value is fine, or a phrase saying what is allowed.
    """

    name: str
    type: type | tuple[type, ...]
    default: Any = REQUIRED
    choices: tuple | None = None
    check: Callable[[Any], str | None] | None = None


def positive(value: Any) -> str | None:
    return None if value > 0 else "a number > 0"


def non_negative(value: Any) -> str | None:
    return None if value >= 0 else "a number >= 0"


def probability(value: Any) -> str | None:
    return None if 0 <= value <= 1 else "a number in [0, 1]"


def unit_interval_open_closed(value: Any) -> str | None:
    return None if 0 < value <= 1 else "a number in (0, 1]"


def positive_int_list(min_len: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        ok = (len(value) >= min_len and all(isinstance(v, int) and not isinstance(v, bool) and v > 0
                                            for v in value))
        return None if ok else (f"a list of at least {min_len} positive integers" if min_len
                                else "a list of positive integers")
    return check


def positive_float_list(value: Any) -> str | None:
    ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0
             for v in value)
    return None if ok else "a list of numbers > 0"


HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def read_toml_text(path: Path) -> str:
    """The text of the TOML file ``path``. A missing file, a directory, an HDF5 file (a
    network.h5 given for MODEL.toml), bytes that are not UTF-8 and unreadable files are refused
    with a one-line :class:`SpecError` naming the file."""
    if not path.exists():
        raise SpecError(f"{path}: no such file (expected a TOML file)")
    if path.is_dir():
        raise SpecError(f"{path}: is a directory, not a TOML file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if data.startswith(HDF5_SIGNATURE):
        raise SpecError(f"{path}: is an HDF5 file (a network or checkpoint), not a TOML file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise SpecError(f"{path}: line {line}: byte 0x{data[exc.start]:02x} is not UTF-8 text; "
                        "a TOML file must be UTF-8") from None


def _type_name(t: type | tuple[type, ...]) -> str:
    types = t if isinstance(t, tuple) else (t,)
    names = {int: "integer", float: "number", str: "string", bool: "true/false", list: "list",
             dict: "table"}
    return " or ".join(names.get(x, x.__name__) for x in types)


def _type_ok(value: Any, t: type | tuple[type, ...]) -> bool:
    types = t if isinstance(t, tuple) else (t,)
    if isinstance(value, bool):
        return bool in types
    if float in types and isinstance(value, int):
        return True
    return isinstance(value, types)


class SpecFile:
    """A parsed TOML file and the helpers that read its sections with error context."""

    def __init__(self, path: str | Path | None, data: Mapping[str, Any], text: str = "") -> None:
        self.path = str(path) if path is not None else "<spec>"
        self.data = data
        self.text = text

    @classmethod
    def load(cls, path: str | Path) -> "SpecFile":
        """Read and parse the TOML file ``path``; :func:`read_toml_text` says what is refused."""
        path = Path(path)
        return cls.parse(read_toml_text(path), path)

    @classmethod
    def parse(cls, text: str, path: str | Path | None = None) -> "SpecFile":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SpecError(f"{path or '<spec>'}: not valid TOML: {exc}") from exc
        return cls(path, data, text)

    def error(self, where: str, message: str) -> SpecError:
        return SpecError(f"{self.path}: {where}: {message}")

    def check_sections(self, allowed: Mapping[str, bool]) -> None:
        """``allowed`` maps section name → required; unknown sections are errors."""
        for name in self.data:
            if name not in allowed:
                raise self.error(f"[{name}]", f"unknown section; allowed sections: "
                                 f"{', '.join('[' + s + ']' for s in allowed)}")
        for name, required in allowed.items():
            if required and name not in self.data:
                raise self.error(f"[{name}]", "this section is required")

    def topology_subtable(self, name: str, topology: str, allowed: tuple[str, ...],
                          required: bool = True) -> Mapping[str, Any] | None:
        """The raw ``[network.<name>]`` of a net whose topology is one of ``allowed`` (None for
        other topologies, and when absent and not ``required``); refused when given for
        another topology or missing when required."""
        raw = self.data.get("network", {}).get(name)
        where = f"[network.{name}]"
        if topology not in allowed:
            if raw is not None:
                raise self.error(where, "only allowed with topology = "
                                 + " or ".join(repr(t) for t in allowed) + f", not {topology!r}")
            return None
        if raw is None and required:
            raise self.error(where, f"required when topology = {topology!r}")
        return raw

    def section(self, name: str, keys: list[Key], data: Mapping[str, Any] | None = None,
                subtables: tuple[str, ...] = ()) -> dict[str, Any]:
        """Read ``[name]`` (or ``data``) against ``keys``: defaults filled, everything checked."""
        raw = self.data.get(name, {}) if data is None else data
        if not isinstance(raw, Mapping):
            raise self.error(f"[{name}]", f"expected a table, got {raw!r}")
        known = {k.name: k for k in keys}
        for key in raw:
            if key not in known and key not in subtables:
                raise self.error(f"[{name}] {key}", "unknown key; allowed keys: "
                                 + ", ".join(sorted(list(known) + list(subtables))))
        out = {}
        for key in keys:
            where = f"[{name}] {key.name}"
            if key.name not in raw:
                if key.default is REQUIRED:
                    raise self.error(where, f"required ({_type_name(key.type)})")
                out[key.name] = key.default
                continue
            value = raw[key.name]
            if not _type_ok(value, key.type):
                raise self.error(where, f"= {value!r} has the wrong type; expected {_type_name(key.type)}")
            if isinstance(value, float) and not math.isfinite(value):
                raise self.error(where, f"= {value!r}; expected a finite number")
            if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
                raise self.error(where, f"= {value} is too large; expected an integer in "
                                 f"[{INT64_MIN}, {INT64_MAX}] (64 bits)")
            if key.choices is not None and value not in key.choices:
                raise self.error(where, f"= {value!r} is not allowed; allowed: "
                                 + ", ".join(repr(c) for c in key.choices))
            if key.check is not None:
                problem = key.check(value)
                if problem is not None:
                    raise self.error(where, f"= {value!r}; expected {problem}")
            out[key.name] = float(value) if (key.type is float and isinstance(value, int)) else value
        return out
