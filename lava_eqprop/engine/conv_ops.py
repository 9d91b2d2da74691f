"""Batched 2-D convolution, its adjoint and 2×2-style pooling in NumPy, for the conv interaction.

Images are ``(batch, channels, height, width)``; a kernel is ``(out channels, in channels, kh,
kw)`` and "convolution" is deep learning's cross-correlation,

    y[b, o, i, j] = Σ_{c, u, v} W[o, c, u, v] · x_pad[b, c, s·i + u, s·j + v],

with stride s and x_pad the input with ``padding`` zeros on each side. Everything is one
im2col copy plus BLAS matrix products: the patches of x are a strided view
(``sliding_window_view``), copied once to a (batch, C·kh·kw, positions) matrix; the adjoint
(the transposed convolution, the feedback of a symmetric conv projection) is one product
followed by kh·kw strided additions, a loop over kernel taps, never over pixels or channels.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from lava_eqprop.network.network import conv_output_size


def im2col(x: np.ndarray, kh: int, kw: int, stride: int, padding: int) -> np.ndarray:
    """The patches of ``x`` as a (batch, C·kh·kw, Ho·Wo) array (a copy), rows ordered (c, u, v)
    like a flattened kernel, columns the output positions in row-major order."""
    batch, channels, height, width = x.shape
    ho = conv_output_size(height, kh, stride, padding)
    wo = conv_output_size(width, kw, stride, padding)
    if padding:
        x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))
    windows = windows[:, :, :stride * (ho - 1) + 1:stride, :stride * (wo - 1) + 1:stride]
    cols = np.empty((batch, channels, kh, kw, ho, wo), dtype=x.dtype)
    np.copyto(cols, windows.transpose(0, 1, 4, 5, 2, 3))
    return cols.reshape(batch, channels * kh * kw, ho * wo)


def conv2d(x: np.ndarray, kernel: np.ndarray, stride: int, padding: int) -> np.ndarray:
    """y = W ⋆ x, shape (batch, O, Ho, Wo)."""
    out_ch, _, kh, kw = kernel.shape
    ho = conv_output_size(x.shape[2], kh, stride, padding)
    wo = conv_output_size(x.shape[3], kw, stride, padding)
    y = np.matmul(kernel.reshape(out_ch, -1), im2col(x, kh, kw, stride, padding))
    return y.reshape(x.shape[0], out_ch, ho, wo)


def conv2d_transpose(y: np.ndarray, kernel: np.ndarray, stride: int, padding: int,
                     image: tuple[int, int]) -> np.ndarray:
    """The adjoint of :func:`conv2d` for an input of spatial size ``image``: x with
    ⟨W ⋆ x', y⟩ = ⟨x', x⟩ for every x', shape (batch, C, height, width)."""
    batch, out_ch, ho, wo = y.shape
    _, in_ch, kh, kw = kernel.shape
    height, width = image
    cols = np.matmul(kernel.reshape(out_ch, -1).T, y.reshape(batch, out_ch, ho * wo))
    cols = cols.reshape(batch, in_ch, kh, kw, ho, wo)
    padded = np.zeros((batch, in_ch, height + 2 * padding, width + 2 * padding), dtype=y.dtype)
    rows_end, cols_end = stride * (ho - 1) + 1, stride * (wo - 1) + 1
    for u in range(kh):
        for v in range(kw):
            padded[:, :, u:u + rows_end:stride, v:v + cols_end:stride] += cols[:, :, u, v]
    return padded[:, :, padding:padding + height, padding:padding + width]


def kernel_correlation(y: np.ndarray, x: np.ndarray, kh: int, kw: int, stride: int,
                       padding: int) -> np.ndarray:
    """Σ_b ∂⟨W ⋆ x, y⟩/∂W = Σ_{b, i, j} y[b, o, i, j] x_pad[b, c, s·i + u, s·j + v], the
    Hebbian term of a conv kernel, shape (O, C, kh, kw)."""
    batch, out_ch = y.shape[:2]
    cols = im2col(x, kh, kw, stride, padding)                  # (batch, K, P)
    corr = np.tensordot(y.reshape(batch, out_ch, -1), cols, axes=([0, 2], [0, 2]))
    return corr.reshape(out_ch, x.shape[1], kh, kw)


def pool(y: np.ndarray, kind: str, size: int) -> tuple[np.ndarray, np.ndarray | None]:
    """size×size pooling with stride ``size`` (rows and columns that do not fill a window are
    dropped); returns the pooled image and, for max pooling, the one-hot switches (batch, C,
    Hp, Wp, size·size) that route the adjoint back to each window's first maximum."""
    batch, channels, height, width = y.shape
    hp, wp = height // size, width // size
    windows = y[:, :, :hp * size, :wp * size].reshape(batch, channels, hp, size, wp, size)
    if kind == "avg":
        return windows.mean(axis=(3, 5)), None
    flat = windows.transpose(0, 1, 2, 4, 3, 5).reshape(batch, channels, hp, wp, size * size)
    first = flat.argmax(axis=-1)
    switches = np.arange(size * size) == first[..., None]
    return np.take_along_axis(flat, first[..., None], axis=-1)[..., 0], switches


def unpool(g: np.ndarray, kind: str, size: int, switches: np.ndarray | None,
           image: tuple[int, int]) -> np.ndarray:
    """The adjoint of :func:`pool` (for max pooling, at the switches it returned): spreads
    each pooled value over its window (avg, divided by size²) or onto its maximum (max)."""
    batch, channels, hp, wp = g.shape
    out = np.zeros((batch, channels, *image), dtype=g.dtype)
    if kind == "avg":
        spread = np.broadcast_to((g / (size * size))[:, :, :, None, :, None],
                                 (batch, channels, hp, size, wp, size))
    else:
        spread = (switches * g[..., None]).reshape(batch, channels, hp, wp, size, size)
        spread = spread.transpose(0, 1, 2, 4, 3, 5)
    out[:, :, :hp * size, :wp * size] = spread.reshape(batch, channels, hp * size, wp * size)
    return out
