"""Typed configuration read from TOML: sections are frozen dataclasses whose fields are the keys.

A section is declared once, as a dataclass whose fields are made with :func:`key`: the field's
annotation is the key's type, and :func:`key` gives its default (or none: required), the allowed
values or a check, and one line of documentation. :meth:`Section.parse` reads a TOML table into
the dataclass: defaults filled, types, finiteness, 64-bit range, choices and checks enforced,
lists stored as tuples. Every error names the file, the ``[section] key``, the value found and
what is allowed, so that a typo in ``models/*.toml`` or ``chip_configs/*.toml`` is caught on
load, not deep in a run. The documentation of every key (:func:`key_docs`) is what the spec
reference in the docs is generated from.

Model specs (:mod:`lava_eqprop.spec`) and chip configs (:mod:`lava_eqprop.chips.config`) both
build on this module; it imports nothing of the package but its errors.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from lava_eqprop.errors import SpecError
from lava_eqprop.toml_compat import tomllib

INT64_MIN, INT64_MAX = -2 ** 63, 2 ** 63 - 1
Check = Callable[[Any], "str | None"]
S = TypeVar("S", bound="Section")


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


def key(default: Any = REQUIRED, *, doc: str, choices: tuple | None = None,
        check: Check | None = None) -> Any:
    """A field of a :class:`Section`: a key of its TOML table. ``default`` (REQUIRED: the key
    must be given; lists as tuples), ``choices`` (the allowed values), ``check`` (returns None
    when the value is fine, or a phrase saying what is allowed) and ``doc`` (one line)."""
    return dataclasses.field(default=default,
                             metadata={"doc": doc, "choices": choices, "check": check})


@dataclass(frozen=True)
class Key:
    """One key of a section, as :func:`Section.keys` describes it."""

    name: str
    type: tuple[type, ...]          # the TOML types accepted
    default: Any
    choices: tuple | None
    check: Check | None
    doc: str

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


def _toml_types(annotation: Any) -> tuple[type, ...]:
    """The TOML value types a field's annotation accepts (a tuple annotation takes a list)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return tuple(t for a in typing.get_args(annotation) for t in _toml_types(a))
    origin = typing.get_origin(annotation) or annotation
    if origin is tuple:
        return (list,)
    if origin is float:
        return (int, float)
    return (origin,)


def _frozen(value: Any) -> Any:
    """TOML lists as tuples (nested too), so a section stays immutable and hashable."""
    return tuple(_frozen(v) for v in value) if isinstance(value, list) else value


class Section:
    """Base of the typed, frozen configuration sections (subclasses are frozen dataclasses
    whose fields are made with :func:`key`; other fields are filled by the code that parses)."""

    # set by @dataclass on every subclass; declared here so that the methods below may read
    # the fields of ``cls`` and ``self`` with :func:`dataclasses.fields`
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    @classmethod
    def keys(cls) -> list[Key]:
        """The section's keys, in declaration order."""
        hints = typing.get_type_hints(cls)
        return [Key(f.name, _toml_types(hints[f.name]), f.default, f.metadata["choices"],
                    f.metadata["check"], f.metadata["doc"])
                for f in dataclasses.fields(cls) if "doc" in f.metadata]

    @classmethod
    def parse(cls: type[S], source: "SpecFile", name: str, raw: Any, /,
              subtables: tuple[str, ...] = (), **fields: Any) -> S:
        """The section ``[name]`` read from the TOML table ``raw`` of ``source`` (every key
        checked, defaults filled); ``fields`` gives the fields that are not keys."""
        if not isinstance(raw, Mapping):
            raise source.error(f"[{name}]", f"expected a table, got {raw!r}")
        keys = cls.keys()
        known = {k.name for k in keys}
        for given in raw:
            if given not in known and given not in subtables:
                raise source.error(f"[{name}] {given}", "unknown key; allowed keys: "
                                   + ", ".join(sorted(known | set(subtables))))
        values = {k.name: _checked(source, f"[{name}] {k.name}", k, raw) for k in keys}
        return cls(**values, **fields)

    def __post_init__(self) -> None:
        missing = [f.name for f in dataclasses.fields(self) if getattr(self, f.name) is REQUIRED]
        if missing:
            raise TypeError(f"{type(self).__name__}: required keys not given: {missing}")

    def to_toml(self) -> dict[str, Any]:
        """The section's keys as a TOML table (tuples as lists)."""
        def thawed(value: Any) -> Any:
            return [thawed(v) for v in value] if isinstance(value, tuple) else value
        return {k.name: thawed(getattr(self, k.name)) for k in self.keys()}


def _checked(source: "SpecFile", where: str, k: Key, raw: Mapping[str, Any]) -> Any:
    """The value of key ``k`` in ``raw`` (or its default), checked."""
    if k.name not in raw:
        if k.required:
            raise source.error(where, f"required ({_type_name(k.type)})")
        return k.default
    value = raw[k.name]
    if not _type_ok(value, k.type):
        raise source.error(where, f"= {value!r} has the wrong type; expected {_type_name(k.type)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise source.error(where, f"= {value!r}; expected a finite number")
    if isinstance(value, int) and not isinstance(value, bool) \
            and not INT64_MIN <= value <= INT64_MAX:
        raise source.error(where, f"= {value} is too large; expected an integer in "
                           f"[{INT64_MIN}, {INT64_MAX}] (64 bits)")
    if k.choices is not None and value not in k.choices:
        raise source.error(where, f"= {value!r} is not allowed; allowed: "
                           + ", ".join(repr(c) for c in k.choices))
    if k.check is not None:
        problem = k.check(value)
        if problem is not None:
            raise source.error(where, f"= {value!r}; expected {problem}")
    if float in k.type and int in k.type and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return _frozen(value)


def key_docs(section: type[Section]) -> Iterator[tuple[str, str, str, str]]:
    """(key, type, default in TOML syntax or "required", doc with the allowed values) of every
    key of ``section``, for the configuration reference."""
    for k in section.keys():
        default = "required" if k.required else _toml_literal(k.default)
        allowed = (" One of " + ", ".join(_toml_literal(c) for c in k.choices) + "."
                   if k.choices else "")
        yield k.name, _type_name(k.type), default, k.doc + "." * (not k.doc.endswith(".")) + allowed


def _toml_literal(value: Any) -> str:
    """``value`` as TOML writes it (tuples as arrays)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_literal(v) for v in value) + "]"
    return repr(value)


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


def _type_name(accepted: tuple[type, ...]) -> str:
    names = {int: "integer", float: "number", str: "string", bool: "true/false", list: "list",
             dict: "table"}
    if float in accepted:
        accepted = tuple(a for a in accepted if a is not int)
    return " or ".join(names.get(x, x.__name__) for x in accepted)


def _type_ok(value: Any, accepted: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in accepted
    return isinstance(value, accepted)


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

    def section(self, cls: type[S], name: str, /, data: Mapping[str, Any] | None = None,
                subtables: tuple[str, ...] = (), **fields: Any) -> S:
        """Read ``[name]`` (or the table ``data``) into the section class ``cls``."""
        raw = self.data.get(name, {}) if data is None else data
        return cls.parse(self, name, raw, subtables, **fields)
