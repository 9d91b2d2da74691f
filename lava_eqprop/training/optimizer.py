"""Parameter updates from EP directions: SGD with per-parameter rates, (Nesterov) momentum,
weight decay, gradient-norm clipping, an L1 term and a cosine learning-rate schedule."""

from __future__ import annotations

import math

import numpy as np

from lava_eqprop.network.network import Network

FoldedRates = tuple[dict[str, float], dict[str, float]]
"""The per-projection weight rates and per-population bias rates, scaled by the schedule."""


def cosine_factor(epoch: int, epochs: int, floor: float) -> float:
    """Cosine annealing (Loshchilov & Hutter 2017, PyTorch's CosineAnnealingLR stepped per
    epoch): the rate of epoch ``epoch`` (0-based) is lr_min + (lr − lr_min)(1 + cos(π·epoch/
    epochs))/2; returned as a fraction of lr, with ``floor`` = lr_min/lr."""
    return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))


class SGD:
    """d the EP direction (≈ −dL/dθ) of every parameter θ, then, in order:

    * clipping: if ‖d‖ over all parameters exceeds ``clip_norm``, d ← d·clip_norm/‖d‖
      (PyTorch's ``clip_grad_norm_``, Elayedam & Srinivasan: 1.0);
    * weight decay: d ← d − λ·θ;
    * momentum: v ← μ·v + d, and the step is v, or d + μ·v with Nesterov (Sutskever et al.
      2013, PyTorch's form);
    * θ ← θ + lr_θ·scale·step, ``scale`` the schedule's factor of the epoch;
    * the L1 term, on weights only: W ← W − r·sign(W_old), a fixed shrink per update that no
      rate scales, as Farinha et al. (2020) write it, W ← W + dt_W·ΔW − reg_W·sign(W) with
      reg_W = 1.5e-4.

    With nothing of this set it is the plain update of Scellier & Bengio (2017) and Gammell et
    al. (2021), W ← W + α_k (1/β)(ρ(s^β)ρ(s^β)ᵀ − ρ(s^0)ρ(s^0)ᵀ). Rates are per projection and
    per bias (one global rate, or one per layer pair). Parameters are updated in place, so
    masked weights stay masked (directions are masked) and every view of them stays valid.

    (Plain NumPy in-place arithmetic on purpose: scipy's BLAS axpy links scipy's own OpenBLAS,
    whose spinning thread pool contended with NumPy's and made training 3x slower.)
    """

    def __init__(self, network: Network, weight_lr: dict[str, float], bias_lr: dict[str, float],
                 momentum: float = 0.0, l1: float = 0.0, *, nesterov: bool = False,
                 weight_decay: float = 0.0, clip_norm: float = 0.0) -> None:
        self.network, self.weight_lr, self.bias_lr = network, weight_lr, bias_lr
        self.momentum, self.nesterov, self.l1 = momentum, nesterov, l1
        self.weight_decay, self.clip_norm = weight_decay, clip_norm
        self.scale = 1.0
        self.velocity: dict[str, np.ndarray] = {}

    def foldable_rates(self) -> FoldedRates | None:
        """The rates an EP estimator may fold into its directions (``factors`` of
        :func:`~lava_eqprop.engine.estimators.ep_update`): plain SGD's only (the L1 term
        allowed), since momentum, decay and clipping need the unscaled direction."""
        if self.momentum or self.weight_decay or self.clip_norm:
            return None
        return ({k: v * self.scale for k, v in self.weight_lr.items()},
                {k: v * self.scale for k, v in self.bias_lr.items()})

    def step(self, weight_dirs: dict[str, np.ndarray], bias_dirs: dict[str, np.ndarray],
             rates_folded: bool = False) -> dict[str, np.ndarray]:
        """Apply one update. The direction arrays are overwritten with the applied changes
        lr·step, which are returned per projection (for the |ΔW| statistics).
        ``rates_folded``: the directions already include :meth:`foldable_rates`."""
        if self.clip_norm:
            self._clip(list(weight_dirs.values()) + list(bias_dirs.values()))
        for name, d in weight_dirs.items():
            weight = self.network.projection(name).weight
            shrink = self.l1 * np.sign(weight) if self.l1 else None
            weight += d if rates_folded else self._applied("w:" + name, d, self.weight_lr[name],
                                                           weight)
            if shrink is not None:
                weight -= shrink
                d -= shrink
        for name, d in bias_dirs.items():
            bias = self.network.population(name).bias
            bias += d if rates_folded else self._applied("b:" + name, d, self.bias_lr[name], bias)
        return weight_dirs

    def scale_weight(self, name: str, factor: float) -> None:
        """Multiply projection ``name``'s weight and its momentum by ``factor`` in place."""
        self.network.projection(name).weight[...] *= factor
        velocity = self.velocity.get("w:" + name)
        if velocity is not None:
            velocity *= factor

    def _clip(self, directions: list[np.ndarray]) -> None:
        norm = math.sqrt(sum(float(np.vdot(d, d)) for d in directions))
        if norm > self.clip_norm:
            for d in directions:
                d *= self.clip_norm / norm

    def _applied(self, key: str, d: np.ndarray, lr: float, param: np.ndarray) -> np.ndarray:
        if self.weight_decay:
            d -= self.weight_decay * param
        if self.momentum:
            v = self.velocity.get(key)
            if v is None:
                v = self.velocity[key] = np.zeros_like(d)
            v *= self.momentum
            v += d
            if self.nesterov:
                d += self.momentum * v
            else:
                np.copyto(d, v)
        d *= lr * self.scale
        return d

    def state_dict(self) -> dict[str, np.ndarray]:
        return dict(self.velocity)

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.velocity = {k: np.array(v) for k, v in state.items()}
