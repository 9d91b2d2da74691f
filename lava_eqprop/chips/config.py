"""Read and validate a chip configuration (``chip_configs/<name>.toml``).

Only the ``[arithmetic]`` section exists so far: the bit widths and rounding the ``fixed_pt``
Lava process models use. :func:`load_chip` takes a path or the name of a file in
``chip_configs/``; every error names the file, the key and what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from lava_eqprop.errors import SpecError
from lava_eqprop.spec.schema import Key, SpecFile

CHIP_DIR = Path(__file__).resolve().parents[2] / "chip_configs"
ROUNDINGS = ("nearest", "stochastic")


def _bits(low: int, high: int):
    def check(value: int) -> str | None:
        return None if low <= value <= high else f"an integer in [{low}, {high}]"
    return check


CHIP_KEYS = [Key("name", str), Key("description", str, "")]
ARITHMETIC_KEYS = [
    Key("weight_bits", int, check=_bits(2, 24)),
    Key("weight_headroom", float, 2.0, check=lambda v: None if v >= 1 else "a number >= 1"),
    Key("activation_bits", int, check=_bits(2, 24)),
    Key("state_bits", int, check=_bits(8, 32)),
    Key("state_frac_bits", int, check=_bits(1, 30)),
    Key("accumulator_bits", int, check=_bits(8, 32)),
    Key("nudge_frac_bits", int, 8, check=_bits(0, 16)),
    Key("rounding", str, "stochastic", choices=ROUNDINGS),
    Key("seed", int, 0, check=lambda v: None if v >= 0 else "an integer >= 0"),
]


@dataclass(frozen=True)
class ChipArithmetic:
    """Bit widths and rounding of a chip's neurons and synapses (see chip_configs/loihi2.toml)."""

    name: str
    weight_bits: int
    weight_headroom: float
    activation_bits: int
    state_bits: int
    state_frac_bits: int
    accumulator_bits: int
    nudge_frac_bits: int
    rounding: str
    seed: int

    def with_weight_bits(self, bits: int) -> "ChipArithmetic":
        """The same chip with another weight width (the bit-depth study)."""
        if not 2 <= bits <= 24:
            raise ValueError(f"weight_bits must be in [2, 24], got {bits}")
        return replace(self, weight_bits=bits)


def load_chip(name_or_path: str | Path) -> ChipArithmetic:
    """A chip config by file path or by name (``loihi2`` → ``chip_configs/loihi2.toml``)."""
    path = Path(name_or_path)
    if not path.suffix:
        path = CHIP_DIR / f"{name_or_path}.toml"
        if not path.exists():
            known = sorted(p.stem for p in CHIP_DIR.glob("*.toml"))
            raise SpecError(f"no chip config named {str(name_or_path)!r}; known: {known} "
                            f"(in {CHIP_DIR})")
    spec = SpecFile.load(path)
    spec.check_sections({"chip": True, "arithmetic": True})
    chip = spec.section("chip", CHIP_KEYS)
    arith = spec.section("arithmetic", ARITHMETIC_KEYS)
    if arith["state_frac_bits"] >= arith["state_bits"] - 2:
        raise spec.error("[arithmetic] state_frac_bits", f"= {arith['state_frac_bits']} leaves no "
                         f"integer bits in a {arith['state_bits']}-bit state")
    return ChipArithmetic(name=chip["name"], **arith)
