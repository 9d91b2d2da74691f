"""The interaction terms of :mod:`lava_eqprop.engine.interactions` as PyTorch operations.

Same energy terms, drives and EP contrasts as the NumPy classes (their docstrings give the
equations); here the drive of a conv projection is ``conv2d`` (then ``max_pool2d`` /
``avg_pool2d``), its feedback ``conv_transpose2d`` after ``max_unpool2d`` (or the average
pool's spread), and its kernel correlation ``torch.nn.grad.conv2d_weight``. Max pooling routes
to the first maximum of each window in row-major order, as the NumPy engine does.

Each interaction keeps device copies of its projection's weight (and mask), refreshed by
:meth:`load` from the description's NumPy arrays, which the optimizer updates; contrasts are
returned as NumPy arrays, the optimizer's currency.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lava_eqprop.network.network import Network, Projection, conv_output_size
from lava_eqprop.torch_backend import require_torch


class _TorchInteraction:
    """What every torch interaction shares: the projection, the device and the dtype."""

    def __init__(self, projection: Projection, network: Network, device, dtype) -> None:
        self.torch = require_torch()
        self.projection, self.device, self.dtype = projection, device, dtype
        self.weight = None

    def load(self) -> None:
        """Copy the projection's current weight to the device (a view on the CPU)."""
        self.weight = self.tensor(self.projection.weight)

    def tensor(self, array: np.ndarray):
        return self.torch.as_tensor(np.asarray(array), dtype=self.dtype, device=self.device)

    def mask_correlation(self, corr):
        return corr

    def contrast(self, pre_a, post_a, pre_b, post_b, scale: float,
                 out: np.ndarray | None = None) -> np.ndarray:
        """scale·[correlation(a) − correlation(b)] (one product, as in the NumPy engine),
        as a NumPy array, written into ``out`` if given."""
        torch = self.torch
        if pre_a is pre_b:
            post, pre = (post_a - post_b) * scale, pre_a
        else:
            post, pre = torch.cat([post_a * scale, post_b * -scale]), torch.cat([pre_a, pre_b])
        corr = self.mask_correlation(self.correlation(pre, post)).cpu().numpy()
        if out is None:
            return corr
        np.copyto(out, corr)
        return out


class TorchDense(_TorchInteraction):
    """A dense (optionally masked, optionally lateral) weight W of shape (post, pre)."""

    def load(self) -> None:
        super().load()
        mask = self.projection.mask
        self.mask = None if mask is None else self.tensor(mask)

    def bind(self, direction: str) -> Callable:
        """The drive W·s_pre (to post) or Wᵀ·s_post (to pre) as ``f(values, out)``."""
        source = self.projection.pre if direction == "post" else self.projection.post
        matmul = self.torch.matmul
        if direction == "post":
            return lambda values, out: matmul(values[source], self.weight.T, out=out)
        return lambda values, out: matmul(values[source], self.weight, out=out)

    def correlation(self, s_pre, s_post):
        return s_post.T @ s_pre

    def mask_correlation(self, corr):
        """As the engine's: a symmetric lateral projection's made exactly symmetric, then
        masked."""
        if self.projection.lateral and self.projection.symmetric:
            corr.add_(corr.T.clone()).mul_(0.5)
        if self.mask is not None:
            corr *= self.mask
        elif self.projection.lateral:
            corr.fill_diagonal_(0.0)
        return corr


class TorchConv(_TorchInteraction):
    """A ``kind="conv"`` projection: shared kernel, stride, padding, optional pooling."""

    def __init__(self, projection: Projection, network: Network, device, dtype) -> None:
        super().__init__(projection, network, device, dtype)
        self.functional = self.torch.nn.functional
        self.pre_shape = network.population(projection.pre).shape
        self.post_shape = network.population(projection.post).shape
        geo = projection.geometry
        kh, kw = projection.weight.shape[2:]
        self.conv_image = (conv_output_size(self.pre_shape[1], kh, geo.stride, geo.padding),
                           conv_output_size(self.pre_shape[2], kw, geo.stride, geo.padding))
        # conv_transpose2d's extra rows/columns that give back the pre image's exact size
        self.output_padding = tuple(
            size - ((conv - 1) * geo.stride - 2 * geo.padding + k)
            for size, conv, k in zip(self.pre_shape[1:], self.conv_image, (kh, kw)))
        self._last = None

    def load(self) -> None:
        super().load()
        self._last = None

    def _conv(self, s_pre):
        """P(W ⋆ s_pre) as an image and, for max pooling, the indices of the maxima. A
        max-pooled result is kept for the feedback that follows it, keyed by the buffer and
        its in-place version counter (the relaxer writes its states in place); the cache holds
        the tensor, so its memory cannot be reused by another while cached."""
        geo, F = self.projection.geometry, self.functional
        last = self._last
        if last is not None and last[0] is s_pre and last[1] == s_pre._version:
            return last[2]
        x = s_pre.reshape(s_pre.shape[0], *self.pre_shape)
        y = F.conv2d(x, self.weight, stride=geo.stride, padding=geo.padding)
        if geo.pool == "max":
            result = F.max_pool2d(y, geo.pool_size, return_indices=True)
            self._last = (s_pre, s_pre._version, result)
            return result
        if geo.pool == "avg":
            return F.avg_pool2d(y, geo.pool_size), None
        return y, None

    def unpooled_post(self, s_post, s_pre):
        """Pᵀ(s_post) on the conv output's grid (see the NumPy ``ConvInteraction``)."""
        geo, F = self.projection.geometry, self.functional
        g = s_post.reshape(s_post.shape[0], *self.post_shape)
        size = geo.pool_size
        if geo.pool == "max":
            return F.max_unpool2d(g, self._conv(s_pre)[1], size, output_size=self.conv_image)
        if geo.pool == "avg":
            spread = (g / (size * size)).repeat_interleave(size, 2).repeat_interleave(size, 3)
            return F.pad(spread, (0, self.conv_image[1] - spread.shape[3],
                                  0, self.conv_image[0] - spread.shape[2]))
        return g

    def bind(self, direction: str) -> Callable:
        """P(W ⋆ s_pre) (to post) or Wᵀ ⋆ Pᵀ(s_post) (to pre) as ``f(values, out)``."""
        pre, post = self.projection.pre, self.projection.post
        geo, F = self.projection.geometry, self.functional

        def to_post(values, out):
            y = self._conv(values[pre])[0].reshape(values[pre].shape[0], -1)
            return y if out is None else out.copy_(y)

        def to_pre(values, out):
            g = self.unpooled_post(values[post], values[pre])
            x = F.conv_transpose2d(g, self.weight, stride=geo.stride, padding=geo.padding,
                                   output_padding=self.output_padding)
            x = x.reshape(x.shape[0], -1)
            return x if out is None else out.copy_(x)

        return to_post if direction == "post" else to_pre

    def correlation(self, s_pre, s_post):
        """Σ_b −∂E_term/∂W, the kernel's shape."""
        geo = self.projection.geometry
        x = s_pre.reshape(s_pre.shape[0], *self.pre_shape)
        return self.torch.nn.grad.conv2d_weight(x, self.weight.shape,
                                                self.unpooled_post(s_post, s_pre),
                                                stride=geo.stride, padding=geo.padding)


class TorchIdentity(_TorchInteraction):
    """A ``kind="identity"`` projection: the drive g·s_other, correlation Σ_b ⟨s_pre, s_post⟩."""

    def load(self) -> None:
        self.gain = float(self.projection.weight)

    def bind(self, direction: str) -> Callable:
        source = self.projection.pre if direction == "post" else self.projection.post
        mul = self.torch.mul
        return lambda values, out: mul(values[source], self.gain, out=out)

    def correlation(self, s_pre, s_post):
        return (s_pre * s_post).sum()


TORCH_INTERACTIONS = {"dense": TorchDense, "conv": TorchConv, "identity": TorchIdentity}
