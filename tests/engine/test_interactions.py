"""Dense interaction terms against explicit per-synapse loops."""

import numpy as np

from lava_eqprop.engine.interactions import DenseInteraction
from lava_eqprop.network import Projection


def loops(w, s_pre, s_post, lateral):
    energy = np.zeros(s_pre.shape[0])
    to_post = np.zeros_like(s_post)
    to_pre = np.zeros_like(s_pre)
    for b in range(s_pre.shape[0]):
        for j in range(w.shape[0]):
            for i in range(w.shape[1]):
                energy[b] -= w[j, i] * s_post[b, j] * s_pre[b, i] * (0.5 if lateral else 1.0)
                to_post[b, j] += w[j, i] * s_pre[b, i]
                to_pre[b, i] += w[j, i] * s_post[b, j]
    return energy, to_post, to_pre


def test_dense_between_populations():
    rng = np.random.default_rng(0)
    mask = rng.random((4, 3)) < 0.6
    w = rng.normal(size=(4, 3)) * mask
    inter = DenseInteraction(Projection("a-b", "a", "b", w, mask=mask))
    s_pre, s_post = rng.random((2, 3)), rng.random((2, 4))
    energy, to_post, to_pre = loops(w, s_pre, s_post, False)
    np.testing.assert_allclose(inter.energy(s_pre, s_post), energy, rtol=1e-12)
    np.testing.assert_allclose(inter.drive_to_post(s_pre), to_post, rtol=1e-12)
    np.testing.assert_allclose(inter.drive_to_pre(s_post), to_pre, rtol=1e-12)
    corr = sum(np.outer(s_post[b], s_pre[b]) for b in range(2)) * mask
    np.testing.assert_allclose(inter.correlation(s_pre, s_post), corr, rtol=1e-12)
    # contrast = scale·(corr(a) − corr(b)), with and without a shared pre state
    s_post_b = rng.random((2, 4))
    corr_b = sum(np.outer(s_post_b[b], s_pre[b]) for b in range(2)) * mask
    np.testing.assert_allclose(inter.contrast(s_pre, s_post, s_pre, s_post_b, 0.5),
                               0.5 * (corr - corr_b), rtol=1e-12)
    s_pre_b = rng.random((2, 3))
    corr_b2 = sum(np.outer(s_post_b[b], s_pre_b[b]) for b in range(2)) * mask
    out = np.empty((4, 3))
    got = inter.contrast(s_pre, s_post, s_pre_b, s_post_b, 2.0, out=out)
    assert got is out
    np.testing.assert_allclose(got, 2.0 * (corr - corr_b2), rtol=1e-12)


def test_dense_lateral_counts_each_pair_once():
    rng = np.random.default_rng(1)
    a = np.triu(rng.normal(size=(4, 4)), 1)
    w = a + a.T
    inter = DenseInteraction(Projection("h-h", "h", "h", w))
    s = rng.random((3, 4))
    energy, to_post, _ = loops(w, s, s, True)
    np.testing.assert_allclose(inter.energy(s, s), energy, rtol=1e-12)
    np.testing.assert_allclose(inter.drive_to_post(s), to_post, rtol=1e-12)
    # −∂E/∂w_ij for the pair parameter w_ij = w_ji is s_i s_j (no factor 2, zero diagonal)
    corr = inter.correlation(s, s)
    expected = sum(np.outer(s[b], s[b]) for b in range(3))
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(corr, expected, rtol=1e-12)
