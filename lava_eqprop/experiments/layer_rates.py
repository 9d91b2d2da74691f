"""Per-layer learning rates that undo the vanishing of a layered net's EP updates.

Scellier & Bengio (2017) train deeper layered nets with a rate per layer pair that grows
towards the input (×4 per layer in their 3-hidden-layer net); Gammell et al. (2021) compare
layer-skipping rewiring with one global rate against such hand-set rates. For a depth with no
published rates, :func:`equalising_rates` sets them from a measurement: the RMS correction
m_k of each layer pair k (:mod:`lava_eqprop.training.trainer`) over the first batches of
training at one global rate α, and, with r_L = 1 and L layer pairs,

    r_k = min(m_L / m_k, g · r_{k+1}),   α_k = c · r_k,   c = α / (Π_k r_k)^(1/L),

so that every layer pair starts with the update magnitude of the deepest pair (pair L, the
last hidden layer to the output), except that a rate grows by at most g = 4 per layer towards
the input, Scellier & Bengio's factor; and the rates have the geometric mean α, the mean
log-rate of the net with one global rate. Gammell et al.'s per-layer run sets Scellier &
Bengio's rates 0.128, 0.032, 0.008, 0.002 (geometric mean 0.016) against a global 0.02. At
initialisation the measured vanishing of a deep layered net can be far steeper (m_L/m_1 ≈ 10⁴
on a 784-500×5-10 net with 8 nudged steps), and rates that undo it all diverge at once; so did
the capped rates anchored at α_L = α on 784-100×5-10 (7.9 on the input pair).
"""

from __future__ import annotations

import math
from typing import Any

from lava_eqprop.spec.model_spec import ModelSpec

GROWTH = 4.0
"""The largest factor between the rates of neighbouring layer pairs (Scellier & Bengio)."""


def capped_rates(rms: list[float], alpha: float, growth: float = GROWTH) -> list[float]:
    """α_k of the module docstring from the layer pairs' RMS corrections ``rms`` (input side
    first) measured at the global rate ``alpha``."""
    ratios = [1.0]
    for m in reversed(rms[:-1]):
        ratios.append(min(rms[-1] / m, growth * ratios[-1]))
    scale = alpha / math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    return [scale * r for r in reversed(ratios)]


def equalising_rates(spec: ModelSpec, batches: int = 10, data: Any = None) -> list[float]:
    """α_k for the layered net of ``spec`` (which gives the global rate α), from its first
    ``batches`` training batches at initialisation (one epoch of those samples, statistics on
    every batch); ``data`` as :func:`lava_eqprop.api.training.train` takes it."""
    from lava_eqprop.api.training import train

    if spec.network.topology != "layered" or not spec.learning.learning_rate:
        raise ValueError(f"{spec.path}: equalising rates need a layered net with one global "
                         "learning_rate")
    samples = batches * spec.learning.batch_size
    probe = spec.with_keys({"data.train_samples": samples, "data.test_samples": 1,
                            "learning.epochs": 1}, "as the probe of equalising_rates")
    history = train(probe, data=data, stats_every=1, progress=False).history
    rms = history[0]["layer_rms_dw"]
    if not all(m > 0 for m in rms):
        raise ValueError(f"{spec.path}: a layer pair got no update in the first {batches} "
                         f"batches (RMS corrections {rms}): no rate can equalise it")
    return capped_rates(rms, spec.learning.learning_rate)
