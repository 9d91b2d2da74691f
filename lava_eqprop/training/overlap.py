"""Overlap the input layer's weight update and the next batch's input product with the
relaxation, on the second core.

The two largest products of a training batch are both in the input projections W (dense,
from the clamped input x): the next batch's constant drive x_{k+1}·Wᵀ, and the update
W ← W + U_k with U_k = r·d_kᵀ x_k (d_k = s^a − s^b of the post population, r the scale with the
learning rate folded in, plain SGD). Neither is needed by the relaxation, which reads W only
through that drive. With W_k the weights before batch k's update, the identity

    x_{k+1}·(W_k + U_k)ᵀ = x_{k+1}·W_kᵀ + r·(x_{k+1} x_kᵀ)·d_k

lets a worker thread compute P_{k+1} = x_{k+1}·W_kᵀ (after applying U_{k−1}) while the main
thread relaxes batch k; after the nudged phase the main thread adds the small B×B correction
and starts the next batch at once, and the worker applies U_k and computes P_{k+2}. The
result equals the sequential update up to float rounding (one sum taken in another order).
BLAS runs single-threaded meanwhile (``threadpoolctl``): one core relaxes, the other
multiplies. Only when it is exact: plain SGD with the rates folded into the directions, no
L1 shrink, no augmentation (its random draws would move), a NumPy relaxer, and unmasked
dense input projections; and only where it pays (:func:`pays_off`).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack

import numpy as np
from threadpoolctl import threadpool_limits

from lava_eqprop.engine.estimators import EPResult
from lava_eqprop.engine.relaxation import Clamped, Relaxer
from lava_eqprop.network.network import Network

MIN_PRODUCT = 1 << 22   # batch·pre·post multiply-adds below which a thread hand-off costs more


def overlappable(network: Network, relaxer: Relaxer, *, batch: int, steps: int, folded_rates: bool,
                 l1: float, augment: bool, estimator: str) -> list[str]:
    """The input projections whose update and product can be overlapped (module docstring);
    empty when the training set-up does not allow it or it would not pay (:func:`pays_off`).
    ``steps``: the relaxation steps of a batch, all phases."""
    if (not folded_rates or l1 or augment or type(relaxer) is not Relaxer
            or estimator not in ("one_sided", "symmetric")):
        return []
    names = [p.name for p in network.projections
             if p.kind == "dense" and p.mask is None and p.plastic and not p.lateral
             and network.population(p.pre).clamped and not network.population(p.post).clamped]
    moved = 2 * batch * sum(network.projection(n).weight.size for n in names)
    kept = steps * batch * sum(
        p.weight.size * (2 if p.symmetric and not p.lateral else 1) for p in network.projections
        if not network.population(p.pre).clamped and not network.population(p.post).clamped)
    return names if pays_off(moved, kept) else []


def pays_off(moved: int, kept: int) -> bool:
    """Whether moving ``moved`` multiply-adds per batch (the input products) to the worker
    pays: they must be worth a thread hand-off (``MIN_PRODUCT``), and outweigh the
    relaxation's own products (``kept``), which lose BLAS's second thread meanwhile (the
    784-500-500-500-10 nets of Gammell et al., 108 steps a batch, would get slower)."""
    return moved >= MIN_PRODUCT and moved >= kept


class InputOverlap:
    """The pipeline of the module docstring for the projections ``names``, over one epoch.

    Use as a context manager (it owns the worker thread and the BLAS thread limit):
    :meth:`start` gives the first batch's Clamped, :meth:`advance` takes a batch's EP result
    and gives the next batch's.
    ``weight_rates``: the folded rate of every projection; ``record(name, change)`` takes the
    applied change of an overlapped projection on the batches asked for (the trainer's |ΔW|
    statistics; called on the worker thread, before the next :meth:`advance` returns).
    """

    def __init__(self, relaxer: Relaxer, names: list[str], weight_rates: dict[str, float],
                 record: Callable[[str, np.ndarray], None]) -> None:
        self.relaxer, self.names = relaxer, frozenset(names)
        self.input_name = relaxer.network.inputs[0].name
        self.projections = {n: relaxer.network.projection(n) for n in names}
        self.rates = {n: weight_rates.get(n, 1.0) for n in names}
        self.record = record
        self._buffers = {n: np.empty_like(p.weight) for n, p in self.projections.items()}
        self._pending: Future | None = None
        self._stack = ExitStack()

    def __enter__(self) -> "InputOverlap":
        self._stack.enter_context(threadpool_limits(1, user_api="blas"))
        self._pool = self._stack.enter_context(ThreadPoolExecutor(1, "lava-eqprop-overlap"))
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.finish()
        finally:
            self._stack.close()

    def start(self, x: np.ndarray, x_next: np.ndarray | None) -> Clamped:
        """The first batch's Clamped, computed here; the worker starts on x_next's products."""
        self._pending = self._pool.submit(self._products, x_next)
        return self.relaxer.clamp({self.input_name: x})

    def advance(self, result: EPResult, x: np.ndarray, x_next: np.ndarray | None,
                x_after_next: np.ndarray | None, stats: bool) -> Clamped | None:
        """After batch x (its other parameters already updated): hand its overlapped updates
        to the worker, which applies them and then takes x_after_next's products, and return
        x_next's Clamped from the products taken meanwhile plus the correction."""
        if result.contrasted is None:
            raise ValueError("the overlap needs the estimator's contrasted states "
                             "(EPResult.contrasted)")
        a, b, scale = result.contrasted
        factors = {}
        for name, proj in self.projections.items():
            d = a[proj.post] - b[proj.post]
            d *= scale * self.rates[name]
            factors[name] = d
        products = self.finish()                   # x_next·W_kᵀ, W_k before this update
        self._pending = self._pool.submit(self._update, x, factors, x_after_next, stats)
        if x_next is None:
            return None
        gram = x_next @ x.T
        known = {n: products[n] + gram @ factors[n] for n in self.names}
        return self.relaxer.clamp({self.input_name: x_next}, known)

    def finish(self) -> dict[str, np.ndarray]:
        """Wait for the worker; its last products (empty if none were asked for)."""
        pending, self._pending = self._pending, None
        return pending.result() if pending is not None else {}

    def _update(self, x: np.ndarray, factors: dict[str, np.ndarray],
                x_after_next: np.ndarray | None, stats: bool) -> dict[str, np.ndarray]:
        for name, proj in self.projections.items():
            change = np.matmul(factors[name].T, x, out=self._buffers[name])
            proj.weight += change
            if stats:
                self.record(name, change)
        return self._products(x_after_next)

    def _products(self, x: np.ndarray | None) -> dict[str, np.ndarray]:
        if x is None:
            return {}
        return {n: np.matmul(x, p.weight.T) for n, p in self.projections.items()}
