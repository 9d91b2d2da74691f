"""Networks and training checkpoints as HDF5 files (h5py), versioned and written atomically.

Layout, format version 1::

    /                        attrs: format="lava-eqprop", format_version=1, content, created_by,
                             spec_toml (network files: the model spec it was trained from)
    /network                 attrs: name, metadata (JSON)
    /network/populations/NNN attrs: name, shape, activation, role, learn_bias; dataset bias
    /network/projections/NNN attrs: name, pre, post, kind, symmetric, plastic; conv
                             projections also stride, padding, pool ("" for none, "max",
                             "avg") and pool_size; datasets weight and, when not
                             all-to-all, mask
    /training                (checkpoints only) attrs: epoch, spec_toml, rng_state, history (JSON),
                             data (JSON: the training data set, its sizes and SHA-256)
    /training/particles/NAME persistent free-phase states per training sample
    /training/test_particles/NAME  the same for the test samples (the papers' test protocol)
    /training/optimizer/KEY  optimizer buffers (momentum): w:PROJECTION, b:POPULATION

Every dataset carries HDF5's Fletcher-32 checksum, so a corrupted file is refused on read rather
than loaded with wrong numbers. A file of another format version is refused with a message
saying which version this package reads. Files are built in memory and written
with :func:`~lava_eqprop.io.atomic.write_bytes_atomic`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import h5py
import numpy as np

from lava_eqprop import __version__
from lava_eqprop.errors import FileFormatError, NetworkError
from lava_eqprop.io.atomic import write_bytes_atomic
from lava_eqprop.network.network import ConvGeometry, Network, Population, Projection

FORMAT_NAME = "lava-eqprop"
FORMAT_VERSION = 1
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


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
    data: dict[str, Any] | None = None     # the training data (training.resume.data_description)

    def random_generator(self) -> np.random.Generator:
        """A generator that continues from the stored ``rng_state``, of the bit generator the
        state names."""
        return rng_from_state(self.rng_state)


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


@contextlib.contextmanager
def _file_image(path: str | os.PathLike) -> Iterator[h5py.File]:
    """An HDF5 file built in memory, then written to ``path`` atomically in one piece: the HDF5
    library never writes to the disk itself, so a full disk is one clean
    :class:`~lava_eqprop.errors.OutputError` (HDF5 reports it from destructors, as several
    tracebacks and at times a crash)."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        yield f
    write_bytes_atomic(path, buffer.getbuffer())


def save_network(network: Network, path: str | os.PathLike, spec_text: str | None = None) -> None:
    """Write ``network`` to ``path`` atomically, with the model spec it was trained from
    (``spec_text``; by default the network's own :attr:`~Network.spec_text`)."""
    with _file_image(path) as f:
        _write_root(f, "network")
        f.attrs["spec_toml"] = network.spec_text if spec_text is None else spec_text
        _write_network(f, network)


def save_checkpoint(checkpoint: Checkpoint, path: str | os.PathLike) -> None:
    """Write a training checkpoint atomically (a killed process leaves the previous one)."""
    with _file_image(path) as f:
        _write_root(f, "checkpoint")
        _write_network(f, checkpoint.network)
        t = f.create_group("training")
        t.attrs.update(epoch=checkpoint.epoch, spec_toml=checkpoint.spec_text,
                       rng_state=json.dumps(checkpoint.rng_state),
                       history=json.dumps(checkpoint.history))
        if checkpoint.data is not None:
            t.attrs["data"] = json.dumps(checkpoint.data)
        for group, arrays in (("particles", checkpoint.particles),
                              ("test_particles", checkpoint.test_particles),
                              ("optimizer", checkpoint.optimizer)):
            g = t.create_group(group)
            for name, arr in arrays.items():
                _dataset(g, name, arr)


# ---- reading: a validation layer ---------------------------------------------------------------
def _one_line(exc: BaseException) -> str:
    """An exception's message with its line breaks folded (h5py's span several lines)."""
    return " ".join(str(exc).split())


def _found(value: Any) -> str:
    """A short description of a value that has the wrong type, for messages."""
    if isinstance(value, np.ndarray):
        return f"an array of {value.dtype} with shape {value.shape}"
    return f"{type(value).__name__} {value!r}"[:120]


def rng_from_state(state: Any) -> np.random.Generator:
    """A generator whose bit generator (named by ``state["bit_generator"]``, one of NumPy's)
    continues from ``state``; raises ValueError (or TypeError) when the state is not one NumPy
    accepts for that bit generator."""
    if not isinstance(state, dict):
        raise ValueError("expected a JSON object (a NumPy bit generator state)")
    name = state.get("bit_generator")
    if name not in BIT_GENERATORS:
        raise ValueError(f"bit_generator {name!r} is not one of {list(BIT_GENERATORS)}")
    bit_generator = getattr(np.random, name)()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NumPy only warns about out-of-range integers
        try:
            bit_generator.state = state
        except (KeyError, DeprecationWarning, OverflowError) as exc:
            raise ValueError(f"not a valid {name} state ({type(exc).__name__}: "
                             f"{_one_line(exc)})") from None
    return np.random.Generator(bit_generator)


class _Reader:
    """Reads a network or checkpoint file and checks every value it reads: the type and range
    of each attribute, the dtype of each dataset, the structure of the JSON attributes. Each
    error is a one-line :class:`FileFormatError` naming the file and the HDF5 path at fault."""

    def __init__(self, path: str | os.PathLike, content: str) -> None:
        self.path = os.fspath(path)
        self.content = content

    def fail(self, where: str, message: str) -> FileFormatError:
        return FileFormatError(f"{self.path}: {where}: {message}")

    # ---- the file ------------------------------------------------------------------------
    def open(self) -> h5py.File:
        """The open file, checked to be a lava-eqprop file of this format version and, for a
        checkpoint reader, a checkpoint."""
        if not os.path.exists(self.path):
            raise FileFormatError(f"{self.path}: no such file")
        if os.path.isdir(self.path):
            raise FileFormatError(f"{self.path}: is a directory, not an HDF5 file")
        if not h5py.is_hdf5(self.path):
            raise FileFormatError(f"{self.path}: not a readable HDF5 file (it does not start "
                                  "with the HDF5 signature)")
        try:
            f = h5py.File(self.path, "r")
        except OSError as exc:
            raise FileFormatError(f"{self.path}: not a readable HDF5 file (truncated or "
                                  f"corrupt?): {_one_line(exc)}") from None
        try:
            self._check_root(f)
        except BaseException:
            f.close()
            raise
        return f

    def _check_root(self, f: h5py.File) -> None:
        fmt = f.attrs.get("format")
        if fmt != FORMAT_NAME:
            raise FileFormatError(f"{self.path}: not a lava-eqprop file (format attribute is "
                                  f"{fmt!r})")
        version = f.attrs.get("format_version")
        if version != FORMAT_VERSION:
            raise FileFormatError(f"{self.path}: format version {version} is not supported; "
                                  f"this lava_eqprop ({__version__}) reads version "
                                  f"{FORMAT_VERSION}")
        content = f.attrs.get("content")
        if self.content == "checkpoint" and content != "checkpoint":
            raise FileFormatError(f"{self.path}: holds a {content!r}, not a training checkpoint")

    # ---- groups and datasets ---------------------------------------------------------------
    def group(self, parent: h5py.Group, name: str) -> h5py.Group:
        where = f"{parent.name.rstrip('/')}/{name}"
        if not isinstance(parent.get(name), h5py.Group):
            raise self.fail(where, "missing group" if name not in parent else
                            "expected a group, found a dataset")
        return parent[name]

    def numbered_groups(self, parent: h5py.Group, name: str) -> list[h5py.Group]:
        """The groups ``000``, ``001``, … under ``parent/name``, in numeric order."""
        group = self.group(parent, name)
        for key, item in group.items():
            if not key.isdigit() or not isinstance(item, h5py.Group):
                raise self.fail(item.name, "expected only groups named by numbers (000, 001, "
                                "…) here")
        return [group[key] for key in sorted(group, key=int)]

    def array(self, group: h5py.Group, name: str) -> np.ndarray:
        """A dataset of finite numbers (integers or floats)."""
        value = self._dataset(group, name)
        if value.dtype.kind not in "iuf":
            raise self.fail(value_where(group, name),
                            f"expected a numeric array, found {_kind_name(value)}")
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            raise self.fail(value_where(group, name), "holds non-finite values (nan or inf)")
        return value

    def bool_array(self, group: h5py.Group, name: str) -> np.ndarray:
        """A dataset of booleans (a connectivity mask)."""
        value = self._dataset(group, name)
        if value.dtype != np.bool_:
            raise self.fail(value_where(group, name),
                            f"expected an array of booleans, found {_kind_name(value)}")
        return value

    def arrays(self, group: h5py.Group) -> dict[str, np.ndarray]:
        """Every dataset of ``group`` by name (particles, optimizer buffers)."""
        return {name: self.array(group, name) for name in group}

    def _dataset(self, group: h5py.Group, name: str) -> np.ndarray:
        where = value_where(group, name)
        item = group.get(name)
        if not isinstance(item, h5py.Dataset):
            raise self.fail(where, "missing dataset" if item is None else
                            "expected a dataset, found a group")
        try:
            return np.asarray(item[()])
        except OSError as exc:
            raise self.fail(where, f"dataset is corrupt: {_one_line(exc)}") from None

    # ---- attributes -------------------------------------------------------------------------
    def _attr(self, obj: h5py.HLObject, name: str) -> Any:
        if name not in obj.attrs:
            raise self.fail(attr_where(obj, name), "missing attribute")
        return obj.attrs[name]

    def text(self, obj: h5py.HLObject, name: str) -> str:
        value = self._attr(obj, name)
        if isinstance(value, bytes):
            try:
                return value.decode()
            except UnicodeDecodeError:
                raise self.fail(attr_where(obj, name), "expected UTF-8 text") from None
        if not isinstance(value, str):
            raise self.fail(attr_where(obj, name), f"expected a string, found {_found(value)}")
        return value

    def integer(self, obj: h5py.HLObject, name: str, minimum: int) -> int:
        value = self._attr(obj, name)
        if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)) \
                or value < minimum:
            raise self.fail(attr_where(obj, name),
                            f"expected an integer >= {minimum}, found {_found(value)}")
        return int(value)

    def flag(self, obj: h5py.HLObject, name: str) -> bool:
        value = self._attr(obj, name)
        if not isinstance(value, (bool, np.bool_, int, np.integer)) or value not in (0, 1):
            raise self.fail(attr_where(obj, name), f"expected true or false, found {_found(value)}")
        return bool(value)

    def shape(self, obj: h5py.HLObject, name: str) -> tuple[int, ...]:
        value = np.asarray(self._attr(obj, name))
        if value.ndim != 1 or value.size == 0 or value.dtype.kind not in "iu" or np.any(value < 1):
            raise self.fail(attr_where(obj, name), "expected a list of positive integers, found "
                            f"{_found(value)}")
        return tuple(int(d) for d in value)

    def json(self, obj: h5py.HLObject, name: str) -> Any:
        try:
            return json.loads(self.text(obj, name))
        except json.JSONDecodeError as exc:
            raise self.fail(attr_where(obj, name), f"not valid JSON: {exc}") from None

    # ---- what the attributes and datasets describe --------------------------------------------
    def population(self, p: h5py.Group) -> Population:
        return Population(self.text(p, "name"), self.shape(p, "shape"), self.text(p, "activation"),
                          self.text(p, "role"), self.array(p, "bias"), self.flag(p, "learn_bias"))

    def projection(self, p: h5py.Group) -> Projection:
        return Projection(self.text(p, "name"), self.text(p, "pre"), self.text(p, "post"),
                          self.array(p, "weight"), kind=self.text(p, "kind"),
                          mask=self.bool_array(p, "mask") if "mask" in p else None,
                          symmetric=self.flag(p, "symmetric"), plastic=self.flag(p, "plastic"),
                          geometry=self.geometry(p))

    def geometry(self, p: h5py.Group) -> ConvGeometry | None:
        """A conv projection's stride, padding and pooling (None for other kinds)."""
        if "stride" not in p.attrs:
            return None
        return ConvGeometry(self.integer(p, "stride", 1), self.integer(p, "padding", 0),
                            self.text(p, "pool") or None, self.integer(p, "pool_size", 1))

    def json_object(self, obj: h5py.HLObject, name: str) -> dict:
        value = self.json(obj, name)
        if not isinstance(value, dict):
            raise self.fail(attr_where(obj, name), f"expected a JSON object, found {_found(value)}")
        return value

    def network(self, f: h5py.File) -> Network:
        g = self.group(f, "network")
        pops = [self.population(p) for p in self.numbered_groups(g, "populations")]
        projs = [self.projection(p) for p in self.numbered_groups(g, "projections")]
        try:
            return Network(self.text(g, "name"), pops, projs,
                           metadata=self.json_object(g, "metadata"))
        except NetworkError as exc:
            raise self.fail("/network", f"the stored network is inconsistent: {exc}") from None

    def data(self, t: h5py.Group) -> dict[str, Any] | None:
        """The description of the training data (absent in files of 0.1.0 before it was kept)."""
        if "data" not in t.attrs:
            return None
        return self.json_object(t, "data")

    def rng_state(self, t: h5py.Group) -> dict[str, Any]:
        state = self.json(t, "rng_state")
        try:
            rng_from_state(state)
        except (ValueError, TypeError) as exc:
            raise self.fail(attr_where(t, "rng_state"), _one_line(exc)) from None
        return state

    def history(self, t: h5py.Group, epoch: int) -> list[dict[str, Any]]:
        """The per-epoch records: JSON objects whose ``epoch`` is an integer in [1, epoch]."""
        history = self.json(t, "history")
        if not isinstance(history, list):
            raise self.fail(attr_where(t, "history"),
                            f"expected a JSON list of records, found {_found(history)}")
        for k, record in enumerate(history):
            number = record.get("epoch") if isinstance(record, dict) else None
            if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= epoch:
                raise self.fail(attr_where(t, "history"),
                                f"record {k} is {_found(record)}; expected a JSON object with an "
                                f"integer 'epoch' in [1, {epoch}] (the checkpoint's epoch)")
        return history

    def optimizer(self, t: h5py.Group, network: Network) -> dict[str, np.ndarray]:
        """Optimizer buffers ``w:PROJECTION`` and ``b:POPULATION``, each of its parameter's
        shape."""
        buffers = self.arrays(self.group(t, "optimizer"))
        for key, value in buffers.items():
            expected = _parameter_shape(network, key)
            if expected != value.shape:
                raise self.fail(value_where(t["optimizer"], key),
                                f"has shape {value.shape}; expected "
                                + ("the shape of a parameter named w:PROJECTION or b:POPULATION"
                                   if expected is None else f"{expected}, its parameter's shape"))
        return buffers


def value_where(group: h5py.Group, name: str) -> str:
    """The HDF5 path of ``group``'s member ``name``."""
    return f"{group.name.rstrip('/')}/{name}"


def attr_where(obj: h5py.HLObject, name: str) -> str:
    """Where an attribute is, e.g. ``/training attribute 'epoch'``."""
    return f"{obj.name} attribute {name!r}"


def _kind_name(value: np.ndarray) -> str:
    kinds = {"S": "strings", "U": "strings", "O": "strings or objects", "b": "booleans",
             "V": "compound records", "c": "complex numbers"}
    return kinds.get(value.dtype.kind, str(value.dtype))


def _parameter_shape(network: Network, key: str) -> tuple[int, ...] | None:
    """The shape of the weight (``w:NAME``) or bias (``b:NAME``) an optimizer buffer belongs
    to; None when there is no such parameter."""
    kind, _, name = key.partition(":")
    if kind == "w":
        match = [p.weight for p in network.projections if p.name == name]
    elif kind == "b":
        match = [p.bias for p in network.populations if p.name == name]
    else:
        match = []
    return np.shape(match[0]) if match else None


def load_network(path: str | os.PathLike) -> Network:
    """Read the network of a network file or of a checkpoint, with the model spec stored with
    it as its :attr:`~Network.spec_text`."""
    reader = _Reader(path, "network")
    with reader.open() as f:
        network = reader.network(f)
        network.spec_text = _stored_spec_text(reader, f)
        return network


def load_spec_text(path: str | os.PathLike) -> str:
    """The model spec (TOML text) stored with a network or checkpoint; "" if none was."""
    reader = _Reader(path, "network")
    with reader.open() as f:
        return _stored_spec_text(reader, f)


def _stored_spec_text(reader: _Reader, f: h5py.File) -> str:
    if "training" in f:
        return reader.text(reader.group(f, "training"), "spec_toml")
    return reader.text(f, "spec_toml") if "spec_toml" in f.attrs else ""


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a training checkpoint written by :func:`save_checkpoint`."""
    reader = _Reader(path, "checkpoint")
    with reader.open() as f:
        network = reader.network(f)
        t = reader.group(f, "training")
        epoch = reader.integer(t, "epoch", 0)
        test_particles = (reader.arrays(reader.group(t, "test_particles"))
                          if "test_particles" in t else {})  # absent in files of early 0.1.0
        network.spec_text = reader.text(t, "spec_toml")
        return Checkpoint(network, epoch, network.spec_text, reader.rng_state(t),
                          reader.history(t, epoch), reader.arrays(reader.group(t, "particles")),
                          reader.optimizer(t, network), test_particles, reader.data(t))
