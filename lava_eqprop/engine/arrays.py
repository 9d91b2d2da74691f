"""The array namespace of the NumPy engine: the few operations the relaxation needs on states.

:class:`~lava_eqprop.engine.relaxation.Relaxer` runs its loop against a namespace of one
dtype (and device), never against NumPy or torch directly; the torch backend supplies the same
operations on tensors (:class:`lava_eqprop.torch_backend.arrays.TorchArrays`). The operations:

* ``dtype``; ``array(x, shape)``, a new writable array of the NumPy array ``x``;
  ``asarray(x)``, an operand (a target) without a copy where none is needed;
* ``zeros(shape)``, ``empty_like(a)``, ``copy(a)``, ``copyto(dst, src)``;
* ``clipper(lo, hi, shape)``, the in-place projection onto [lo, hi] of (shape) arrays, None
  when the box is unbounded;
* ``max_abs_difference(a, b)``, max |a − b| as a Python float, and
  ``row_max_abs_difference(a, b)``, the same per row as a NumPy array;
* ``take_rows(a, rows)``, a new array of the rows ``rows`` (a NumPy index array) of ``a``, and
  ``put_rows(dst, rows, src)``, which writes them back (a solver's samples still moving);
* ``to_numpy(a)``, the one conversion back to NumPy (here the array itself).

The drives are the interactions' own (:mod:`lava_eqprop.engine.interactions`); the arithmetic
of a step is :func:`lava_eqprop.engine.step.population_step`, in-place operators that both
libraries share.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


class NumpyArrays:
    """NumPy arrays of one dtype."""

    def __init__(self, dtype: type = np.float64) -> None:
        self.dtype: np.dtype[Any] = np.dtype(dtype)

    def array(self, x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """A new C-ordered array of x in this dtype. C order matters: NumPy copies a broadcast
        bias in column order by default, and adding that to the C-ordered drive in every step
        costs 5x a contiguous add."""
        return np.array(x, dtype=self.dtype, order="C").reshape(shape)

    def asarray(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x)

    def zeros(self, shape: tuple[int, ...]) -> np.ndarray:
        return np.zeros(shape, dtype=self.dtype)

    def empty_like(self, a: np.ndarray) -> np.ndarray:
        return np.empty_like(a)

    def copy(self, a: np.ndarray) -> np.ndarray:
        return a.copy()

    def copyto(self, dst: np.ndarray, src: np.ndarray) -> None:
        np.copyto(dst, src)

    def clipper(self, lo: float, hi: float,
                shape: tuple[int, ...]) -> Callable[[np.ndarray], object] | None:
        """Clip to [lo, hi] in place, with the bounds as full arrays: NumPy's maximum and
        minimum are ~3x slower with a scalar operand."""
        lower = np.full(shape, lo, dtype=self.dtype) if np.isfinite(lo) else None
        upper = np.full(shape, hi, dtype=self.dtype) if np.isfinite(hi) else None
        if upper is None:
            return None if lower is None else lambda a: np.maximum(a, lower, out=a)
        if lower is None:
            return lambda a: np.minimum(a, upper, out=a)
        return lambda a: np.minimum(np.maximum(a, lower, out=a), upper, out=a)

    def max_abs_difference(self, a: np.ndarray, b: np.ndarray) -> float:
        return float(np.max(np.abs(a - b)))

    def row_max_abs_difference(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.max(np.abs(a - b), axis=1)

    def take_rows(self, a: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return a[rows]

    def put_rows(self, dst: np.ndarray, rows: np.ndarray, src: np.ndarray) -> None:
        dst[rows] = src

    def to_numpy(self, a: np.ndarray) -> np.ndarray:
        return a


NUMPY = NumpyArrays()
