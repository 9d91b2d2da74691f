"""How many trained nets get each verdict of the stability analysis
(:func:`lava_eqprop.engine.stability.analyse`, the analysis of ``lava-eqprop stability``:
equilibria from zeros, ones and random states for every input): Farinha et al. (2020) trained
directed nets whose free phase need not settle, and their study reports the verdicts of the
nets of every task and variant."""

from __future__ import annotations

from collections import Counter

import numpy as np

from lava_eqprop.engine.loss import get_loss
from lava_eqprop.engine.relaxation import Dynamics, Relaxer
from lava_eqprop.engine.stability import analyse
from lava_eqprop.network.network import Network


def stability_verdicts(nets: list[Network], dynamics: Dynamics, x: np.ndarray,
                       steps: int, loss: str = "half_squared_error") -> dict[str, int]:
    """verdict -> how many of ``nets`` get it, each analysed on the inputs ``x`` (three
    starts per input, ``steps`` steps each) under ``dynamics``."""
    cost = get_loss(loss)
    return dict(Counter(analyse(net, Relaxer(net, dynamics, cost), x, starts=3,
                                steps=steps).verdict for net in nets))
