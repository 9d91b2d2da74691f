"""Helpers for Lava backend tests: the engine run over the same schedule, as the reference."""

import numpy as np


def engine_reference(network, spec_like, x, targets, batch, seed, batches=None):
    """Train ``network`` (in place) with the NumPy engine exactly as the Trainer does for one
    epoch: one permutation, then per batch ep_update (β sign drawn from the same stream) and a
    plain SGD step. Returns the free state of the last batch."""
    from lava_eqprop.engine.estimators import ep_update
    from lava_eqprop.engine.loss import get_loss
    from lava_eqprop.engine.relaxation import Relaxer
    from lava_eqprop.training.optimizer import SGD

    dynamics, settings, loss, (w_lr, b_lr) = spec_like
    relaxer = Relaxer(network, dynamics, get_loss(loss))
    sgd = SGD(network, w_lr, b_lr)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    last = None
    for k, lo in enumerate(range(0, len(x), batch)):
        if batches is not None and k >= batches:
            break
        idx = order[lo:lo + batch]
        clamped = relaxer.clamp({network.inputs[0].name: x[idx]})
        result = ep_update(relaxer, clamped, targets[idx], settings, rng,
                           factors=sgd.foldable_rates())
        sgd.step(result.weight_updates, result.bias_updates, rates_folded=True)
        last = result.free_state
    return last
