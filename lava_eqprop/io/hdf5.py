"""Networks and training checkpoints as HDF5 files (h5py), versioned and written atomically.

Layout, format version 1::

    /                        attrs: format="lava-eqprop", format_version=1, content, created_by,
                             spec_toml (network files: the model spec it was trained from)
    /network                 attrs: name, metadata (JSON)
    /network/populations/NNN attrs: name, shape, activation, role, learn_bias; dataset bias
    /network/projections/NNN attrs: name, pre, post, kind, symmetric, plastic;
                             datasets weight and, when not all-to-all, mask
    /training                (checkpoints only) attrs: epoch, spec_toml, rng_state, history (JSON)
    /training/particles/NAME persistent free-phase states per training sample
    /training/test_particles/NAME  the same for the test samples (the papers' test protocol)
    /training/optimizer/KEY  optimizer buffers (momentum)

Every dataset carries HDF5's Fletcher-32 checksum, so a corrupted file is refused on read rather
than loaded with wrong numbers. A file of another format version is refused with a message
saying which version this package reads. Writes go through :func:`~lava_eqprop.io.atomic.atomic_path`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

import h5py
import numpy as np

from lava_eqprop import __version__
from lava_eqprop.errors import FileFormatError, NetworkError
from lava_eqprop.io.atomic import atomic_path
from lava_eqprop.network.network import ConvGeometry, Network, Population, Projection

FORMAT_NAME = "lava-eqprop"
FORMAT_VERSION = 1


@dataclass
class Checkpoint:
    """Everything needed to resume training exactly where it stopped."""

    network: Network
    epoch: int
    spec_text: str
    rng_state: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    particles: dict[str, np.ndarray] = field(default_factory=dict)
    optimizer: dict[str, np.ndarray] = field(default_factory=dict)
    test_particles: dict[str, np.ndarray] = field(default_factory=dict)


# ---- writing ---------------------------------------------------------------------------------
def _dataset(group: h5py.Group, name: str, data: np.ndarray) -> None:
    data = np.asarray(data)
    group.create_dataset(name, data=data, fletcher32=True, chunks=True if data.ndim else None)


def _write_network(root: h5py.Group, network: Network) -> None:
    g = root.create_group("network")
    g.attrs["name"] = network.name
    g.attrs["metadata"] = json.dumps(network.metadata)
    pops = g.create_group("populations")
    for k, pop in enumerate(network.populations):
        p = pops.create_group(f"{k:03d}")
        p.attrs.update(name=pop.name, shape=np.asarray(pop.shape, dtype=np.int64),
                       activation=pop.activation, role=pop.role, learn_bias=pop.learn_bias)
        _dataset(p, "bias", pop.bias)
    projs = g.create_group("projections")
    for k, proj in enumerate(network.projections):
        p = projs.create_group(f"{k:03d}")
        p.attrs.update(name=proj.name, pre=proj.pre, post=proj.post, kind=proj.kind,
                       symmetric=proj.symmetric, plastic=proj.plastic)
        _dataset(p, "weight", proj.weight)
        if proj.mask is not None:
            _dataset(p, "mask", proj.mask)
        if proj.geometry is not None:
            geo = proj.geometry
            p.attrs.update(stride=geo.stride, padding=geo.padding, pool=geo.pool or "",
                           pool_size=geo.pool_size)


def _write_root(f: h5py.File, content: str) -> None:
    f.attrs.update(format=FORMAT_NAME, format_version=FORMAT_VERSION, content=content,
                   created_by=f"lava_eqprop {__version__}")


def save_network(network: Network, path: str | os.PathLike, spec_text: str = "") -> None:
    """Write ``network`` to ``path`` atomically, with the model spec it was trained from."""
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            _write_root(f, "network")
            f.attrs["spec_toml"] = spec_text
            _write_network(f, network)


def save_checkpoint(checkpoint: Checkpoint, path: str | os.PathLike) -> None:
    """Write a training checkpoint atomically (a killed process leaves the previous one)."""
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            _write_root(f, "checkpoint")
            _write_network(f, checkpoint.network)
            t = f.create_group("training")
            t.attrs.update(epoch=checkpoint.epoch, spec_toml=checkpoint.spec_text,
                           rng_state=json.dumps(checkpoint.rng_state),
                           history=json.dumps(checkpoint.history))
            for group, arrays in (("particles", checkpoint.particles),
                                  ("test_particles", checkpoint.test_particles),
                                  ("optimizer", checkpoint.optimizer)):
                g = t.create_group(group)
                for name, arr in arrays.items():
                    _dataset(g, name, arr)


# ---- reading ---------------------------------------------------------------------------------
class _Reader:
    """Wraps every h5py access so that a missing item or a checksum error names the file."""

    def __init__(self, path: str | os.PathLike, content: str) -> None:
        self.path = os.fspath(path)
        self.content = content

    def fail(self, message: str) -> FileFormatError:
        return FileFormatError(f"{self.path}: {message}")

    def open(self) -> h5py.File:
        if not os.path.exists(self.path):
            raise FileFormatError(f"{self.path}: no such file")
        try:
            f = h5py.File(self.path, "r")
        except OSError as exc:
            raise self.fail(f"not a readable HDF5 file (truncated or corrupt?): {exc}") from exc
        fmt = f.attrs.get("format")
        version = f.attrs.get("format_version")
        content = f.attrs.get("content")
        if fmt != FORMAT_NAME:
            f.close()
            raise self.fail(f"not a lava-eqprop file (format attribute is {fmt!r})")
        if version != FORMAT_VERSION:
            f.close()
            raise self.fail(f"format version {version} is not supported; this lava_eqprop "
                            f"({__version__}) reads version {FORMAT_VERSION}")
        if self.content == "checkpoint" and content != "checkpoint":
            f.close()
            raise self.fail(f"holds a {content!r}, not a training checkpoint")
        return f

    def array(self, group: h5py.Group, name: str) -> np.ndarray:
        if name not in group:
            raise self.fail(f"missing dataset {group.name}/{name}")
        try:
            return group[name][()]
        except OSError as exc:
            raise self.fail(f"dataset {group.name}/{name} is corrupt: {exc}") from exc

    def attr(self, group: h5py.Group, name: str) -> Any:
        if name not in group.attrs:
            raise self.fail(f"missing attribute {name!r} of {group.name}")
        value = group.attrs[name]
        return value.decode() if isinstance(value, bytes) else value

    def group(self, parent: h5py.Group, name: str) -> h5py.Group:
        if name not in parent:
            raise self.fail(f"missing group {parent.name.rstrip('/')}/{name}")
        return parent[name]

    def geometry(self, p: h5py.Group) -> ConvGeometry | None:
        """A conv projection's stride, padding and pooling (None for other kinds)."""
        if "stride" not in p.attrs:
            return None
        return ConvGeometry(int(self.attr(p, "stride")), int(self.attr(p, "padding")),
                            str(self.attr(p, "pool")) or None, int(self.attr(p, "pool_size")))

    def network(self, f: h5py.File) -> Network:
        g = self.group(f, "network")
        pops = []
        for key in sorted(self.group(g, "populations"), key=int):
            p = g["populations"][key]
            pops.append(Population(str(self.attr(p, "name")), tuple(int(d) for d in self.attr(p, "shape")),
                                   str(self.attr(p, "activation")), str(self.attr(p, "role")),
                                   self.array(p, "bias"), bool(self.attr(p, "learn_bias"))))
        projs = []
        for key in sorted(self.group(g, "projections"), key=int):
            p = g["projections"][key]
            projs.append(Projection(str(self.attr(p, "name")), str(self.attr(p, "pre")),
                                    str(self.attr(p, "post")), self.array(p, "weight"),
                                    kind=str(self.attr(p, "kind")),
                                    mask=self.array(p, "mask") if "mask" in p else None,
                                    symmetric=bool(self.attr(p, "symmetric")),
                                    plastic=bool(self.attr(p, "plastic")),
                                    geometry=self.geometry(p)))
        try:
            return Network(str(self.attr(g, "name")), pops, projs,
                           metadata=json.loads(self.attr(g, "metadata")))
        except NetworkError as exc:
            raise self.fail(f"the stored network is inconsistent: {exc}") from exc


def load_network(path: str | os.PathLike) -> Network:
    """Read the network of a network file or of a checkpoint."""
    reader = _Reader(path, "network")
    with reader.open() as f:
        return reader.network(f)


def load_spec_text(path: str | os.PathLike) -> str:
    """The model spec (TOML text) stored with a network or checkpoint; "" if none was."""
    reader = _Reader(path, "network")
    with reader.open() as f:
        if "training" in f:
            return str(reader.attr(f["training"], "spec_toml"))
        return str(f.attrs.get("spec_toml", ""))


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a training checkpoint written by :func:`save_checkpoint`."""
    reader = _Reader(path, "checkpoint")
    with reader.open() as f:
        network = reader.network(f)
        t = reader.group(f, "training")
        particles, optimizer = ({k: reader.array(t[group], k) for k in reader.group(t, group)}
                                for group in ("particles", "optimizer"))
        test_particles = ({k: reader.array(t["test_particles"], k) for k in t["test_particles"]}
                          if "test_particles" in t else {})  # absent in files of early 0.1.0
        try:
            rng_state = json.loads(reader.attr(t, "rng_state"))
            history = json.loads(reader.attr(t, "history"))
        except json.JSONDecodeError as exc:
            raise reader.fail(f"training attributes are not valid JSON: {exc}") from exc
        return Checkpoint(network, int(reader.attr(t, "epoch")), str(reader.attr(t, "spec_toml")),
                          rng_state, history, particles, optimizer, test_particles)
