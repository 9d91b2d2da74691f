"""Read and validate a chip configuration (``chip_configs/<name>.toml``).

A config has up to five sections; every number in the files carries its source in a comment:

* ``[chip]`` name and description (required);
* ``[arithmetic]`` the bit widths and rounding the ``fixed_pt`` Lava process models use
  (absent for a float-only target such as the CPU simulator);
* ``[learning]`` the learning engine's widths (traces, accumulator, epoch);
* ``[cores]`` the per-core resources :mod:`lava_eqprop.chips.mapping` must respect (absent: an
  unconstrained target, every population on one core of its own);
* ``[energy]`` per-operation energy and latency for :mod:`lava_eqprop.chips.energy` (absent:
  no estimate);
* ``[systems]`` boards and systems built from the chip, name = number of chips.

:func:`load_chip_config` reads all of it; :func:`load_chip` only the arithmetic (what the Lava
backend needs). Every error names the file, the key and what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from lava_eqprop.errors import SpecError
from lava_eqprop.spec.schema import Key, SpecFile, non_negative, positive

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
CORE_KEYS = [
    Key("cores_per_chip", int, check=positive),
    Key("neurons_per_core", int, check=positive),
    Key("synaptic_memory_kib", (int, float), check=positive),
    Key("input_axons_per_core", int, check=positive),
    Key("output_axons_per_core", int, check=positive),
    Key("mesh_columns", int, check=positive),      # tiles per row of the on-chip mesh
    Key("cores_per_tile", int, 1, check=positive),
]
LEARNING_KEYS = [Key("trace_bits", int, check=_bits(1, 32)),
                 Key("accumulator_bits", int, check=_bits(1, 32)),
                 Key("max_epoch_steps", int, check=positive)]
ENERGY_KEYS = [Key(name, (int, float), check=non_negative) for name in (
    "synaptic_op_pj", "synaptic_op_ns", "synaptic_update_pj", "synaptic_update_ns",
    "neuron_update_active_pj", "neuron_update_inactive_pj",
    "neuron_update_active_ns", "neuron_update_inactive_ns",
    "spike_in_tile_pj", "spike_in_tile_ns", "spike_hop_x_pj", "spike_hop_y_pj",
    "spike_hop_x_ns", "spike_hop_y_ns", "chip_crossing_pj", "chip_crossing_ns",
    "barrier_sync_min_ns", "barrier_sync_max_ns", "multi_chip_barrier_ns")]


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


@dataclass(frozen=True)
class CoreLimits:
    """What one core holds (Davies et al. 2018, p. 89 for Loihi 1). Cores sit ``cores_per_tile``
    to a tile, tiles on a mesh ``mesh_columns`` tiles wide; a spike between tiles costs one hop
    per tile step (Manhattan distance)."""

    cores_per_chip: int
    neurons_per_core: int
    synaptic_memory_kib: float
    input_axons_per_core: int
    output_axons_per_core: int
    mesh_columns: int
    cores_per_tile: int

    @property
    def synaptic_memory_bits(self) -> int:
        return int(self.synaptic_memory_kib * 8192)


@dataclass(frozen=True)
class LearningWidths:
    """The learning engine's widths (Davies et al. 2018, Table 1 and §Learning)."""

    trace_bits: int
    accumulator_bits: int
    max_epoch_steps: int


@dataclass(frozen=True)
class EnergyCosts:
    """Energy (pJ) and time (ns) per operation (Davies et al. 2018, Table 2 for Loihi 1).
    A tile hop costs ``*_x_*`` east-west and ``*_y_*`` north-south; the barrier between time
    steps takes ``barrier_sync_min_ns`` on one tile up to ``barrier_sync_max_ns`` on a whole
    chip, ``multi_chip_barrier_ns`` across chips."""

    synaptic_op_pj: float
    synaptic_op_ns: float
    synaptic_update_pj: float
    synaptic_update_ns: float
    neuron_update_active_pj: float
    neuron_update_inactive_pj: float
    neuron_update_active_ns: float
    neuron_update_inactive_ns: float
    spike_in_tile_pj: float
    spike_in_tile_ns: float
    spike_hop_x_pj: float
    spike_hop_y_pj: float
    spike_hop_x_ns: float
    spike_hop_y_ns: float
    chip_crossing_pj: float
    chip_crossing_ns: float
    barrier_sync_min_ns: float
    barrier_sync_max_ns: float
    multi_chip_barrier_ns: float


@dataclass(frozen=True)
class ChipConfig:
    """A whole chip config; ``arithmetic``, ``cores`` and ``energy`` are None where the file has
    no such section."""

    name: str
    description: str
    path: Path
    arithmetic: ChipArithmetic | None
    cores: CoreLimits | None
    learning: LearningWidths | None
    energy: EnergyCosts | None
    systems: dict[str, int]


def chip_path(name_or_path: str | Path) -> Path:
    """``loihi2`` → ``chip_configs/loihi2.toml``; a path (a name with a suffix or a directory
    part) is returned as it is."""
    path = Path(name_or_path)
    if path.suffix or len(path.parts) > 1:
        return path
    path = CHIP_DIR / f"{name_or_path}.toml"
    if not path.exists():
        raise SpecError(f"no chip config named {str(name_or_path)!r}; known: {known_chips()} "
                        f"(in {CHIP_DIR})")
    return path


def known_chips() -> list[str]:
    return sorted(p.stem for p in CHIP_DIR.glob("*.toml"))


def load_chip_config(name_or_path: str | Path) -> ChipConfig:
    """Every section of a chip config, validated."""
    path = chip_path(name_or_path)
    spec = SpecFile.load(path)
    spec.check_sections({"chip": True, "arithmetic": False, "cores": False, "learning": False,
                         "energy": False, "systems": False})
    chip = spec.section("chip", CHIP_KEYS)
    arithmetic = None
    if "arithmetic" in spec.data:
        arith = spec.section("arithmetic", ARITHMETIC_KEYS)
        if arith["state_frac_bits"] >= arith["state_bits"] - 2:
            raise spec.error("[arithmetic] state_frac_bits",
                             f"= {arith['state_frac_bits']} leaves no integer bits in a "
                             f"{arith['state_bits']}-bit state")
        arithmetic = ChipArithmetic(name=chip["name"], **arith)
    cores = CoreLimits(**spec.section("cores", CORE_KEYS)) if "cores" in spec.data else None
    if cores is not None and cores.cores_per_chip % cores.cores_per_tile:
        raise spec.error("[cores] cores_per_tile", f"= {cores.cores_per_tile} does not divide "
                         f"cores_per_chip = {cores.cores_per_chip}")
    learning = (LearningWidths(**spec.section("learning", LEARNING_KEYS))
                if "learning" in spec.data else None)
    energy = (EnergyCosts(**{k: float(v) for k, v in spec.section("energy", ENERGY_KEYS).items()})
              if "energy" in spec.data else None)
    systems = {}
    raw_systems = spec.data.get("systems", {})
    if not isinstance(raw_systems, dict):
        raise spec.error("[systems]", f"expected a table of name = chips, got {raw_systems!r}")
    for system, chips in raw_systems.items():
        if isinstance(chips, bool) or not isinstance(chips, int) or chips < 1:
            raise spec.error(f"[systems] {system}", f"= {chips!r}; expected a number of chips >= 1")
        systems[system] = chips
    return ChipConfig(name=chip["name"], description=chip["description"], path=path,
                      arithmetic=arithmetic, cores=cores, learning=learning, energy=energy,
                      systems=systems)


def load_chip(name_or_path: str | Path) -> ChipArithmetic:
    """A chip's fixed-point arithmetic by file path or by name (``loihi2`` →
    ``chip_configs/loihi2.toml``); an error if the chip has none."""
    config = load_chip_config(name_or_path)
    if config.arithmetic is None:
        raise SpecError(f"{config.path}: chip {config.name!r} has no [arithmetic] section, so it "
                        "cannot run the fixed-point models (use precision float)")
    return config.arithmetic
