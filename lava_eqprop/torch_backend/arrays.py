"""The array namespace of the torch backend: the operations of
:mod:`lava_eqprop.engine.arrays` on tensors of one dtype on one device.

:meth:`TorchArrays.to_numpy` is the boundary: what callers read as NumPy (predictions,
particles, bias directions) is copied back from the device there and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lava_eqprop.torch_backend import require_torch, torch_device


class TorchArrays:
    """Torch tensors of ``dtype`` (a NumPy float type) on ``device`` ("cpu" or "cuda")."""

    def __init__(self, device: str = "cpu", dtype: type = np.float64) -> None:
        self.torch = require_torch()
        self.device = torch_device(device)
        self.numpy_dtype = np.dtype(dtype)
        self.dtype = {np.dtype(np.float32): self.torch.float32,
                      np.dtype(np.float64): self.torch.float64}[self.numpy_dtype]

    def array(self, x: np.ndarray, shape: tuple[int, ...]):
        """A new tensor of the NumPy array x."""
        copy = np.array(x, dtype=self.numpy_dtype, order="C")
        return self.torch.as_tensor(copy, device=self.device).reshape(shape)

    def asarray(self, x: np.ndarray):
        return self.torch.as_tensor(np.asarray(x), dtype=self.dtype, device=self.device)

    def zeros(self, shape: tuple[int, ...]):
        return self.torch.zeros(shape, dtype=self.dtype, device=self.device)

    def empty_like(self, a):
        return self.torch.empty_like(a)

    def copy(self, a):
        return a.clone()

    def copyto(self, dst, src) -> None:
        dst.copy_(src)

    def clipper(self, lo: float, hi: float, shape: tuple[int, ...]) -> Callable | None:
        """Clip to [lo, hi] in place (``clamp_``); None for an unbounded box."""
        lower, upper = (lo if np.isfinite(lo) else None), (hi if np.isfinite(hi) else None)
        if lower is None and upper is None:
            return None
        return lambda a: a.clamp_(lower, upper)

    def max_abs_difference(self, a, b) -> float:
        return float((a - b).abs().max())

    def row_max_abs_difference(self, a, b) -> np.ndarray:
        return self.to_numpy((a - b).abs().amax(dim=1))

    def take_rows(self, a, rows: np.ndarray):
        return a[self.torch.as_tensor(rows, device=a.device)]

    def put_rows(self, dst, rows: np.ndarray, src) -> None:
        dst[self.torch.as_tensor(rows, device=dst.device)] = src

    def to_numpy(self, a) -> np.ndarray:
        """The tensor as a NumPy array (copied from the device)."""
        return a.detach().cpu().numpy()
