"""Parameter updates from EP directions: SGD with per-parameter rates and optional momentum."""

from __future__ import annotations

import numpy as np

from lava_eqprop.network.network import Network


class SGD:
    """v ← μ·v + d,  θ ← θ + lr_θ·v, for d the EP direction (≈ −dL/dθ).

    With an L1 coefficient r (Farinha et al. 2020's sparsity term, r = 1.5e-4), the weight
    direction is d − r·sign(W) (biases are not penalised). With μ = 0 this is the plain update
    of Scellier & Bengio (2017) and Gammell et al. (2021):
    W ← W + α_k (1/β)(ρ(s^β)ρ(s^β)ᵀ − ρ(s^0)ρ(s^0)ᵀ). Rates are per projection and per bias
    (one global rate, or one per layer pair). Parameters are updated in place, so masked
    weights stay masked (directions are masked) and every view of them stays valid.

    (Plain NumPy in-place arithmetic on purpose: scipy's BLAS axpy links scipy's own OpenBLAS,
    whose spinning thread pool contended with NumPy's and made training 3x slower.)
    """

    def __init__(self, network: Network, weight_lr: dict[str, float], bias_lr: dict[str, float],
                 momentum: float = 0.0, l1: float = 0.0) -> None:
        self.network, self.weight_lr, self.bias_lr, self.momentum = network, weight_lr, bias_lr, momentum
        self.l1 = l1
        self.velocity: dict[str, np.ndarray] = {}

    def foldable_rates(self) -> tuple[dict[str, float], dict[str, float]] | None:
        """The rates an EP estimator may fold into its directions (``factors`` of
        :func:`~lava_eqprop.engine.estimators.ep_update`): plain SGD's only, since momentum
        and the L1 term need the unscaled direction."""
        return None if (self.momentum or self.l1) else (self.weight_lr, self.bias_lr)

    def step(self, weight_dirs: dict[str, np.ndarray], bias_dirs: dict[str, np.ndarray],
             rates_folded: bool = False) -> dict[str, np.ndarray]:
        """Apply one update. The direction arrays are overwritten with the applied changes
        lr·v, which are returned per projection (for the |ΔW| statistics).
        ``rates_folded``: the directions already include :meth:`foldable_rates`."""
        for name, d in weight_dirs.items():
            if self.l1:
                d -= self.l1 * np.sign(self.network.projection(name).weight)
            self.network.projection(name).weight += (
                d if rates_folded else self._applied("w:" + name, d, self.weight_lr[name]))
        for name, d in bias_dirs.items():
            self.network.population(name).bias += (
                d if rates_folded else self._applied("b:" + name, d, self.bias_lr[name]))
        return weight_dirs

    def _applied(self, key: str, d: np.ndarray, lr: float) -> np.ndarray:
        if self.momentum:
            v = self.velocity.get(key)
            if v is None:
                v = self.velocity[key] = np.zeros_like(d)
            v *= self.momentum
            v += d
            np.multiply(v, lr, out=d)
        else:
            d *= lr
        return d

    def state_dict(self) -> dict[str, np.ndarray]:
        return dict(self.velocity)

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.velocity = {k: np.array(v) for k, v in state.items()}
