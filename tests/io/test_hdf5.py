"""HDF5 networks and checkpoints: round trips, versions, corruption, atomic writes."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import h5py
import numpy as np
import pytest

from lava_eqprop.errors import FileFormatError
from lava_eqprop.io import Checkpoint, load_checkpoint, load_network, save_checkpoint, save_network
from lava_eqprop.io.atomic import remove_stale_temporaries
from lava_eqprop.io.hdf5 import load_spec_text
from lava_eqprop.network import layered, small_world


def sample_net():
    rng = np.random.default_rng(0)
    return small_world(layered([6, 5, 4, 3], rng=rng), 0.4, rng=rng, pool="any")


def assert_same_network(a, b):
    assert a.name == b.name and a.metadata == b.metadata
    assert [(p.name, p.shape, p.activation, p.role, p.learn_bias) for p in a.populations] == \
           [(p.name, p.shape, p.activation, p.role, p.learn_bias) for p in b.populations]
    for pa, pb in zip(a.populations, b.populations):
        np.testing.assert_array_equal(pa.bias, pb.bias)
    assert [(p.name, p.pre, p.post, p.kind, p.symmetric, p.plastic) for p in a.projections] == \
           [(p.name, p.pre, p.post, p.kind, p.symmetric, p.plastic) for p in b.projections]
    for pa, pb in zip(a.projections, b.projections):
        np.testing.assert_array_equal(pa.weight, pb.weight)
        assert (pa.mask is None) == (pb.mask is None)
        if pa.mask is not None:
            np.testing.assert_array_equal(pa.mask, pb.mask)


def test_network_round_trip(tmp_path):
    net = sample_net()
    assert any(p.lateral for p in net.projections) and any(p.mask is not None for p in net.projections)
    save_network(net, tmp_path / "n.h5", spec_text="[model]\nname='x'\n")
    assert_same_network(net, load_network(tmp_path / "n.h5"))
    assert load_spec_text(tmp_path / "n.h5") == "[model]\nname='x'\n"


def test_checkpoint_round_trip(tmp_path):
    net = sample_net()
    rng = np.random.default_rng(7)
    rng.random(3)
    ckpt = Checkpoint(net, 4, "spec text", rng.bit_generator.state, [{"epoch": 1, "x": [1.5]}],
                      {"h1": np.arange(10.0).reshape(2, 5)}, {"w:input-h1": np.ones((5, 6))},
                      {"h1": np.full((3, 5), 0.5)})
    save_checkpoint(ckpt, tmp_path / "c.h5")
    back = load_checkpoint(tmp_path / "c.h5")
    assert_same_network(net, back.network)
    assert (back.epoch, back.spec_text, back.history) == (4, "spec text", [{"epoch": 1, "x": [1.5]}])
    restored = np.random.default_rng()
    restored.bit_generator.state = back.rng_state
    assert restored.random() == rng.random()
    np.testing.assert_array_equal(back.particles["h1"], ckpt.particles["h1"])
    np.testing.assert_array_equal(back.optimizer["w:input-h1"], np.ones((5, 6)))
    np.testing.assert_array_equal(back.test_particles["h1"], np.full((3, 5), 0.5))
    with pytest.raises(FileFormatError, match="not a training checkpoint"):
        save_network(net, tmp_path / "n.h5")
        load_checkpoint(tmp_path / "n.h5")


def test_other_version_and_foreign_files_are_refused(tmp_path):
    save_network(sample_net(), tmp_path / "n.h5")
    with h5py.File(tmp_path / "n.h5", "a") as f:
        f.attrs["format_version"] = 99
    with pytest.raises(FileFormatError, match="format version 99 is not supported.*reads version 1"):
        load_network(tmp_path / "n.h5")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = 1
    with pytest.raises(FileFormatError, match="not a lava-eqprop file"):
        load_network(tmp_path / "other.h5")
    (tmp_path / "text.h5").write_text("hello")
    with pytest.raises(FileFormatError, match="not a readable HDF5 file"):
        load_network(tmp_path / "text.h5")
    with pytest.raises(FileFormatError, match="no such file"):
        load_network(tmp_path / "missing.h5")


def test_corrupted_and_truncated_files_are_refused(tmp_path):
    net = sample_net()
    path = tmp_path / "n.h5"
    save_network(net, path)
    with h5py.File(path, "r") as f:
        chunk = f["network/projections/000/weight"].id.get_chunk_info(0)
        offset, size = chunk.byte_offset, chunk.size
    data = bytearray(path.read_bytes())
    for k in range(8):  # flip bytes inside the first weight's data: the checksum catches it
        data[offset + size // 2 + k] ^= 0xFF
    (tmp_path / "flipped.h5").write_bytes(bytes(data))
    with pytest.raises(FileFormatError, match="corrupt"):
        load_network(tmp_path / "flipped.h5")
    (tmp_path / "short.h5").write_bytes(path.read_bytes()[: len(data) // 2])
    with pytest.raises(FileFormatError):
        load_network(tmp_path / "short.h5")


def test_a_killed_writer_leaves_the_previous_checkpoint_intact(tmp_path):
    """SIGKILL a process while it writes a large checkpoint over an existing one."""
    path = tmp_path / "c.h5"
    small = Checkpoint(sample_net(), 1, "old", np.random.default_rng(0).bit_generator.state)
    save_checkpoint(small, path)
    script = textwrap.dedent(f"""
        import numpy as np, sys
        from lava_eqprop.io import Checkpoint, save_checkpoint
        from lava_eqprop.network import layered
        net = layered([2, 2, 2], rng=np.random.default_rng(0))
        big = {{"p%d" % k: np.random.default_rng(k).random((2000, 2000)) for k in range(40)}}
        print("writing", flush=True)
        save_checkpoint(Checkpoint(net, 2, "new", np.random.default_rng(0).bit_generator.state,
                                   particles=big), {str(path)!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    deadline = time.time() + 60
    while not any(t.stat().st_size > 1_000_000 for t in tmp_path.glob(".c.h5.*.tmp")) \
            and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stray = list(tmp_path.glob(".c.h5.*.tmp"))
    assert stray, "the writer was killed before it started writing"
    back = load_checkpoint(path)
    assert back.epoch == 1 and back.spec_text == "old"
    assert remove_stale_temporaries(tmp_path) == stray    # what a run does when it takes the lock
    assert os.listdir(tmp_path) == ["c.h5"]


def test_conv_network_round_trip_keeps_geometry_kernels_and_channel_biases(tmp_path):
    from lava_eqprop.network.conv_nets import ConvLayer, Skip, conv_network

    layers = [ConvLayer("c1", 3, 3, 1, 1, "max"), ConvLayer("c2", 3, 3, 2, 1)]
    net = conv_network((2, 8, 8), layers, 4, rng=np.random.default_rng(0),
                       skips=[Skip("c1", "c2", "conv")])
    save_network(net, tmp_path / "conv.h5")
    back = load_network(tmp_path / "conv.h5")
    for a, b in zip(net.projections, back.projections):
        assert (a.name, a.kind, a.geometry) == (b.name, b.kind, b.geometry)
        np.testing.assert_array_equal(a.weight, b.weight)
    for a, b in zip(net.populations, back.populations):
        assert a.shape == b.shape and a.channel_bias == b.channel_bias
        np.testing.assert_array_equal(a.bias, b.bias)
    assert back.projection("c1-c2").geometry.pool is None
    assert back.projection("input-c1").geometry.pool == "max"
