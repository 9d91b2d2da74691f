"""Command-line argument types that refuse bad values by name, and a parser whose errors are
one line.

argparse calls a ``type=`` function on the option's text; a :class:`argparse.ArgumentTypeError`
it raises becomes ``lava-eqprop VERB: error: argument --OPTION: MESSAGE`` with exit status 2.
Every number an option takes is checked here for its type, for being finite (``nan`` and
``inf`` parse as floats but turn watchdogs and thresholds off silently) and for its range, so
that nothing out of range reaches a run.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

from lava_eqprop.chips.config import WEIGHT_BITS


def one_line(text: str) -> str:
    """``text`` with control characters (newlines included) written as escapes, so that an
    error message quoting a user's key or file name stays one line on a terminal."""
    return "".join(ch.encode("unicode_escape").decode("ascii") if not ch.isprintable() and ch != " "
                   else ch for ch in text)


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr (exit status 2): the usage
    text that argparse prints first is left to ``--help``."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")


def integer(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argument type: an integer in [low, high] (no upper bound when ``high`` is None)."""
    allowed = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer; allowed: {allowed}")
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{value} is not allowed; allowed: {allowed}")
        return value
    parse.__name__ = "integer"
    return parse


def number(low: float, *, low_open: bool = False, high: float | None = None
           ) -> Callable[[str], float]:
    """An argument type: a finite number > ``low`` (``low_open``) or >= ``low``, and <= ``high``
    when given."""
    allowed = f"a finite number {'>' if low_open else '>='} {low:g}"
    if high is not None:
        allowed += f" and <= {high:g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number; allowed: {allowed}")
        too_low = value <= low if low_open else value < low
        if not math.isfinite(value) or too_low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{value:g} is not allowed; allowed: {allowed}")
        return value
    parse.__name__ = "number"
    return parse


positive_int = integer(1)
non_negative_int = integer(0)
weight_bits = integer(*WEIGHT_BITS)
positive_number = number(0.0, low_open=True)
non_negative_number = number(0.0)
unit_interval = number(0.0, low_open=True, high=1.0)     # (0, 1]
