"""Batched 2-D convolution, its adjoint and 2×2-style pooling in NumPy, for the conv interaction.

Images are ``(batch, channels, height, width)``; a kernel is ``(out channels, in channels, kh,
kw)`` and "convolution" is deep learning's cross-correlation,

    y[b, o, i, j] = Σ_{c, u, v} W[o, c, u, v] · x_pad[b, c, s·i + u, s·j + v],

with stride s and x_pad the input with ``padding`` zeros on each side. Everything is one
im2col copy plus BLAS matrix products: the patches of x are copied once to a (C·kh·kw,
positions·batch) matrix, by kh·kw strided copies in a batch-last buffer; the adjoint
(the transposed convolution, the feedback of a symmetric conv projection) is one product
followed by kh·kw strided additions, a loop over kernel taps, never over pixels or channels.
"""

from __future__ import annotations

import numpy as np

from lava_eqprop.network.network import conv_output_size


def im2col(x: np.ndarray, kh: int, kw: int, stride: int, padding: int) -> np.ndarray:
    """The patches of ``x`` as a (C·kh·kw, Ho·Wo·batch) matrix (a copy): rows ordered (c, u, v)
    like a flattened kernel, columns (output row, output column, sample). Built in a
    batch-last copy of the padded image by kh·kw strided copies, each over whole rows of
    samples."""
    batch, channels, height, width = x.shape
    ho = conv_output_size(height, kh, stride, padding)
    wo = conv_output_size(width, kw, stride, padding)
    padded = np.zeros((channels, height + 2 * padding, width + 2 * padding, batch), dtype=x.dtype)
    padded[:, padding:padding + height, padding:padding + width] = x.transpose(1, 2, 3, 0)
    cols = np.empty((channels, kh, kw, ho, wo, batch), dtype=x.dtype)
    rows_end, cols_end = stride * (ho - 1) + 1, stride * (wo - 1) + 1
    for u in range(kh):
        for v in range(kw):
            cols[:, u, v] = padded[:, u:u + rows_end:stride, v:v + cols_end:stride]
    return cols.reshape(channels * kh * kw, ho * wo * batch)


def _batch_last(y: np.ndarray) -> np.ndarray:
    """(batch, C, H, W) → a (C, H·W·batch) matrix, the column order of :func:`im2col` (a view
    when ``y`` came from :func:`conv2d`, a copy otherwise)."""
    return y.transpose(1, 2, 3, 0).reshape(y.shape[1], -1)


def conv2d(x: np.ndarray, kernel: np.ndarray, stride: int, padding: int) -> np.ndarray:
    """y = W ⋆ x, shape (batch, O, Ho, Wo): one GEMM (O, C·kh·kw) × (C·kh·kw, Ho·Wo·batch);
    returns a transposed view of the batch-last product."""
    out_ch, _, kh, kw = kernel.shape
    ho = conv_output_size(x.shape[2], kh, stride, padding)
    wo = conv_output_size(x.shape[3], kw, stride, padding)
    y = kernel.reshape(out_ch, -1) @ im2col(x, kh, kw, stride, padding)
    return y.reshape(out_ch, ho, wo, x.shape[0]).transpose(3, 0, 1, 2)


def conv2d_transpose(y: np.ndarray, kernel: np.ndarray, stride: int, padding: int,
                     image: tuple[int, int]) -> np.ndarray:
    """The adjoint of :func:`conv2d` for an input of spatial size ``image``: x with
    ⟨W ⋆ x', y⟩ = ⟨x', x⟩ for every x', shape (batch, C, height, width). One GEMM, then
    kh·kw strided additions (col2im) in a batch-last buffer, so that each addition runs over
    whole rows of samples (about 4x faster than a channel-first buffer here); returns a
    transposed view."""
    batch, out_ch, ho, wo = y.shape
    _, in_ch, kh, kw = kernel.shape
    height, width = image
    cols = (kernel.reshape(out_ch, -1).T @ _batch_last(y)).reshape(in_ch, kh, kw, ho, wo, batch)
    padded = np.zeros((in_ch, height + 2 * padding, width + 2 * padding, batch), dtype=y.dtype)
    rows_end, cols_end = stride * (ho - 1) + 1, stride * (wo - 1) + 1
    for u in range(kh):
        for v in range(kw):
            padded[:, u:u + rows_end:stride, v:v + cols_end:stride] += cols[:, u, v]
    return padded[:, padding:padding + height, padding:padding + width].transpose(3, 0, 1, 2)


def kernel_correlation(y: np.ndarray, x: np.ndarray, kh: int, kw: int, stride: int,
                       padding: int) -> np.ndarray:
    """Σ_b ∂⟨W ⋆ x, y⟩/∂W = Σ_{b, i, j} y[b, o, i, j] x_pad[b, c, s·i + u, s·j + v], the
    Hebbian term of a conv kernel, shape (O, C, kh, kw)."""
    out_ch = y.shape[1]
    corr = _batch_last(y) @ im2col(x, kh, kw, stride, padding).T
    return corr.reshape(out_ch, x.shape[1], kh, kw)


def _window_taps(y: np.ndarray, size: int) -> list[np.ndarray]:
    """The size² strided views y[:, :, a::size, b::size] of the windows' taps (a, b), cropped
    to whole windows."""
    hp, wp = y.shape[2] // size, y.shape[3] // size
    return [y[:, :, a:a + size * hp:size, b:b + size * wp:size]
            for a in range(size) for b in range(size)]


def pool(y: np.ndarray, kind: str, size: int) -> tuple[np.ndarray, list[np.ndarray] | None]:
    """size×size pooling with stride ``size`` (rows and columns that do not fill a window are
    dropped); returns the pooled image and, for max pooling, the switches: per window tap
    (a, b), a bool image marking the windows whose first maximum is that tap, so that the
    adjoint routes each value back to one maximum."""
    taps = _window_taps(y, size)
    if kind == "avg":
        return sum(taps[1:], taps[0].copy()) / (size * size), None
    pooled = taps[0].copy()
    for tap in taps[1:]:
        np.maximum(pooled, tap, out=pooled)
    taken = np.zeros(pooled.shape, dtype=bool)
    switches = []
    for tap in taps:
        switch = (tap == pooled) & ~taken
        taken |= switch
        switches.append(switch)
    return pooled, switches


def unpool(g: np.ndarray, kind: str, size: int, switches: list[np.ndarray] | None,
           image: tuple[int, int]) -> np.ndarray:
    """The adjoint of :func:`pool` (for max pooling, at the switches it returned): spreads
    each pooled value over its window (avg, divided by size²) or onto its maximum (max)."""
    out = np.zeros((*g.shape[:2], *image), dtype=g.dtype)
    taps = _window_taps(out, size)
    if kind == "avg":
        spread = g / (size * size)
        for tap in taps:
            tap[...] = spread
        return out
    if switches is None:
        raise ValueError("max unpooling needs the switches of its max pooling")
    for tap, switch in zip(taps, switches):
        np.multiply(g, switch, out=tap)
    return out
