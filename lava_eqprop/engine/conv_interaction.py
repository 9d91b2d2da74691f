"""Convolutional and identity (residual) interaction terms: the kinds of a Hopfield-ResNet.

A conv projection between image populations is the energy term (Ernoult et al. 2019,
Laborieux et al. 2021, Elayedam & Srinivasan's Hopfield-ResNet)

    E_term = −⟨P(W ⋆ s_pre), s_post⟩,

W the shared kernel, ⋆ the strided, zero-padded cross-correlation, P an optional pooling. So

    drive to post = P(W ⋆ s_pre),    drive to pre = Wᵀ ⋆ Pᵀ(s_post)   (transposed convolution),
    −∂E_term/∂W = Σ_b corr(Pᵀ(s_post), patches of s_pre),

Pᵀ the adjoint of the pooling: average pooling spreads each value over its window divided by
its area; max pooling routes it to the window's maximum of W ⋆ s_pre, so the feedback to pre
depends on s_pre too, and E_term is piecewise linear rather than bilinear (the layer update is
then no longer an exact block minimiser). An identity projection, a fixed residual skip
between two populations of one shape, is E_term = −g⟨s_pre, s_post⟩.

Same interface as :class:`~lava_eqprop.engine.interactions.DenseInteraction`; states are
(batch, size) arrays, reshaped here to (batch, channels, height, width) views.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lava_eqprop.engine.conv_ops import conv2d, conv2d_transpose, kernel_correlation, pool, unpool
from lava_eqprop.errors import NetworkError
from lava_eqprop.network.network import Network, Projection, conv_output_size

if TYPE_CHECKING:       # interactions imports this module
    from lava_eqprop.engine.interactions import Drive


class ConvInteraction:
    """A ``kind="conv"`` projection (see the module docstring)."""

    def __init__(self, projection: Projection, network: Network) -> None:
        self._setup(projection, network.population(projection.pre).shape,
                    network.population(projection.post).shape)

    @classmethod
    def from_shapes(cls, projection: Projection, pre_shape: tuple[int, ...],
                    post_shape: tuple[int, ...]) -> "ConvInteraction":
        """The interaction of ``projection`` between images of these shapes, without a
        network (a Lava synapse model holds only its own weight and the two shapes)."""
        inter = cls.__new__(cls)
        inter._setup(projection, tuple(pre_shape), tuple(post_shape))
        return inter

    def _setup(self, projection: Projection, pre_shape: tuple[int, ...],
               post_shape: tuple[int, ...]) -> None:
        self.projection, self.pre_shape, self.post_shape = projection, pre_shape, post_shape
        geo = projection.conv_geometry
        kh, kw = projection.weight.shape[2:]
        self.conv_image = (conv_output_size(self.pre_shape[1], kh, geo.stride, geo.padding),
                           conv_output_size(self.pre_shape[2], kw, geo.stride, geo.padding))
        self._last: tuple | None = None

    @property
    def weight(self) -> np.ndarray:
        return self.projection.weight

    # ---- the two drives ------------------------------------------------------------------
    def _conv(self, s_pre: np.ndarray) -> tuple[np.ndarray, list[np.ndarray] | None]:
        """P(W ⋆ s_pre) as an image, and the max pooling's switches (None without).

        A max-pooled conv needs both for both drives: with the odd/even and colouring
        schedules the feedback to pre comes after a drive to post computed from the same
        s_pre, so the last result is kept with a copy of its input and reused while the input
        and the kernel (updated in place) are unchanged."""
        geo = self.projection.conv_geometry
        cached = self._last
        if (cached is not None and cached[0].shape == s_pre.shape
                and np.array_equal(cached[0], s_pre) and np.array_equal(cached[1], self.weight)):
            return cached[2]
        x = s_pre.reshape(s_pre.shape[0], *self.pre_shape)
        y = conv2d(x, self.projection.weight, geo.stride, geo.padding)
        result = pool(y, geo.pool, geo.pool_size) if geo.pool else (y, None)
        if geo.pool == "max":
            self._last = (s_pre.copy(), self.weight.copy(), result)
        return result

    def drive_to_post(self, s_pre: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """P(W ⋆ s_pre), flattened to (batch, post size); written into ``out`` if given."""
        return _flat_into(self._conv(s_pre)[0], out)

    def unpooled_post(self, s_post: np.ndarray, s_pre: np.ndarray) -> np.ndarray:
        """Pᵀ(s_post) on the conv output's grid (batch, O, Ho, Wo); max pooling routes it to
        the maxima of W ⋆ s_pre."""
        geo = self.projection.conv_geometry
        g = s_post.reshape(s_post.shape[0], *self.post_shape)
        if not geo.pool:
            return g
        return unpool(g, geo.pool, geo.pool_size, self._conv(s_pre)[1], self.conv_image)

    def drive_to_pre(self, s_post: np.ndarray, s_pre: np.ndarray,
                     out: np.ndarray | None = None) -> np.ndarray:
        """Wᵀ ⋆ Pᵀ(s_post), the transposed convolution, flattened to (batch, pre size)."""
        geo = self.projection.conv_geometry
        image = (self.pre_shape[1], self.pre_shape[2])
        x = conv2d_transpose(self.unpooled_post(s_post, s_pre), self.projection.weight,
                             geo.stride, geo.padding, image)
        return _flat_into(x, out)

    def bind(self, direction: str) -> Drive:
        """The drive to ``direction`` as ``f(values, out)``, values the states by population."""
        pre, post = self.projection.pre, self.projection.post
        if direction == "post":
            return lambda values, out: self.drive_to_post(values[pre], out)
        return lambda values, out: self.drive_to_pre(values[post], values[pre], out)

    # ---- energy and learning ---------------------------------------------------------------
    def energy(self, s_pre: np.ndarray, s_post: np.ndarray) -> np.ndarray:
        """Per-sample energy term −⟨P(W ⋆ s_pre), s_post⟩ (shape ``(batch,)``)."""
        return -np.einsum("bi,bi->b", self.drive_to_post(s_pre), s_post.reshape(len(s_post), -1))

    def correlation(self, s_pre: np.ndarray, s_post: np.ndarray) -> np.ndarray:
        """Σ_b −∂E_term/∂W, shape of the kernel."""
        geo = self.projection.conv_geometry
        kh, kw = self.projection.weight.shape[2:]
        x = s_pre.reshape(s_pre.shape[0], *self.pre_shape)
        return kernel_correlation(self.unpooled_post(s_post, s_pre), x, kh, kw, geo.stride,
                                  geo.padding)

    def contrast(self, pre_a: np.ndarray, post_a: np.ndarray, pre_b: np.ndarray,
                 post_b: np.ndarray, scale: float, out: np.ndarray | None = None) -> np.ndarray:
        """scale·[correlation(a) − correlation(b)] as one kernel correlation: with a shared
        (clamped) pre state, of the post difference; otherwise of both states stacked."""
        if pre_a is pre_b:
            post = (post_a - post_b) * scale
            pre = pre_a
        else:
            post = np.concatenate([post_a * scale, post_b * -scale])
            pre = np.concatenate([pre_a, pre_b])
        corr = self.correlation(pre, post)
        if out is None:
            return corr
        np.copyto(out, corr)
        return out

    def mask_correlation(self, corr: np.ndarray) -> np.ndarray:
        """Every tap of a kernel exists: nothing to mask."""
        return corr

    def dense_matrix(self) -> np.ndarray:
        """The (post size, pre size) matrix M with drive to post = M·s_pre (no or average
        pooling): the conv unrolled into synapses, e.g. for backends without weight sharing."""
        if self.projection.conv_geometry.pool == "max":
            raise NetworkError(f"projection {self.projection.name!r}: a max-pooled conv is not "
                               "linear and has no matrix")
        size = int(np.prod(self.pre_shape))
        return self.drive_to_post(np.eye(size)).T


class IdentityInteraction:
    """A ``kind="identity"`` projection: E_term = −g⟨s_pre, s_post⟩, g = ``weight`` (shape ())."""

    def __init__(self, projection: Projection, network: Network) -> None:
        self.projection = projection
        self.size = network.population(projection.pre).size

    @property
    def weight(self) -> np.ndarray:
        return self.projection.weight

    def bind(self, direction: str) -> Drive:
        """The drive g·s_other to ``direction`` as ``f(values, out)``."""
        source = self.projection.pre if direction == "post" else self.projection.post
        gain = self.projection.weight
        return lambda values, out: np.multiply(values[source], gain, out=out)

    def energy(self, s_pre: np.ndarray, s_post: np.ndarray) -> np.ndarray:
        return -self.projection.weight * np.einsum("bi,bi->b", s_pre, s_post)

    def correlation(self, s_pre: np.ndarray, s_post: np.ndarray) -> np.ndarray:
        """Σ_b ⟨s_pre, s_post⟩, shape ()."""
        return np.asarray(np.vdot(s_pre, s_post))

    def contrast(self, pre_a: np.ndarray, post_a: np.ndarray, pre_b: np.ndarray,
                 post_b: np.ndarray, scale: float, out: np.ndarray | None = None) -> np.ndarray:
        corr = scale * (self.correlation(pre_a, post_a) - self.correlation(pre_b, post_b))
        if out is None:
            return np.asarray(corr)
        np.copyto(out, corr)
        return out

    def mask_correlation(self, corr: np.ndarray) -> np.ndarray:
        return corr

    def dense_matrix(self) -> np.ndarray:
        """g·I."""
        return float(self.projection.weight) * np.eye(self.size)


def _flat_into(image: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    """An image batch (possibly a strided view) as (batch, size), copied once into ``out``."""
    if out is None:
        return image.reshape(image.shape[0], -1)
    np.copyto(out.reshape(image.shape), image)
    return out
