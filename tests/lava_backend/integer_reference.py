"""An integer reference of the fixed-point Lava graph, written from the definitions.

It computes, in int64 NumPy, what the ``fixed_pt`` process models of a compiled graph
(``lava_eqprop/lava_backend/graph.py``) compute, batch after batch, step by step: every free
population's state, every payload sent (the sigma-delta events), the drives, the weight and
bias updates, and the event, synaptic-operation and saturation counters. It is written from
the documented definitions, not from the models' code:

* the formats (``lava_eqprop/chips/fixed_point.py``, module docstring): a state v with
  F = ``state_frac_bits`` fraction bits; an activation payload of A = ``activation_bits``
  unsigned bits with Fa fraction bits, Fa the most for which hi·2^Fa ≤ 2^A − 1; a weight
  W ≈ m·2^e, m a signed ``weight_bits`` mantissa and e the smallest exponent for which
  ``weight_headroom``·max|W| ≤ (2^(weight_bits − 1) − 1)·2^e; float values (inputs, targets,
  biases, weights) enter a format rounded half up; every right shift rounds half up; every
  narrowing saturates and is counted;
* the population step (``RatePopulation``'s fixed model and process docstrings), with
  c = β·scale held with ``nudge_frac_bits`` fraction bits and ε = 2^−k::

      d  = sat_acc(a_in + b)                      (+ ⌊c·(y − v)⌉ for the joint nudge)
      v' = clip(v + ⌊(d − v)·2^−k⌉, lo, hi)       (+ ⌊εc·(y − v')⌉ before the clip, split nudge)
      p  = ⌊v'·2^(Fa − F)⌉                        the payload; δ = p − p̂ is sent where
                                                  |δ| > θ·2^Fa (θ = 0: everywhere), p̂ += δ

* the synapse (``PlasticSynapse``'s fixed model and process docstrings)::

      fwd = sat_acc(⌊(m·p̂_pre)·2^(e − Fa_pre + F)⌉),   bwd = the same with mᵀ·p̂_post
      Δm  = ⌊±corr·2^−(k_η + Fa_pre + Fa_post + e)⌉,  m ← sat_w(m + Δm)

  with corr = Σ_valid (p̂_post p̂_preᵀ)_A − (p̂_post p̂_preᵀ)_B on the synapses that exist
  (the mask; a lateral weight without a mask has no diagonal) and 2^−k_η the power of two
  nearest to η·|scale|/n_valid in the log domain; the bias: Δb = ⌊±Σ_valid (v_A − v_B)·2^−k_η⌉;
* the protocol (``lava_eqprop/lava_backend/protocol.py``): LOAD (states to zero, the inputs
  sent), T1 free steps, then the nudged phase(s), a RESTORE step to the free state between
  two; a synapse sends the drive computed from the activity it received in the previous step.

Only the ``nearest`` rounding of the chip configs is reproduced (the seeded stochastic stream
is not): the reference refuses a chip that rounds stochastically.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lava_eqprop.chips.config import ChipArithmetic
from lava_eqprop.network.network import Network

LOAD, FREE, NUDGE, RESTORE = 0, 1, 2, 3      # counter index of each phase
SLOT_A, SLOT_B = 1, 2


def half_up(x: np.ndarray, k: int) -> np.ndarray:
    """x·2^−k for an integer x, rounded to the nearest integer with ties upwards (towards
    +∞); k ≤ 0 multiplies exactly."""
    x = np.asarray(x, dtype=np.int64)
    if k <= 0:
        return x * np.int64(2 ** -k)
    return np.floor_divide(x + np.int64(2 ** (k - 1)), np.int64(2 ** k))


def saturate(x: np.ndarray, bits: int, signed: bool = True,
             rows: int | None = None) -> tuple[np.ndarray, int]:
    """``x`` clipped to a ``bits``-wide register, and how many values did not fit (among its
    first ``rows`` rows when given: the valid samples of a batch)."""
    lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2 ** bits - 1)
    counted = x if rows is None else x[:rows]
    return np.clip(x, lo, hi), int(np.sum((counted < lo) | (counted > hi)))


def to_fixed(value, frac_bits: int) -> np.ndarray:
    """A float value in a format with ``frac_bits`` fraction bits: value·2^frac rounded half up."""
    return np.floor(np.asarray(value, dtype=float) * 2.0 ** frac_bits + 0.5).astype(np.int64)


def payload_frac_bits(hi: float, bits: int) -> int:
    """Fa: the most fraction bits with hi·2^Fa ≤ 2^bits − 1."""
    fa = bits
    while hi * 2.0 ** fa > 2 ** bits - 1:
        fa -= 1
    return fa


def weight_exponent(weight: np.ndarray, bits: int, headroom: float) -> int:
    """The smallest e with headroom·max|W| ≤ (2^(bits − 1) − 1)·2^e (max|W| = 0 counts as 1)."""
    largest = float(np.max(np.abs(weight))) if weight.size else 0.0
    need = headroom * (largest or 1.0)
    top = 2 ** (bits - 1) - 1
    e = 0
    while top * 2.0 ** e < need:
        e += 1
    while top * 2.0 ** (e - 1) >= need:
        e -= 1
    return e


def rate_shift(rate: float) -> int:
    """k with 2^−k the power of two nearest to ``rate`` in the log domain."""
    return -round(math.log2(rate))


@dataclass(frozen=True)
class Step:
    """One time step's control: phase, β, the slot to snapshot (0: none), whether it ends the
    free phase, and the learning scale (0: no update)."""

    phase: int
    beta: float = 0.0
    snap: int = 0
    free_end: bool = False
    learn: float = 0.0


def phase_plan(free_steps: int, nudged_steps: int, betas: tuple[float, ...]) -> list[Step]:
    """The steps of one batch: LOAD, T1 free steps, one nudged phase of T2 steps per β (a
    RESTORE step between two). One β: slot B is the free state, A the nudged one, scale 1/β;
    (β, −β): A is +β's state, B −β's, scale 1/(2β)."""
    one_sided = len(betas) == 1
    steps = [Step(LOAD)] + [Step(FREE) for _ in range(free_steps - 1)]
    steps.append(Step(FREE, snap=SLOT_B if one_sided else 0, free_end=True))
    for k, beta in enumerate(betas):
        if k:
            steps.append(Step(RESTORE))
        steps += [Step(NUDGE, beta) for _ in range(nudged_steps - 1)]
        learn = 0.0
        if k == len(betas) - 1:
            learn = 1.0 / beta if one_sided else 1.0 / (betas[0] - betas[1])
        steps.append(Step(NUDGE, beta, snap=SLOT_A if k == 0 else SLOT_B, learn=learn))
    return steps


@dataclass
class BatchRecord:
    """What one batch did: per free population the state saved at the end of the free phase
    and the state after the last step; per step (rows: time steps of the batch) the states and
    the payloads p̂ every population has sent so far (the clamped input's included); the
    readout's prediction at the end of the free phase (argmax of the output's p̂)."""

    free: dict[str, np.ndarray]
    final: dict[str, np.ndarray]
    states: dict[str, np.ndarray]
    payloads: dict[str, np.ndarray]
    predictions: np.ndarray


@dataclass
class _Synapse:
    name: str
    pre: str
    post: str
    mantissa: np.ndarray
    exponent: int
    connected: np.ndarray          # bool, the synapses that exist
    lateral_unmasked: bool
    drives_post: bool
    drives_pre: bool
    rate: float
    fan_out: np.ndarray
    fan_in: np.ndarray
    fwd: np.ndarray | None = None
    bwd: np.ndarray | None = None
    slots: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


class FixedPointReference:
    """The fixed-point graph of ``network`` on ``chip``, ``batch`` rows per message, in int64.

    ``weight_rates``/``bias_rates``: η per projection and population (absent: 0, no update).
    Call :meth:`run_batch` once per batch, in the graph's order; the parameters
    (``mantissas``, ``biases``) and the counters (``events``, ``synops``, ``saturations``)
    carry over from batch to batch as in a graph that runs them one after another. Events and
    synaptic operations and saturations count the batch's valid rows (padding is not a
    sample). Dense projections only (no conv, no identity skip).
    """

    def __init__(self, network: Network, chip: ChipArithmetic, *, batch: int, epsilon: float,
                 nudge: str = "joint", loss_scale: float = 1.0,
                 weight_rates: dict[str, float] | None = None,
                 bias_rates: dict[str, float] | None = None,
                 event_threshold: float = 0.0) -> None:
        if chip.rounding != "nearest":
            raise ValueError("the reference reproduces nearest rounding only, "
                             f"not {chip.rounding!r}")
        self.chip, self.batch, self.split, self.scale = chip, batch, nudge == "split", loss_scale
        self.F, self.Fc = chip.state_frac_bits, chip.nudge_frac_bits
        self.k = 0
        while 2.0 ** -self.k > epsilon:
            self.k += 1
        if 2.0 ** -self.k != epsilon:
            raise ValueError(f"epsilon must be a power of two, got {epsilon}")
        self.input, self.output = network.inputs[0].name, network.outputs[0].name
        self.free_names = [p.name for p in network.free]
        self.size = {p.name: p.size for p in network.populations}
        self.Fa = {p.name: payload_frac_bits(p.act.hi, chip.activation_bits)
                   for p in network.populations}
        self.hi = {p.name: to_fixed(p.act.hi, self.F) for p in network.free}
        self.biases = {p.name: to_fixed(p.flat_bias(), self.F) for p in network.free}
        bias_rates = bias_rates or {}
        self.bias_rate = {name: bias_rates.get(name, 0.0) for name in self.free_names}
        self.dense = dense = event_threshold == 0
        self.threshold = {p.name: math.floor(event_threshold * 2 ** self.Fa[p.name])
                          for p in network.free}
        weight_rates = weight_rates or {}
        self.synapses: list[_Synapse] = []
        for proj in network.projections:
            if proj.kind != "dense":
                raise ValueError(f"projection {proj.name!r}: the reference runs dense "
                                 f"projections only, not {proj.kind}")
            e = weight_exponent(proj.weight, chip.weight_bits, chip.weight_headroom)
            m, _ = saturate(to_fixed(proj.weight, -e), chip.weight_bits)
            connected = (np.ones(proj.weight.shape, bool) if proj.mask is None
                         else np.asarray(proj.mask, bool))
            free_pre, free_post = proj.pre in self.free_names, proj.post in self.free_names
            drives_pre = proj.symmetric and not proj.lateral and free_pre
            self.synapses.append(_Synapse(
                proj.name, proj.pre, proj.post, m, e, connected,
                lateral_unmasked=proj.lateral and proj.mask is None,
                drives_post=free_post, drives_pre=drives_pre,
                rate=weight_rates.get(proj.name, 0.0) if proj.plastic else 0.0,
                fan_out=connected.sum(axis=0).astype(np.int64),
                fan_in=connected.sum(axis=1).astype(np.int64)))
        self.pre_dense = {s.name: dense and s.pre in self.free_names for s in self.synapses}
        self.post_dense = {s.name: dense and s.post in self.free_names for s in self.synapses}
        shape = {name: (batch, n) for name, n in self.size.items()}
        self.v = {name: np.zeros(shape[name], np.int64) for name in self.free_names}
        self.v_free = {name: np.zeros(shape[name], np.int64) for name in self.free_names}
        self.sent = {name: np.zeros(shape[name], np.int64) for name in self.size}
        self.pop_slots: dict[str, dict[int, np.ndarray]] = {n: {} for n in self.free_names}
        for syn in self.synapses:
            syn.fwd = np.zeros(shape[syn.post], np.int64)
            syn.bwd = np.zeros(shape[syn.pre], np.int64)
        self.events = {name: np.zeros(4, np.int64) for name in self.size}
        self.synops = {s.name: np.zeros(4, np.int64) for s in self.synapses}
        self.saturations = {name: 0 for name in self.free_names} | {s.name: 0
                                                                   for s in self.synapses}

    @property
    def mantissas(self) -> dict[str, np.ndarray]:
        return {s.name: s.mantissa for s in self.synapses}

    @property
    def exponents(self) -> dict[str, int]:
        return {s.name: s.exponent for s in self.synapses}

    # ---- one batch -------------------------------------------------------------------------
    def run_batch(self, x: np.ndarray, targets: np.ndarray, betas: tuple[float, ...],
                  free_steps: int, nudged_steps: int) -> BatchRecord:
        """One batch of ``len(x)`` ≤ batch samples (the remaining rows are padding: zero input
        and target, no learning), its phases and its updates."""
        n = len(x)
        inputs = np.zeros((self.batch, self.size[self.input]), np.int64)
        inputs[:n], _ = saturate(to_fixed(x, self.Fa[self.input]), self.chip.activation_bits,
                                 signed=False)
        target = np.zeros((self.batch, self.size[self.output]), np.int64)
        target[:n] = to_fixed(targets, self.F)
        states = {name: [] for name in self.free_names}
        payloads = {name: [] for name in self.size}
        predictions = None
        for step in phase_plan(free_steps, nudged_steps, tuple(betas)):
            deltas = self._populations(step, n, target)
            deltas[self.input] = self._data(step, n, inputs)
            self._synapses(step, n, deltas)
            if step.learn:
                self._learn(step.learn, n)
            if step.free_end:
                predictions = np.argmax(self.sent[self.output], axis=1)
            for name in self.free_names:
                states[name].append(self.v[name].copy())
            for name in self.size:
                payloads[name].append(self.sent[name].copy())
        return BatchRecord(
            free={k: v.copy() for k, v in self.v_free.items()},
            final={k: v.copy() for k, v in self.v.items()},
            states={k: np.stack(v) for k, v in states.items()},
            payloads={k: np.stack(v) for k, v in payloads.items()},
            predictions=predictions)

    def _populations(self, step: Step, n: int, target: np.ndarray) -> dict[str, np.ndarray]:
        """Every free population's update and the events it sends; returns the events."""
        drive = {name: np.zeros((self.batch, self.size[name]), np.int64)
                 for name in self.free_names}
        for syn in self.synapses:        # the drives computed in the previous step
            if syn.drives_post:
                drive[syn.post] += syn.fwd
            if syn.drives_pre:
                drive[syn.pre] += syn.bwd
        deltas = {}
        for name in self.free_names:
            if step.phase == LOAD:
                self.v[name] = np.zeros_like(self.v[name])
            elif step.phase == RESTORE:
                self.v[name] = self.v_free[name].copy()
            else:
                beta = step.beta if (step.phase == NUDGE and name == self.output) else 0.0
                self.v[name] = self._step(name, self.v[name], drive[name], target, beta, n)
            if step.free_end:
                self.v_free[name] = self.v[name].copy()
            if step.snap:
                self.pop_slots[name][step.snap] = self.v[name].copy()
            payload = half_up(self.v[name], self.F - self.Fa[name])
            delta = payload - self.sent[name]
            if self.dense:
                self.events[name][step.phase] += delta[:n].size
            else:
                delta[np.abs(delta) <= self.threshold[name]] = 0
                self.events[name][step.phase] += np.count_nonzero(delta[:n])
            self.sent[name] = self.sent[name] + delta
            deltas[name] = delta
        return deltas

    def _step(self, name: str, v: np.ndarray, drive: np.ndarray, target: np.ndarray,
              beta: float, n: int) -> np.ndarray:
        d, clipped = saturate(drive + self.biases[name], self.chip.accumulator_bits, rows=n)
        self.saturations[name] += clipped
        c = int(to_fixed(beta * self.scale, self.Fc))
        if c and not self.split:
            d = d + half_up(c * (target - v), self.Fc)
        new = v + half_up(d - v, self.k)
        if c and self.split:
            new = new + half_up(c * (target - new), self.Fc + self.k)
        return np.clip(new, 0, self.hi[name])

    def _data(self, step: Step, n: int, inputs: np.ndarray) -> np.ndarray:
        """The data source: on LOAD the new inputs' payloads as events, nothing otherwise."""
        if step.phase != LOAD:
            return np.zeros_like(self.sent[self.input])
        delta = inputs - self.sent[self.input]
        self.sent[self.input] = inputs.copy()
        self.events[self.input][LOAD] += delta[:n].size if self.dense else np.count_nonzero(
            delta[:n])
        return delta

    def _synapses(self, step: Step, n: int, deltas: dict[str, np.ndarray]) -> None:
        """Each synapse counts the synaptic operations of this step's events, snapshots p̂ and
        computes the drives it will send in the next step."""
        for syn in self.synapses:
            pre_events = (np.ones_like(deltas[syn.pre][:n]) if self.pre_dense[syn.name]
                          else (deltas[syn.pre][:n] != 0).astype(np.int64))
            ops = int(np.sum(pre_events @ syn.fan_out))
            if syn.drives_pre:
                post_events = (np.ones_like(deltas[syn.post][:n]) if self.post_dense[syn.name]
                               else (deltas[syn.post][:n] != 0).astype(np.int64))
                ops += int(np.sum(post_events @ syn.fan_in))
            self.synops[syn.name][step.phase] += ops
            if step.snap:
                syn.slots[step.snap] = (self.sent[syn.pre].copy(), self.sent[syn.post].copy())
            self._drives(syn, n)

    def _drives(self, syn: _Synapse, n: int) -> None:
        acc = self.chip.accumulator_bits
        fwd = half_up(self.sent[syn.pre] @ syn.mantissa.T, self.Fa[syn.pre] - syn.exponent - self.F)
        syn.fwd, clipped = saturate(fwd, acc, rows=n)
        self.saturations[syn.name] += clipped
        if syn.drives_pre:
            bwd = half_up(self.sent[syn.post] @ syn.mantissa,
                          self.Fa[syn.post] - syn.exponent - self.F)
            syn.bwd, clipped = saturate(bwd, acc, rows=n)
            self.saturations[syn.name] += clipped

    def _learn(self, scale: float, n: int) -> None:
        """The local updates of the weights (then the drives, from the new weights) and biases."""
        sign = 1 if scale > 0 else -1
        for syn in self.synapses:
            if syn.rate == 0:
                continue
            (pre_a, post_a), (pre_b, post_b) = syn.slots[SLOT_A], syn.slots[SLOT_B]
            corr = post_a[:n].T @ pre_a[:n] - post_b[:n].T @ pre_b[:n]
            corr = np.where(syn.connected, corr, 0)
            if syn.lateral_unmasked:
                np.fill_diagonal(corr, 0)
            k = (rate_shift(syn.rate * abs(scale) / n) + self.Fa[syn.pre] + self.Fa[syn.post]
                 + syn.exponent)
            syn.mantissa, clipped = saturate(syn.mantissa + half_up(sign * corr, k),
                                             self.chip.weight_bits)
            self.saturations[syn.name] += clipped
            self._drives(syn, n)
        for name in self.free_names:
            if self.bias_rate[name] == 0:
                continue
            slots = self.pop_slots[name]
            difference = (slots[SLOT_A][:n] - slots[SLOT_B][:n]).sum(axis=0)
            k = rate_shift(self.bias_rate[name] * abs(scale) / n)
            self.biases[name] = self.biases[name] + half_up(sign * difference, k)
