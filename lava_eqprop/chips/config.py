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
from importlib import resources
from pathlib import Path

from lava_eqprop.errors import SpecError
from lava_eqprop.schema import Section, SpecFile, key, non_negative, positive

CHIP_DIR = Path(str(resources.files("lava_eqprop.chips") / "configs"))
"""The chip configs shipped inside the package (in the repository a link to ``chip_configs/``,
their source; a wheel holds copies)."""
ROUNDINGS = ("nearest", "stochastic")
WEIGHT_BITS = (2, 24)


def _bits(low: int, high: int):
    def check(value: int) -> str | None:
        return None if low <= value <= high else f"an integer in [{low}, {high}]"
    return check


@dataclass(frozen=True)
class ChipSection(Section):
    """``[chip]``: what the config describes."""

    name: str = key(doc="the chip's name")
    description: str = key("", doc="one line on the chip and the sources of the numbers")


@dataclass(frozen=True)
class ChipArithmetic(Section):
    """``[arithmetic]``: bit widths and rounding of a chip's neurons and synapses (see
    chip_configs/loihi2.toml); ``name`` is the chip's."""

    name: str
    weight_bits: int = key(check=_bits(*WEIGHT_BITS), doc="signed weight mantissa width")
    weight_headroom: float = key(2.0, check=lambda v: None if v >= 1 else "a number >= 1",
                                 doc="the weight exponent leaves the largest weight this "
                                     "factor below the mantissa's range")
    activation_bits: int = key(check=_bits(2, 24), doc="width of a neuron's graded output")
    state_bits: int = key(check=_bits(8, 32), doc="width of a neuron's state")
    state_frac_bits: int = key(check=_bits(1, 30), doc="fraction bits of the state")
    accumulator_bits: int = key(check=_bits(8, 32), doc="width of the synaptic input sum")
    nudge_frac_bits: int = key(8, check=_bits(0, 16), doc="fraction bits of the nudge factor β")
    rounding: str = key("stochastic", choices=ROUNDINGS, doc="rounding of the learning updates")
    seed: int = key(0, check=non_negative, doc="seed of the stochastic rounding")

    def with_weight_bits(self, bits: int) -> "ChipArithmetic":
        """The same chip with another weight width (the bit-depth study)."""
        low, high = WEIGHT_BITS
        if not low <= bits <= high:
            raise ValueError(f"weight_bits must be in [{low}, {high}], got {bits}")
        return replace(self, weight_bits=bits)


@dataclass(frozen=True)
class CoreLimits(Section):
    """``[cores]``: what one core holds (Davies et al. 2018, p. 89 for Loihi 1). Cores sit
    ``cores_per_tile`` to a tile, tiles on a mesh ``mesh_columns`` tiles wide; a spike between
    tiles costs one hop per tile step (Manhattan distance)."""

    cores_per_chip: int = key(check=positive, doc="neuro cores per chip")
    neurons_per_core: int = key(check=positive, doc="neurons (compartments) per core")
    synaptic_memory_kib: float = key(check=positive, doc="synaptic memory per core, KiB")
    input_axons_per_core: int = key(check=positive, doc="input axons per core")
    output_axons_per_core: int = key(check=positive, doc="output axons per core")
    mesh_columns: int = key(check=positive, doc="tiles per row of the on-chip mesh")
    cores_per_tile: int = key(1, check=positive, doc="cores per tile")
    shared_conv_weights: bool = key(False, doc="a conv is stored as kernels shared within a "
                                               "core (false: one weight per synapse)")

    @property
    def synaptic_memory_bits(self) -> int:
        return int(self.synaptic_memory_kib * 8192)


@dataclass(frozen=True)
class LearningWidths(Section):
    """``[learning]``: the learning engine's widths (Davies et al. 2018, Table 1 and
    §Learning)."""

    trace_bits: int = key(check=_bits(1, 32), doc="width of a synaptic trace")
    accumulator_bits: int = key(check=_bits(1, 32), doc="width of the weight-update accumulator")
    max_epoch_steps: int = key(check=positive, doc="longest learning epoch, time steps")


def _cost(doc: str) -> float:
    return key(check=non_negative, doc=doc)


@dataclass(frozen=True)
class EnergyCosts(Section):
    """``[energy]``: energy (pJ) and time (ns) per operation (Davies et al. 2018, Table 2 for
    Loihi 1). A tile hop costs ``*_x_*`` east-west and ``*_y_*`` north-south; the barrier
    between time steps takes ``barrier_sync_min_ns`` on one tile up to ``barrier_sync_max_ns``
    on a whole chip, ``multi_chip_barrier_ns`` across chips."""

    synaptic_op_pj: float = _cost("energy of one synaptic operation")
    synaptic_op_ns: float = _cost("time of one synaptic operation")
    synaptic_update_pj: float = _cost("energy of one synaptic weight update")
    synaptic_update_ns: float = _cost("time of one synaptic weight update")
    neuron_update_active_pj: float = _cost("energy of updating an active neuron")
    neuron_update_inactive_pj: float = _cost("energy of updating an inactive neuron")
    neuron_update_active_ns: float = _cost("time of updating an active neuron")
    neuron_update_inactive_ns: float = _cost("time of updating an inactive neuron")
    spike_in_tile_pj: float = _cost("energy of a spike within a tile")
    spike_in_tile_ns: float = _cost("time of a spike within a tile")
    spike_hop_x_pj: float = _cost("energy of an east-west hop")
    spike_hop_y_pj: float = _cost("energy of a north-south hop")
    spike_hop_x_ns: float = _cost("time of an east-west hop")
    spike_hop_y_ns: float = _cost("time of a north-south hop")
    chip_crossing_pj: float = _cost("energy of crossing to another chip")
    chip_crossing_ns: float = _cost("time of crossing to another chip")
    barrier_sync_min_ns: float = _cost("barrier between time steps on one tile")
    barrier_sync_max_ns: float = _cost("barrier between time steps on a whole chip")
    multi_chip_barrier_ns: float = _cost("barrier between time steps across chips")


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
    chip = spec.section(ChipSection, "chip")
    arithmetic = None
    if "arithmetic" in spec.data:
        arithmetic = spec.section(ChipArithmetic, "arithmetic", name=chip.name)
        if arithmetic.state_frac_bits >= arithmetic.state_bits - 2:
            raise spec.error("[arithmetic] state_frac_bits",
                             f"= {arithmetic.state_frac_bits} leaves no integer bits in a "
                             f"{arithmetic.state_bits}-bit state")
    cores = spec.section(CoreLimits, "cores") if "cores" in spec.data else None
    if cores is not None and cores.cores_per_chip % cores.cores_per_tile:
        raise spec.error("[cores] cores_per_tile", f"= {cores.cores_per_tile} does not divide "
                         f"cores_per_chip = {cores.cores_per_chip}")
    learning = spec.section(LearningWidths, "learning") if "learning" in spec.data else None
    energy = spec.section(EnergyCosts, "energy") if "energy" in spec.data else None
    systems = {}
    raw_systems = spec.data.get("systems", {})
    if not isinstance(raw_systems, dict):
        raise spec.error("[systems]", f"expected a table of name = chips, got {raw_systems!r}")
    for system, chips in raw_systems.items():
        if isinstance(chips, bool) or not isinstance(chips, int) or chips < 1:
            raise spec.error(f"[systems] {system}", f"= {chips!r}; expected a number of chips >= 1")
        systems[system] = chips
    return ChipConfig(name=chip.name, description=chip.description, path=path,
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
