"""A file given where a TOML spec or chip config is expected that is not TOML text (an HDF5
network, bytes that are not UTF-8, a directory, nothing): every verb says so in one line."""

from pathlib import Path

import numpy as np
import pytest

from lava_eqprop.cli.main import main
from lava_eqprop.errors import SpecError
from lava_eqprop.io import save_network
from lava_eqprop.network import layered
from lava_eqprop.spec import load_spec

MODEL = str(Path(__file__).parents[2] / "models" / "digits.toml")


@pytest.fixture
def bad_files(tmp_path):
    """Not-TOML files by the start of the one-line message each must give."""
    network = tmp_path / "network.h5"
    save_network(layered([64, 8, 10], rng=np.random.default_rng(0)), network)
    (tmp_path / "network.toml").write_bytes(network.read_bytes())
    (tmp_path / "latin1.toml").write_bytes("[model]\nname = 'caf\xe9'\n".encode("latin-1"))
    (tmp_path / "folder.toml").mkdir()
    return {tmp_path / "network.toml": "is an HDF5 file",
            tmp_path / "latin1.toml": "line 2: byte 0xe9 is not UTF-8 text",
            tmp_path / "folder.toml": "is a directory, not a TOML file",
            tmp_path / "missing.toml": "no such file"}


def test_load_spec_refuses_what_is_not_toml_text(bad_files):
    for path, fragment in bad_files.items():
        with pytest.raises(SpecError) as err:
            load_spec(path)
        assert str(err.value).startswith(f"{path}: {fragment}")
        assert "\n" not in str(err.value)


VERBS = {
    "info": ["info", "{bad}"],
    "train": ["train", "{bad}", "--out", "{out}"],
    "compile": ["compile", "{bad}"],
    "map": ["map", "{bad}"],
    "map --chip": ["map", MODEL, "--chip", "{bad}"],
    "stability": ["stability", "{bad}"],
    "crosscheck": ["crosscheck", "{bad}"],
    "run --model": ["run", "{network}", "--model", "{bad}"],
}


@pytest.mark.parametrize("argv", VERBS.values(), ids=VERBS)
def test_every_verb_that_reads_toml_gives_one_line(bad_files, tmp_path, capsys, argv):
    for bad, fragment in bad_files.items():
        args = [a.format(bad=bad, out=tmp_path / "out", network=tmp_path / "network.h5")
                for a in argv]
        assert main(args) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"lava-eqprop {argv[0]}: error: {bad}: {fragment}")
        assert err.count("\n") == 1
