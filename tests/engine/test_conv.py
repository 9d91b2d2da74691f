"""Conv, pooled and identity interactions against the same convolution unrolled by hand.

The unrolled matrices are built here with explicit loops over output positions and kernel taps
(independently of :mod:`lava_eqprop.engine.conv_ops`); kernel correlations are checked against
finite differences of the energy, which is linear in the kernel (exact up to rounding).
"""

import numpy as np
import pytest

from lava_eqprop.engine.conv_interaction import ConvInteraction, IdentityInteraction
from lava_eqprop.errors import NetworkError
from lava_eqprop.network.network import ConvGeometry, Network, Population, Projection


def unrolled_conv(kernel, pre_shape, stride, padding):
    """M with (W ⋆ x).ravel() = M @ x.ravel(), by loops."""
    c_out, c_in, kh, kw = kernel.shape
    _, h, w = pre_shape
    ho, wo = (h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1
    m = np.zeros((c_out * ho * wo, c_in * h * w))
    for o in range(c_out):
        for i in range(ho):
            for j in range(wo):
                row = (o * ho + i) * wo + j
                for c in range(c_in):
                    for u in range(kh):
                        for v in range(kw):
                            r, q = stride * i + u - padding, stride * j + v - padding
                            if 0 <= r < h and 0 <= q < w:
                                m[row, (c * h + r) * w + q] += kernel[o, c, u, v]
    return m, (c_out, ho, wo)


def pool_windows(shape, size):
    """For each pooled unit, the flat indices of its window in an image of ``shape``."""
    c, h, w = shape
    windows = []
    for ch in range(c):
        for i in range(h // size):
            for j in range(w // size):
                windows.append([(ch * h + size * i + a) * w + size * j + b
                                for a in range(size) for b in range(size)])
    return windows


def pooled_by_loops(y, windows, kind):
    """Pool each sample of flat conv outputs ``y`` (batch, n) with explicit windows."""
    out = np.zeros((y.shape[0], len(windows)))
    for b in range(y.shape[0]):
        for k, idx in enumerate(windows):
            out[b, k] = y[b, idx].max() if kind == "max" else y[b, idx].mean()
    return out


def make(pre_shape, c_out, kernel_size, geometry, seed):
    rng = np.random.default_rng(seed)
    kernel = rng.normal(size=(c_out, pre_shape[0], kernel_size, kernel_size))
    size = geometry.output_size
    post_shape = (c_out, size(pre_shape[1], kernel_size), size(pre_shape[2], kernel_size))
    net = Network("n", [Population("x", pre_shape, role="input"),
                        Population("y", post_shape, role="output")],
                  [Projection("x-y", "x", "y", kernel, kind="conv", geometry=geometry)])
    return ConvInteraction(net.projections[0], net), kernel, post_shape, net, rng


def energy_by_loops(kernel, pre_shape, geo, s_pre, s_post):
    m, conv_shape = unrolled_conv(kernel, pre_shape, geo.stride, geo.padding)
    y = s_pre @ m.T
    if geo.pool:
        y = pooled_by_loops(y, pool_windows(conv_shape, geo.pool_size), geo.pool)
    return -np.einsum("bi,bi->b", y, s_post)


GEOMETRIES = [ConvGeometry(1, 0), ConvGeometry(1, 1), ConvGeometry(2, 1), ConvGeometry(2, 0),
              ConvGeometry(1, 0, "avg"), ConvGeometry(1, 1, "max"), ConvGeometry(2, 1, "avg")]


@pytest.mark.parametrize("geo", GEOMETRIES, ids=lambda g: f"s{g.stride}p{g.padding}{g.pool}")
def test_conv_equals_its_unrolled_matrix(geo):
    pre_shape = (2, 7, 6)
    inter, kernel, post_shape, _, rng = make(pre_shape, 3, 3, geo, 0)
    s_pre = rng.random((4, int(np.prod(pre_shape))))
    s_post = rng.random((4, int(np.prod(post_shape))))
    m, conv_shape = unrolled_conv(kernel, pre_shape, geo.stride, geo.padding)
    expected_energy = energy_by_loops(kernel, pre_shape, geo, s_pre, s_post)
    np.testing.assert_allclose(inter.energy(s_pre, s_post), expected_energy, rtol=1e-12)
    if geo.pool == "max":
        # the drive to pre is −∂E/∂s_pre: route s_post to each window's maximum, then Mᵀ
        y = s_pre @ m.T
        routed = np.zeros_like(y)
        for b in range(len(y)):
            for k, idx in enumerate(pool_windows(conv_shape, geo.pool_size)):
                routed[b, idx[int(np.argmax(y[b, idx]))]] = s_post[b, k]
        to_pre = routed @ m
        to_post = pooled_by_loops(y, pool_windows(conv_shape, geo.pool_size), "max")
    else:
        pool_matrix = np.eye(m.shape[0])
        if geo.pool == "avg":
            windows = pool_windows(conv_shape, geo.pool_size)
            pool_matrix = np.zeros((len(windows), m.shape[0]))
            for k, idx in enumerate(windows):
                pool_matrix[k, idx] = 1.0 / len(idx)
        dense = pool_matrix @ m
        to_post, to_pre = s_pre @ dense.T, s_post @ dense
        np.testing.assert_allclose(inter.dense_matrix(), dense, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(inter.drive_to_post(s_pre), to_post, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(inter.drive_to_pre(s_post, s_pre), to_pre, rtol=1e-12, atol=1e-12)
    # correlation = Σ_b −∂E/∂W: E is linear in W (max pooling: piecewise, switches fixed)
    h = 1e-6 if geo.pool == "max" else 1.0
    fd = np.zeros_like(kernel)
    for idx in np.ndindex(kernel.shape):
        bumped = kernel.copy()
        bumped[idx] += h
        fd[idx] = -(energy_by_loops(bumped, pre_shape, geo, s_pre, s_post).sum()
                    - expected_energy.sum()) / h
    np.testing.assert_allclose(inter.correlation(s_pre, s_post), fd, rtol=1e-6, atol=1e-8)


def test_conv_contrast_with_and_without_a_shared_pre_state():
    geo = ConvGeometry(2, 1, "max")
    inter, _, post_shape, _, rng = make((2, 8, 8), 3, 3, geo, 1)
    pre_a, pre_b = rng.random((2, 3, 128))
    post_a, post_b = rng.random((2, 3, int(np.prod(post_shape))))
    want = 0.5 * (inter.correlation(pre_a, post_a) - inter.correlation(pre_b, post_b))
    np.testing.assert_allclose(inter.contrast(pre_a, post_a, pre_b, post_b, 0.5), want,
                               rtol=1e-12)
    out = np.empty_like(want)
    shared = inter.contrast(pre_a, post_a, pre_a, post_b, 2.0, out=out)
    assert shared is out
    np.testing.assert_allclose(
        shared, 2.0 * (inter.correlation(pre_a, post_a) - inter.correlation(pre_a, post_b)),
        rtol=1e-12)


def test_identity_skip_is_gain_times_the_other_state():
    pops = [Population("x", (2, 3, 3), role="input"), Population("y", (2, 3, 3), role="output")]
    net = Network("n", pops, [Projection("x~y", "x", "y", np.array(0.5), kind="identity")])
    inter = IdentityInteraction(net.projections[0], net)
    rng = np.random.default_rng(2)
    s_pre, s_post = rng.random((2, 4, 18))
    values = {"x": s_pre, "y": s_post}
    np.testing.assert_allclose(inter.bind("post")(values, None), 0.5 * s_pre)
    np.testing.assert_allclose(inter.bind("pre")(values, None), 0.5 * s_post)
    np.testing.assert_allclose(inter.energy(s_pre, s_post), -0.5 * (s_pre * s_post).sum(1))
    np.testing.assert_allclose(inter.correlation(s_pre, s_post), (s_pre * s_post).sum())
    np.testing.assert_allclose(inter.dense_matrix(), 0.5 * np.eye(18))


@pytest.mark.parametrize("geo", [ConvGeometry(1, 0), ConvGeometry(2, 1), ConvGeometry(3, 2)],
                         ids=["s1p0", "s2p1", "s3p2"])
def test_connection_count_is_the_unrolled_matrix_nonzeros(geo):
    _, kernel, _, net, _ = make((2, 7, 6), 3, 3, geo, 3)
    m, _ = unrolled_conv(np.ones_like(kernel), (2, 7, 6), geo.stride, geo.padding)
    assert net.num_connections == np.count_nonzero(m)


@pytest.mark.parametrize("change, message", [
    (dict(post_shape=(3, 5, 5)), "maps (2, 7, 7) to (3, 7, 7)"),
    (dict(kernel_shape=(3, 4, 3, 3)), "expected (post channels 3, pre channels 2"),
    (dict(geometry=None), "needs a geometry"),
    (dict(geometry=ConvGeometry(1, 1, "sum")), "pool 'sum' is not one of"),
    (dict(pre_shape=(98,)), "joins image populations"),
])
def test_bad_conv_projection_is_named(change, message):
    args = dict(pre_shape=(2, 7, 7), post_shape=(3, 7, 7), kernel_shape=(3, 2, 3, 3),
                geometry=ConvGeometry(1, 1)) | change
    pops = [Population("x", args["pre_shape"], role="input"),
            Population("y", args["post_shape"], role="output")]
    proj = Projection("x-y", "x", "y", np.zeros(args["kernel_shape"]), kind="conv",
                      geometry=args["geometry"])
    with pytest.raises(NetworkError, match="projection 'x-y'") as err:
        Network("n", pops, [proj])
    assert message in str(err.value)


def test_max_pooled_feedback_into_a_clamped_population_is_refused():
    pops = [Population("y", (1, 4, 4), role="output"), Population("x", (1, 2, 2), role="input")]
    proj = Projection("y-x", "y", "x", np.zeros((1, 1, 1, 1)), kind="conv",
                      geometry=ConvGeometry(pool="max"))
    with pytest.raises(NetworkError, match="cannot feed back into a clamped"):
        Network("n", pops, [proj])
