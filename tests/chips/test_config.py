"""Chip configs load, every published number says where it comes from, bad files are refused."""

import re

import pytest

from lava_eqprop.chips.config import CHIP_DIR, known_chips, load_chip, load_chip_config
from lava_eqprop.errors import SpecError


def test_the_shipped_configs_load():
    assert {"cpu", "loihi1", "loihi2"} <= set(known_chips())
    loihi1, loihi2, cpu = (load_chip_config(n) for n in ("loihi1", "loihi2", "cpu"))
    assert loihi1.cores.neurons_per_core == 1024 and loihi1.energy.synaptic_op_pj == 23.6
    assert loihi2.systems["hala_point"] == 1152
    assert cpu.cores is None and cpu.energy is None and cpu.arithmetic is None
    with pytest.raises(SpecError, match="no \\[arithmetic\\] section"):
        load_chip("cpu")


@pytest.mark.parametrize("name", ["loihi1", "loihi2"])
def test_every_number_carries_a_source_or_is_marked_an_assumption(name):
    """Each `key = number` line has a comment, or sits under a comment block that has one."""
    block_has_source = False
    for line in (CHIP_DIR / f"{name}.toml").read_text().splitlines():
        if line.startswith("#"):
            block_has_source = block_has_source or bool(re.search(r"\[[A-Z]\w*\]|ASSUMPTION", line))
            continue
        if line.startswith("["):
            continue
        match = re.match(r"(\w+)\s*=\s*[-\d.]+\s*(#.*)?$", line)
        if match:
            assert match.group(2) or block_has_source, f"{name}.toml: {line!r} has no source"
        elif not line.strip():
            block_has_source = False


def test_bad_configs_name_the_key(tmp_path):
    base = (CHIP_DIR / "loihi1.toml").read_text()
    cases = {
        "neurons_per_core = 1024": ("neurons_per_core = -3", r"\[cores\] neurons_per_core"),
        "cores_per_tile = 4": ("cores_per_tile = 5", r"cores_per_tile.*does not divide"),
        "spike_hop_x_pj = 3.0": ("spike_hop_x_pj = -1.0", r"\[energy\] spike_hop_x_pj"),
        "kapoho_bay = 2": ("kapoho_bay = 0", r"\[systems\] kapoho_bay"),
        "[learning]": ("[learnign]", r"\[learnign\].*unknown section"),
    }
    for i, (old, (new, message)) in enumerate(cases.items()):
        path = tmp_path / f"bad{i}.toml"
        assert old in base
        path.write_text(base.replace(old, new, 1))
        with pytest.raises(SpecError, match=message):
            load_chip_config(path)


def test_a_config_that_is_not_toml_text_is_refused_in_one_line(tmp_path):
    (tmp_path / "net.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(range(256)))
    (tmp_path / "latin1.toml").write_bytes("[chip]\nname = 'caf\xe9'\n".encode("latin-1"))
    (tmp_path / "folder").mkdir()
    cases = {tmp_path / "net.h5": "is an HDF5 file", tmp_path / "latin1.toml": "line 2: byte 0xe9",
             tmp_path / "folder": "is a directory", tmp_path / "none.toml": "no such file"}
    for path, fragment in cases.items():
        with pytest.raises(SpecError) as err:
            load_chip_config(path)
        assert str(err.value).startswith(f"{path}: {fragment}") and "\n" not in str(err.value)
