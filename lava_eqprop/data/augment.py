"""Input normalisation and the usual image augmentations, in NumPy, on (N, C, H, W) batches.

* :func:`channel_statistics` / :func:`normalise`: per-channel standardisation with the training
  set's mean and standard deviation (the test set uses the training statistics);
* :func:`random_flip`: each image mirrored left-right with probability ½;
* :func:`random_crop`: each image zero-padded by ``padding`` pixels on every side and cropped
  back to its size at a uniformly random offset (the CIFAR augmentation of He et al. 2016,
  padding 4, used by Laborieux et al. 2021 and Elayedam & Srinivasan).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

AUGMENTATIONS = ("flip", "crop")


def channel_statistics(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each channel over images and pixels, shapes (C, 1, 1)."""
    mean = x.mean(axis=(0, 2, 3), dtype=np.float64)[:, None, None]
    std = x.std(axis=(0, 2, 3), dtype=np.float64)[:, None, None]
    return mean, np.where(std > 0, std, 1.0)


def normalise(x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """(x − mean) / std per channel, in x's dtype."""
    return ((x - mean) / std).astype(x.dtype)


def random_flip(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A copy of the batch with a random half (in expectation) mirrored left-right."""
    out = x.copy()
    flip = rng.random(len(x)) < 0.5
    out[flip] = x[flip, :, :, ::-1]
    return out


def random_crop(x: np.ndarray, padding: int, rng: np.random.Generator) -> np.ndarray:
    """Each image padded with ``padding`` zeros per side and cropped back at a random offset."""
    n, _, height, width = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    # numpy documents a tuple of axes, its stubs only one: the ignore is the stubs' gap
    windows = sliding_window_view(padded, (height, width), axis=(2, 3))  # type: ignore[call-overload]
    rows = rng.integers(0, 2 * padding + 1, n)
    cols = rng.integers(0, 2 * padding + 1, n)
    return np.ascontiguousarray(windows[np.arange(n), :, rows, cols])


def augment(x: np.ndarray, steps: Sequence[str], padding: int,
            rng: np.random.Generator) -> np.ndarray:
    """Apply the named augmentations, in order, to a (N, C, H, W) batch."""
    for step in steps:
        x = random_flip(x, rng) if step == "flip" else random_crop(x, padding, rng)
    return x
