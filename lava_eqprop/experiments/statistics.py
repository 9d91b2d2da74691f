"""Gammell et al. (2021), Fig. 3: the vanishing-gradient measure of layered against
small-world (layer-skipping) nets.

For layer pairs k = 1 … L (input to first hidden layer, …, last hidden layer to output) and
the per-epoch update magnitude m_k(e) of pair k that the trainer records (mean |ΔW|, or the
RMS correction √(Σ ΔW² / n)), the statistic is

    r_k = m̄_L / m̄_k,    m̄_k = (1/E) Σ_e m_k(e),

the deepest pair's magnitude over pair k's, each averaged over the E epochs given. r_L = 1;
the first pair's r_1 says how much smaller the updates nearest the input are. Gammell et al.
call the updates balanced when every r_k stays within :data:`RATIO_LIMIT`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

RATIO_LIMIT = 10.0
"""The bound on r_k under which the layers' updates count as balanced (Gammell et al.)."""


def deepest_over_layer(history: list[dict[str, Any]], key: str) -> list[float]:
    """r_k for every layer pair (see the module docstring) over the epochs of ``history``
    (the trainer's epoch records).

    ``key``: "layer_mean_abs_dw" (mean |ΔW|) or "layer_rms_dw" (the authors' RMS correction).
    """
    per_layer = np.mean([record[key] for record in history], axis=0)
    return [float(per_layer[-1] / m) for m in per_layer]
