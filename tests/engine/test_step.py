"""The population step every backend calls, against its equations written out plainly:
s' = clip(s + ε(b + Σ drive − a s − β ∂C/∂s)) with the nudge joint or split."""

import numpy as np
import pytest

from lava_eqprop.engine.arrays import NUMPY
from lava_eqprop.engine.loss import get_loss
from lava_eqprop.engine.step import Nudge, population_step

LOSS = get_loss("squared_error")       # C = ‖y − s‖², −∂C/∂s = 2(y − s)


@pytest.mark.parametrize("eps", [1.0, 0.5])
@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize("beta", [0.0, 0.3])
def test_step_is_the_projected_euler_step(eps, split, beta):
    rng = np.random.default_rng(0)
    s, drive, y = rng.random((4, 6)), 2 * rng.random((4, 6)) - 0.5, rng.random((4, 6))
    new = drive + 2 * beta * (y - s) if not split else drive.copy()
    new = s + eps * (new - s)
    if split:
        new = new + eps * 2 * beta * (y - new)
    expected = np.clip(new, 0.0, 1.0)
    before = s.copy()
    nudge = Nudge(LOSS, y, beta, split) if beta else None
    out = population_step(drive, s, eps, nudge=nudge, clip=NUMPY.clipper(0.0, 1.0, s.shape))
    assert out is drive                                  # computed in the drive's buffer
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(s, before)


def test_a_decay_is_retained_and_an_unbounded_unit_is_not_clipped():
    rng = np.random.default_rng(1)
    s, drive, a = 3 * rng.random((2, 5)), 3 * rng.random((2, 5)), rng.random(5)
    expected = s + 0.25 * (drive - a * s)
    assert NUMPY.clipper(-np.inf, np.inf, s.shape) is None
    out = population_step(drive, s, 0.25, retain=1.0 - 0.25 * a)
    np.testing.assert_allclose(out, expected, rtol=1e-15, atol=1e-15)
    assert out.max() > 1.0
