"""Property tests of the fixed-point helpers: saturation, rounding, formats."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lava_eqprop.chips.fixed_point import (
    activation_frac_bits,
    choose_weight_exponent,
    limits,
    power_of_two_shift,
    saturate,
    shift_round,
)

ints = st.lists(st.integers(-2**40, 2**40), min_size=1, max_size=50).map(np.array)


@given(ints, st.integers(2, 32), st.booleans())
def test_saturate_clips_to_the_range_and_counts(x, bits, signed):
    y, count = saturate(x, bits, signed)
    lo, hi = limits(bits, signed)
    assert y.min() >= lo and y.max() <= hi
    assert count == int(np.sum(y != x))
    assert np.array_equal(y[(x >= lo) & (x <= hi)], x[(x >= lo) & (x <= hi)])


@given(ints, st.integers(1, 20))
def test_nearest_rounding_is_within_half_an_lsb(x, k):
    y = shift_round(x, k, "nearest")
    err = y - x / 2.0 ** k
    assert np.all(err <= 0.5) and np.all(err > -0.5)


@given(st.integers(-10**6, 10**6), st.integers(1, 10))
@settings(max_examples=30, deadline=None)
def test_stochastic_rounding_is_unbiased(value, k):
    rng = np.random.default_rng(0)
    y = shift_round(np.full(40000, value), k, "stochastic", rng)
    exact = value / 2.0 ** k
    assert np.all((y == np.floor(exact)) | (y == np.ceil(exact)))
    assert abs(y.mean() - exact) < 5 * 0.5 / np.sqrt(40000) + 1e-12   # 5 standard errors


@given(ints, st.integers(-8, 0))
def test_non_positive_shift_is_exact(x, k):
    assert np.array_equal(shift_round(x, k), x * 2 ** (-k))


def test_activation_formats_represent_the_upper_bound_exactly():
    assert activation_frac_bits(1.0, 8) == 7          # hard sigmoid: 1.0 = 128 of 255
    assert activation_frac_bits(6.0, 8) == 5          # clipped ReLU: 6.0 = 192 of 255
    for hi in (1.0, 6.0):
        for bits in range(2, 17):
            fa = activation_frac_bits(hi, bits)
            assert hi * 2 ** fa <= 2 ** bits - 1 < 2 * hi * 2 ** fa


@given(st.floats(1e-4, 10), st.integers(2, 16), st.floats(1, 4))
def test_weight_exponent_fits_with_headroom(largest, bits, headroom):
    w = np.array([largest, -largest / 2])
    e = choose_weight_exponent(w, bits, headroom)
    top = (2 ** (bits - 1) - 1) * 2.0 ** e
    assert headroom * largest <= top * (1 + 1e-12) and headroom * largest > top / 2 * (1 - 1e-12)


@given(st.floats(1e-6, 1e3))
def test_power_of_two_shift_is_within_a_factor_sqrt2(rate):
    k = power_of_two_shift(rate)
    assert 2 ** -0.5 - 1e-9 <= 2.0 ** -k / rate <= 2 ** 0.5 + 1e-9
