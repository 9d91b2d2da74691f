"""Fixed-point arithmetic of the ``fixed_pt`` process models (pure NumPy, no Lava).

Number formats (widths from a chip config, :mod:`lava_eqprop.chips.config`):

* **state** v: signed ``state_bits`` integer with F = ``state_frac_bits`` fraction bits,
  s = v·2^−F. Drives, biases and targets use the same scale.
* **activation payload** p: unsigned ``activation_bits`` (A) integer, s = p·2^−Fa, with Fa the
  largest number of fraction bits for which hi·2^Fa ≤ 2^A − 1 (so the activation's upper bound is
  represented exactly: Fa = A − 1 for the hard sigmoid [0, 1], A − 3 for clipped ReLU [0, 6]).
* **weight** W ≈ m·2^e: signed ``weight_bits`` mantissa m, one exponent e per projection, chosen
  so that ``weight_headroom`` × the initial max |W| fits.

Every narrowing goes through :func:`saturate`, which counts the values it had to clip, and every
right shift through :func:`shift_round` (nearest: half up; stochastic: add a uniform integer in
[0, 2^k) before flooring, so the result is unbiased).
"""

from __future__ import annotations

import math

import numpy as np

from lava_eqprop.chips.config import ChipArithmetic
from lava_eqprop.network.network import Network

PLACEMENT_KEY = "fixed_point_weights"     # network.metadata entry: the placed weight exponents


def limits(bits: int, signed: bool = True) -> tuple[int, int]:
    """Smallest and largest value of a ``bits``-wide integer."""
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def saturate(x: np.ndarray, bits: int, signed: bool = True,
             counted_rows: int | None = None) -> tuple[np.ndarray, int]:
    """Clip ``x`` to a ``bits``-wide integer range; return it and how many values were clipped
    (in its first ``counted_rows`` rows when given: a batch's valid samples, not its padding)."""
    lo, hi = limits(bits, signed)
    counted = x if counted_rows is None else x[:counted_rows]
    clipped = int(np.count_nonzero((counted < lo) | (counted > hi)))
    return np.clip(x, lo, hi), clipped


def shift_round(x: np.ndarray, k: int, mode: str = "nearest",
                rng: np.random.Generator | None = None) -> np.ndarray:
    """x·2^−k rounded to an integer (x integer). k ≤ 0 is an exact left shift.

    ``nearest`` rounds half up: ⌊(x + 2^(k−1)) / 2^k⌋. ``stochastic`` adds a uniform integer in
    [0, 2^k) before flooring: E[result] = x·2^−k exactly.
    """
    x = np.asarray(x, dtype=np.int64)
    if k <= 0:
        return x << -k
    if mode == "nearest":
        return (x + (1 << (k - 1))) >> k
    if mode == "stochastic":
        return (x + rng.integers(0, 1 << k, size=x.shape)) >> k
    raise ValueError(f"rounding {mode!r} is not one of ['nearest', 'stochastic']")


def activation_frac_bits(hi: float, activation_bits: int) -> int:
    """Fa: the most fraction bits with hi·2^Fa ≤ 2^A − 1 (the upper bound exactly representable)."""
    if not math.isfinite(hi) or hi <= 0:
        raise ValueError(f"a fixed-point activation needs a finite upper bound > 0, got {hi}")
    return math.floor(math.log2(((1 << activation_bits) - 1) / hi))


def choose_weight_exponent(weight: np.ndarray, weight_bits: int, headroom: float) -> int:
    """The smallest e with headroom·max|W| ≤ (2^(bits−1) − 1)·2^e."""
    largest = float(np.max(np.abs(weight))) if weight.size else 0.0
    if largest == 0.0:
        largest = 1.0
    return math.ceil(math.log2(headroom * largest / ((1 << (weight_bits - 1)) - 1)))


def quantise(x: np.ndarray, frac_bits: int) -> np.ndarray:
    """x·2^frac_bits rounded half up to an int64 (a float value into a fixed-point format)."""
    return np.floor(np.asarray(x, dtype=float) * 2.0 ** frac_bits + 0.5).astype(np.int64)


def power_of_two_shift(rate: float) -> int:
    """k such that 2^−k is the power of two nearest to ``rate`` > 0 in the log domain."""
    return -round(math.log2(rate))


def quantise_weight(weight: np.ndarray, exponent: int, weight_bits: int) -> tuple[np.ndarray, int]:
    """The signed ``weight_bits`` mantissa m of W ≈ m·2^e: sat(⌊W·2^−e⌉), and how many weights
    saturated. The one conversion of float weights to a chip's (the Lava models, ``map``)."""
    return saturate(quantise(weight, -exponent), weight_bits)


def weight_exponents(network: Network, chip: ChipArithmetic) -> dict[str, int]:
    """The weight exponent of every projection on a chip of these widths: the one recorded in
    ``network.metadata`` when the network was placed (:func:`place_weights`) with this weight
    width and headroom, else the one :func:`choose_weight_exponent` picks from the current
    weights. Reads only."""
    placed = network.metadata.get(PLACEMENT_KEY)
    if placed and {k: placed.get(k) for k in _placement(chip)} == _placement(chip):
        return {name: int(e) for name, e in placed["exponents"].items()}
    return {proj.name: choose_weight_exponent(proj.weight, chip.weight_bits, chip.weight_headroom)
            for proj in network.projections}


def place_weights(network: Network, chip: ChipArithmetic) -> dict[str, int]:
    """Fix the weight grid as a chip does when the network is first placed on it: the
    exponents of :func:`weight_exponents`, recorded in ``network.metadata`` so that checkpoints
    carry them and a resumed or later run quantises on the same grid (weights that grow
    afterwards saturate rather than move the grid). Returns the exponents."""
    exponents = weight_exponents(network, chip)
    network.metadata[PLACEMENT_KEY] = _placement(chip) | {"exponents": exponents}
    return exponents


def _placement(chip: ChipArithmetic) -> dict[str, float]:
    return {"weight_bits": chip.weight_bits, "weight_headroom": chip.weight_headroom}


def weight_quantisation(network: Network, chip: ChipArithmetic) -> dict[str, dict[str, float]]:
    """Per projection, what placing the weights on ``chip`` costs: the exponent e, the largest
    and the RMS |W − m·2^e| over the synapses that exist, the RMS error relative to the RMS
    weight, and how many weights saturated (the same conversion as the Lava models)."""
    exponents = weight_exponents(network, chip)
    report = {}
    for proj in network.projections:
        exists = (proj.mask.astype(bool) if proj.mask is not None
                  else np.ones_like(proj.weight, dtype=bool))
        mantissa, saturated = quantise_weight(proj.weight, exponents[proj.name], chip.weight_bits)
        error = (proj.weight - mantissa * 2.0 ** exponents[proj.name])[exists]
        weight = proj.weight[exists]
        rms_weight = float(np.sqrt(np.mean(weight ** 2))) if weight.size else 0.0
        rms_error = float(np.sqrt(np.mean(error ** 2))) if error.size else 0.0
        report[proj.name] = {
            "exponent": exponents[proj.name],
            "max_abs_error": float(np.max(np.abs(error))) if error.size else 0.0,
            "rms_error": rms_error,
            "relative_rms_error": rms_error / rms_weight if rms_weight else 0.0,
            "saturated": saturated}
    return report
