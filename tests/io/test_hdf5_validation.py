"""Hand-edited, foreign and broken HDF5 files: each is refused with one line naming the file,
the HDF5 path at fault, what was found and what is allowed."""

import json
import re

import h5py
import numpy as np
import pytest

from lava_eqprop.cli.main import main
from lava_eqprop.errors import FileFormatError
from lava_eqprop.io import Checkpoint, load_checkpoint, load_network, save_checkpoint
from lava_eqprop.io.hdf5 import rng_from_state
from lava_eqprop.network import layered


@pytest.fixture
def checkpoint_path(tmp_path):
    """A checkpoint of a 6-5-3 layered net with particles, a momentum buffer and a history."""
    net = layered([6, 5, 3], rng=np.random.default_rng(0))
    path = tmp_path / "checkpoint.h5"
    save_checkpoint(Checkpoint(net, 2, "spec", np.random.default_rng(1).bit_generator.state,
                               [{"epoch": 1}, {"epoch": 2}], {"h1": np.zeros((4, 5))},
                               {"w:input-h1": np.zeros((5, 6)), "b:output": np.zeros(3)}), path)
    return path


def replace_dataset(f, path, value):
    del f[path]
    f[path] = value


def set_attr(where, name, value):
    return lambda f: f[where].attrs.__setitem__(name, value)


EDITS = {
    "metadata not JSON": (set_attr("network", "metadata", "{topology: layered"),
                          ["/network attribute 'metadata'", "not valid JSON"]),
    "metadata a list": (set_attr("network", "metadata", "[1, 2]"),
                        ["/network attribute 'metadata'", "expected a JSON object", "list"]),
    "group not a number": (lambda f: f.copy(f["network/populations/001"], "network/populations/h1"),
                           ["/network/populations/h1", "groups named by numbers"]),
    "string weight": (lambda f: replace_dataset(f, "network/projections/000/weight",
                                                np.full((5, 6), b"0.1")),
                      ["/network/projections/000/weight", "expected a numeric array",
                       "found strings"]),
    "weight of the wrong shape": (lambda f: replace_dataset(f, "network/projections/000/weight",
                                                            np.zeros((6, 5))),
                                  ["/network", "projection 'input-h1'", "weight has shape (6, 5)",
                                   "(5, 6)"]),
    "non-finite weight": (lambda f: replace_dataset(f, "network/projections/001/weight",
                                                    np.full((3, 5), np.nan)),
                          ["/network/projections/001/weight", "non-finite"]),
    "integer mask": (lambda f: f["network/projections/000"].create_dataset("mask",
                                                                           data=np.ones((5, 6))),
                     ["/network/projections/000/mask", "expected an array of booleans"]),
    "string shape": (set_attr("network/populations/001", "shape", "5"),
                     ["/network/populations/001 attribute 'shape'", "list of positive integers"]),
    "non-boolean flag": (set_attr("network/projections/000", "plastic", "yes"),
                         ["/network/projections/000 attribute 'plastic'", "true or false"]),
    "numeric name": (set_attr("network/populations/000", "name", 3),
                     ["/network/populations/000 attribute 'name'", "expected a string"]),
    "missing attribute": (lambda f: f["network/projections/001"].attrs.__delitem__("pre"),
                          ["/network/projections/001 attribute 'pre'", "missing attribute"]),
    "missing dataset": (lambda f: f.__delitem__("network/populations/002/bias"),
                        ["/network/populations/002/bias", "missing dataset"]),
    "missing group": (lambda f: f.__delitem__("network/projections"),
                      ["/network/projections", "missing group"]),
    "rng_state not JSON": (set_attr("training", "rng_state", "PCG64"),
                           ["/training attribute 'rng_state'", "not valid JSON"]),
    "rng_state a list": (set_attr("training", "rng_state", "[1, 2]"),
                         ["/training attribute 'rng_state'", "expected a JSON object"]),
    "rng_state without its state": (set_attr("training", "rng_state",
                                             json.dumps({"bit_generator": "PCG64"})),
                                    ["/training attribute 'rng_state'", "not a valid PCG64 state"]),
    "rng_state of an unknown generator": (set_attr("training", "rng_state",
                                                   json.dumps({"bit_generator": "Mersenne"})),
                                          ["rng_state", "'Mersenne' is not one of", "PCG64"]),
    "history without epoch": (set_attr("training", "history", json.dumps([{"loss": 1.0}])),
                              ["/training attribute 'history'", "record 0",
                               "integer 'epoch' in [1, 2]"]),
    "history not a list": (set_attr("training", "history", json.dumps({"epoch": 1})),
                           ["/training attribute 'history'", "expected a JSON list"]),
    "history of numbers": (set_attr("training", "history", "[1, 2]"),
                           ["/training attribute 'history'", "record 0 is int 1"]),
    "negative epoch": (set_attr("training", "epoch", -3),
                       ["/training attribute 'epoch'", "expected an integer >= 0", "-3"]),
    "fractional epoch": (set_attr("training", "epoch", 2.5),
                         ["/training attribute 'epoch'", "expected an integer >= 0", "2.5"]),
    "string particles": (lambda f: replace_dataset(f, "training/particles/h1",
                                                   np.full((4, 5), b"x")),
                         ["/training/particles/h1", "expected a numeric array"]),
    "optimizer buffer of the wrong shape": (
        lambda f: replace_dataset(f, "training/optimizer/w:input-h1", np.zeros((6, 5))),
        ["/training/optimizer/w:input-h1", "has shape (6, 5)", "expected (5, 6)"]),
    "optimizer buffer of no parameter": (
        lambda f: f["training/optimizer"].create_dataset("w:nowhere", data=np.zeros(3)),
        ["/training/optimizer/w:nowhere", "w:PROJECTION or b:POPULATION"]),
}


@pytest.mark.parametrize("edit, fragments", EDITS.values(), ids=EDITS)
def test_a_hand_edited_checkpoint_is_refused_naming_the_hdf5_path(checkpoint_path, edit,
                                                                  fragments):
    with h5py.File(checkpoint_path, "a") as f:
        edit(f)
    with pytest.raises(FileFormatError) as err:
        load_checkpoint(checkpoint_path)
    message = str(err.value)
    assert message.startswith(f"{checkpoint_path}: ") and "\n" not in message
    for fragment in fragments:
        assert fragment in message


def test_the_unedited_checkpoint_loads_and_continues_its_generator(checkpoint_path):
    back = load_checkpoint(checkpoint_path)
    assert back.epoch == 2 and set(back.optimizer) == {"w:input-h1", "b:output"}
    assert back.random_generator().random() == np.random.default_rng(1).random()


def test_a_state_numpy_would_warn_about_is_refused():
    state = np.random.default_rng(0).bit_generator.state
    state["state"]["state"] = -1
    with pytest.raises(ValueError, match="not a valid PCG64 state"):
        rng_from_state(state)


def broken_files(tmp_path, checkpoint_path):
    """A directory, a text file, an HDF5 file of another program and a truncated checkpoint."""
    (tmp_path / "text.h5").write_text("[model]\nname = 'x'\n")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = 1
    (tmp_path / "short.h5").write_bytes(checkpoint_path.read_bytes()[:3000])
    return {tmp_path: "is a directory", tmp_path / "text.h5": "does not start with the HDF5 signature",
            tmp_path / "other.h5": "not a lava-eqprop file",
            tmp_path / "short.h5": "not a readable HDF5 file (truncated or corrupt?)"}


def test_broken_files_get_one_line_from_the_cli(tmp_path, checkpoint_path, capsys):
    for path, fragment in broken_files(tmp_path, checkpoint_path).items():
        with pytest.raises(FileFormatError, match=re.escape(fragment)):
            load_network(path)
        assert main(["info", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"lava-eqprop info: error: {path}: ") and err.count("\n") == 1
        assert fragment in err
