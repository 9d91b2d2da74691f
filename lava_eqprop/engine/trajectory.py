"""Farinha et al.'s (2020) STDP-like learning rule, accumulated along the nudged trajectory.

"Equilibrium Propagation for Complete Directed Neural Networks" (ESANN 2020), the DEEP rule:
for a connection i → j (weight W_ij, stored here as ``weight[j, i]`` of the projection from
i's population to j's),

    ΔW_ij = mean over t = 1..T2 and samples of  s_i(t) · [β0 s_j(t) + β1 (s_j(t) − s_j(t−1))],

with s(0) the free equilibrium and s(1..T2) the nudged phase's states. β0 = 0, β1 = 1 in the
paper: a pre-synaptic rate times the post-synaptic rate of change, which for a slowly moving
pre-synaptic rate telescopes to s_i (s_j^β − s_j^0), the update of Scellier et al.'s (2018)
vector-field EP without the 1/β. A bias is a weight from a neuron clamped at 1 (the authors'
bias neuron), so Δb_j = mean over t and samples of [β0 s_j(t) + β1 (s_j(t) − s_j(t−1))].

A symmetric projection is two directed connections sharing one weight; its update is the sum
of both directions' terms (a clamped pre population does not move and is not driven, so it adds
only the forward one).

The accumulator is a :meth:`~lava_eqprop.engine.relaxation.Relaxer.run` observer: after each
step it adds that step's term, one matrix product per projection whose pre population moves (a
clamped pre state factors out of the sum: one product at the end).
"""

from __future__ import annotations

import numpy as np

from lava_eqprop.engine.relaxation import Relaxer, State


class TrajectoryRule:
    """Sums of s_pre(t)·[β0 s_post(t) + β1 Δs_post(t)] over the steps of a nudged phase."""

    def __init__(self, relaxer: Relaxer, beta0: float, beta1: float) -> None:
        self.relaxer, self.beta0, self.beta1 = relaxer, beta0, beta1
        self.network = relaxer.network
        self.projections = [p for p in self.network.projections if p.plastic]
        self.clamped = {p.name for p in self.network.inputs}
        self.steps = 0.0
        self.post_sums: dict[str, np.ndarray] = {}     # Σ_t factor_post(t), per free population
        self.products: dict[str, np.ndarray] = {}      # Σ_t factor_post(t)ᵀ s_pre(t), free pre

    def factor(self, state: State, name: str, weight: float = 1.0) -> np.ndarray:
        """β0·weight·s(t) + β1 (s(t) − s(t−1)) of a free population, (batch, size)."""
        now, before = state.values[name], state.scratch[name]
        return (self.beta0 * weight) * now + self.beta1 * (now - before)

    def __call__(self, state: State, weight: float = 1.0) -> None:
        """Add a step's terms. ``weight``: the step's length in Euler steps (h/ε; 1 for an
        Euler step), so that a step of an adaptive integrator stands for that many Euler
        steps: the β0 term is a time integral, the β1 term ∫ s_i ds_j needs no weight."""
        self.steps += weight
        factors = {p.name: self.factor(state, p.name, weight) for p in self.network.free}
        for name, f in factors.items():
            total = self.post_sums.get(name)
            self.post_sums[name] = f if total is None else total + f
        for proj in self.projections:
            if proj.pre in self.clamped:
                continue
            term = factors[proj.post].T @ state.values[proj.pre]
            if proj.symmetric:                          # the tied weight's other direction
                term += (factors[proj.pre].T @ state.values[proj.post]).T
            total = self.products.get(proj.name)
            self.products[proj.name] = term if total is None else total + term

    def updates(self, clamped: dict[str, np.ndarray],
                factors: tuple[dict[str, float], dict[str, float]] | None = None
                ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """The rule's means, masked: ΔW per plastic projection and Δb per learnt bias.

        ``clamped`` holds the input states (constant during the phase); ``factors`` (per
        projection, per population) multiply the results (learning rates folded in).
        """
        weight_factor, bias_factor = factors or ({}, {})
        batch = next(iter(self.post_sums.values())).shape[0]
        scale = 1.0 / (max(self.steps, 1) * batch)
        weights = {}
        for proj in self.projections:
            if proj.pre in self.clamped:
                corr = self.post_sums[proj.post].T @ clamped[proj.pre]
            else:
                corr = self.products[proj.name]
            corr *= scale * weight_factor.get(proj.name, 1.0)
            weights[proj.name] = self.relaxer.interactions[proj.name].mask_correlation(corr)
        biases = {p.name: (scale * bias_factor.get(p.name, 1.0)
                           * p.bias_sum(self.post_sums[p.name]))
                  for p in self.network.free if p.learn_bias}
        return weights, biases
