"""The training data as a trainer uses it: checked against the network, flattened, normalised,
augmented per batch, and made one batch ahead."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lava_eqprop.data.augment import augment, channel_statistics, normalise
from lava_eqprop.data.datasets import Dataset
from lava_eqprop.errors import SpecError
from lava_eqprop.network.network import Network
from lava_eqprop.spec.model_spec import ModelSpec


def check_data_fits(spec: ModelSpec, network: Network, dataset: Dataset) -> None:
    """The input and output sizes of the network must match the data set."""
    n_in, n_out = network.inputs[0].size, network.outputs[0].size
    shape = network.inputs[0].shape
    if len(shape) == 3 and shape != dataset.image_shape:
        raise SpecError(f"{spec.path}: [network.conv] input_shape is {list(shape)} but data set "
                        f"{dataset.name!r} has images {list(dataset.image_shape)}")
    if n_in != dataset.input_size:
        raise SpecError(f"{spec.path}: [network] layers starts with {n_in} inputs but data set "
                        f"{dataset.name!r} has {dataset.input_size} ({dataset.image_shape})")
    if n_out != dataset.num_classes:
        raise SpecError(f"{spec.path}: [network] layers ends with {n_out} outputs but data set "
                        f"{dataset.name!r} has {dataset.num_classes} classes")


def prepared_inputs(spec: ModelSpec, dataset: Dataset, dtype: type
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Training and test inputs, flat (N, size) in ``dtype``; with ``[data] normalise``,
    standardised per channel with the training set's statistics."""
    x_train, x_test = dataset.x_train, dataset.x_test
    if spec.data.normalise:
        if x_train.ndim != 4:
            raise SpecError(f"{spec.path}: [data] normalise: needs images (N, C, H, W), data set "
                            f"{dataset.name!r} has shape {x_train.shape[1:]}")
        mean, std = channel_statistics(x_train)
        x_train, x_test = normalise(x_train, mean, std), normalise(x_test, mean, std)
    return (x_train.reshape(len(x_train), -1).astype(dtype),
            x_test.reshape(len(x_test), -1).astype(dtype))


def augmented_batch(spec: ModelSpec, dataset: Dataset, x_train: np.ndarray, idx: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray:
    """The training inputs of a batch, augmented if ``[data] augment`` says so (flip, then
    crop, drawn from ``rng``)."""
    if not spec.data.augment:
        return x_train[idx]
    images = x_train[idx].reshape(len(idx), *dataset.image_shape)
    images = augment(images, spec.data.augment, spec.data.crop_padding, rng)
    return images.reshape(len(idx), -1)


class Lookahead:
    """The inputs of batch b, ``make(indices[b])``, each made once when first asked for (and
    kept while the next two batches may still need it); :meth:`ahead` gives None past the last
    batch."""

    def __init__(self, make: Callable[[np.ndarray], np.ndarray], indices: list[np.ndarray]):
        self.make, self.indices = make, indices
        self.made: dict[int, np.ndarray] = {}

    def ahead(self, b: int) -> np.ndarray | None:
        """Batch b's inputs, or None when there is no batch b."""
        return self[b] if b < len(self.indices) else None

    def __getitem__(self, b: int) -> np.ndarray:
        if b not in self.made:
            self.made = {k: v for k, v in self.made.items() if k >= b - 2}
            self.made[b] = self.make(self.indices[b])
        return self.made[b]
