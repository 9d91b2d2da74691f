"""An integer reference of the fixed-point loihi2 graph, written from the definitions.

It computes, in int64 NumPy, one training sample after another of the graph that
``lava_eqprop/lava_backend/loihi2/graph.py`` builds in fixed point, step by step, without the
process models or the rule's helpers:

* formats (graph module docstring, ``chips/fixed_point.py``): state F fraction bits; payload
  fraction bits Fa, the most with hi·2^Fa ≤ 2^A − 1; activity ρ_q with Fx = Fa − 1 fraction
  bits, sent as 2ρ_q (1 for 0); weights W ≈ m·2^e with e the smallest exponent for which
  headroom·max|W| ≤ (2^(bits−1) − 1)·2^e, held as M = 2·⌊W·2^−e⌉ in units of 2^(e−1);
* a synapse from s into r sends, one step late, (M·payload_s)·2^x with x = c − min_r c,
  c = e − 1 − Fa_s over r's synapses; r's drive shift is min_r c + F; a masked projection's
  synapses are its mask's entries (M = 0 elsewhere, and no update there);
* the neuron program (LearningRatePopulation's fixed model docstring), per step. One-sided:
  LOAD, T1 FREE, T2 NUDGED+; symmetric: LOAD, T1 FREE, T2 NUDGED−, RESTORE, T2 NUDGED+::

      d  = sat_acc(⌊a_in·2^drive_shift⌉ + b);   d += ⌊c±·(y − v)·2^−Cf⌉ (nudged output)
      v' = clip(v + ⌊(d − v)·2^−k⌉, 0, hi·2^F);  v' = 0 on LOAD, v_free on RESTORE
      v_free = v' (last free)
      one-sided:  b += ⌊(v' − v_free)·2^−k_b⌉ (last nudged, η_b/β = 2^−k_b)
      symmetric:  v_minus = v' (last NUDGED−); b += ⌊(v' − v_minus)·2^−k_b⌉ (last NUDGED+,
                  η_b/(2β) = 2^−k_b)
      ρ = ⌊v'·2^(Fx−F)⌉;  payload 2ρ (1 for 0)
      one-sided:  y2 = ρ free, y1 = ρ nudged;  bap on the last free and last nudged step
      symmetric:  y2 = ρ free and NUDGED−, y1 = ρ NUDGED+;  bap on the last step of each
                  nudged phase

* the learning engine (``loihi2/rule.py`` docstring, Lava's fixed-point applier): x1 =
  payload/2 rounded half to even (1 → 0); on a bap step, with the rule's m, E, K,

      t ← t + 2^K·⌊m·x1·y2 / 2^s⌋ − t,     M ← M + 2^E·⌊m·x1·y1 / 2^s⌋ − 2^(E−K)·t_old

  s = max(0, 2·trace_bits + 4 − (accumulator_bits − 1)); m·2^E is the value (m in [1, 7],
  E in [−7, 8], E − K too, largest E on a tie) nearest to η/β·2^(s − Fx_pre − Fx_post − (e−1))
  (η/(2β) symmetric), K the largest with ⌊m·ρmax_pre·ρmax_post / 2^s⌋·2^K ≤ 255.

Only what is exact is reproduced: E ≥ 0, K ≥ 0 and no saturation of a product (±(2^15 − 1) in
the accumulator, 2^7 per LSB), of the accumulator or of a weight ([−256, 255]); anything else
raises. ``product_shift_error`` and ``drive_shift_error`` offset one shift (a perturbation
the tests must catch).
"""

from __future__ import annotations

import numpy as np

from lava_eqprop.chips.config import ChipArithmetic, LearningWidths
from lava_eqprop.network.network import Network
from tests.lava_backend.integer_reference import (
    half_up,
    payload_frac_bits,
    rate_shift,
    saturate,
    to_fixed,
    weight_exponent,
)

ACC_LSB = 2 ** 7                    # the learning accumulator holds a weight shifted left by 7
ACC_MAX = 2 ** 15 - 1
WEIGHTS = (-256, 255)


def rule_scale(rate: float, pre_max: int, post_max: int, shift: int) -> tuple[int, int, int]:
    """(m, E, K) of the rule for a rate in M-LSBs per unit of ρ_q·ρ_q."""
    exps = range(-7, 9)
    target = rate * 2 ** shift
    best = min((abs(m * 2.0 ** e - target), -e, m) for m in range(1, 8) for e in exps)
    m, e = best[2], -best[1]
    tag = (m * pre_max * post_max) >> shift
    k = max(k for k in exps if tag * 2.0 ** k <= 255 and e - k in exps)
    return m, e, k


class Loihi2Reference:
    """The fixed-point loihi2 graph of ``network`` in int64; :meth:`sample` runs one sample."""

    def __init__(self, network: Network, chip: ChipArithmetic, learning: LearningWidths, *,
                 epsilon: float, beta: float, loss_scale: float, weight_rates: dict[str, float],
                 bias_rates: dict[str, float], free_steps: int, nudged_steps: int,
                 symmetric: bool = False, product_shift_error: int = 0,
                 drive_shift_error: int = 0) -> None:
        self.T1, self.T2, self.symmetric = free_steps, nudged_steps, symmetric
        per_contrast = 2 * beta if symmetric else beta
        self.F, self.acc = chip.state_frac_bits, chip.accumulator_bits
        self.k = int(round(-np.log2(epsilon)))
        assert 2.0 ** -self.k == epsilon
        self.s = max(0, 2 * learning.trace_bits + 4 - (learning.accumulator_bits - 1))
        self.s += product_shift_error
        self.input, self.output = network.inputs[0].name, network.outputs[0].name
        self.free = [p.name for p in network.free]
        fa = {p.name: payload_frac_bits(p.act.hi, chip.activation_bits)
              for p in network.populations}
        self.fa, self.fx = fa, {name: f - 1 for name, f in fa.items()}
        self.hi = {p.name: int(to_fixed(p.act.hi, self.F)) for p in network.free}
        self.b = {p.name: to_fixed(p.flat_bias(), self.F) for p in network.free}
        self.kb = {name: rate_shift(r / per_contrast) for name, r in bias_rates.items() if r}
        self.c = {sign: int(to_fixed(sign * beta * loss_scale, chip.nudge_frac_bits))
                  for sign in (1, -1)}
        self.cf = chip.nudge_frac_bits
        self.v = {name: np.zeros(p.size, np.int64) for name, p in
                  ((p.name, p) for p in network.free)}
        self.v_free = {name: v.copy() for name, v in self.v.items()}
        self.v_minus = {name: v.copy() for name, v in self.v.items()}
        scale_in: dict[str, dict[tuple[str, str], int]] = {name: {} for name in self.free}
        self.copies: dict[tuple[str, str], dict] = {}
        for proj in network.projections:
            e = weight_exponent(proj.weight, chip.weight_bits, chip.weight_headroom)
            mask = np.ones(proj.weight.shape, bool) if proj.mask is None else proj.mask > 0
            m_w = 2 * to_fixed(proj.weight, -e) * mask
            rate = weight_rates[proj.name] / per_contrast * 2.0 ** (
                -self.fx[proj.pre] - self.fx[proj.post] - (e - 1))
            top = {n: int(to_fixed(network.population(n).act.hi, self.fx[n]))
                   for n in (proj.pre, proj.post)}
            rule = rule_scale(rate, top[proj.pre], top[proj.post], self.s - product_shift_error)
            ends = [(proj.pre, proj.post, m_w, mask)]
            if proj.pre in self.free:
                ends.append((proj.post, proj.pre, m_w.T.copy(), mask.T))
            for sender, receiver, m, synapses in ends:
                key = (proj.name, receiver)
                scale_in[receiver][key] = e - 1 - fa[sender]
                self.copies[key] = {"sender": sender, "receiver": receiver, "M": m,
                                    "mask": synapses, "rule": rule, "t": np.zeros_like(m),
                                    "a": np.zeros(m.shape[0], np.int64)}
        self.shift = {}
        for receiver, scales in scale_in.items():
            common = min(scales.values())
            self.shift[receiver] = common + self.F + drive_shift_error
            for key, c in scales.items():
                self.copies[key]["x"] = c - common

    def weights(self, name: str, receiver: str) -> np.ndarray:
        return self.copies[name, receiver]["M"]

    def steps(self) -> list[tuple[str, bool, bool]]:
        """(phase, last, bap) of every step of one sample."""
        steps = [("load", False, False)]
        steps += [("free", i == self.T1 - 1, not self.symmetric and i == self.T1 - 1)
                  for i in range(self.T1)]
        nudged = ["minus", "restore", "plus"] if self.symmetric else ["plus"]
        for phase in nudged:
            if phase == "restore":
                steps.append((phase, False, False))
                continue
            steps += [(phase, i == self.T2 - 1, i == self.T2 - 1) for i in range(self.T2)]
        return steps

    def sample(self, x: np.ndarray, y: np.ndarray) -> dict:
        """One sample; returns the free and final states, biases, both copies' weights and
        the tags when the first rule stored them (free end; symmetric: the −β end)."""
        x_q = to_fixed(x, self.fx[self.input])
        target = to_fixed(y, self.F)
        record: dict = {}
        for phase, last, bap in self.steps():
            payload, y1, y2 = {self.input: np.where(x_q > 0, 2 * x_q, 1)}, {}, {}
            drive = {name: np.zeros_like(v) for name, v in self.v.items()}
            for copy in self.copies.values():
                drive[copy["receiver"]] += copy["a"]
            for name in self.free:
                self._neuron(name, phase, last, drive[name], target)
                rho = half_up(self.v[name], self.F - self.fx[name])
                payload[name] = np.where(rho > 0, 2 * rho, 1)
                y2[name] = rho * (phase in ("free", "minus"))
                y1[name] = rho * (phase == "plus")
            for copy in self.copies.values():
                p = payload[copy["sender"]]
                copy["a"] = (copy["M"] @ p) * 2 ** copy["x"]
                if bap:
                    x1 = np.round(p / 2).astype(np.int64)       # half to even: 1 → 0
                    self._learn(copy, x1, y1[copy["receiver"]], y2[copy["receiver"]])
            if bap and "tags" not in record:
                record["tags"] = {k: c["t"].copy() for k, c in self.copies.items()}
        record |= {"free": {k: v.copy() for k, v in self.v_free.items()},
                   "nudged": {k: v.copy() for k, v in self.v.items()},
                   "bias": {k: b.copy() for k, b in self.b.items()},
                   "weights": {k: c["M"].copy() for k, c in self.copies.items()}}
        return record

    def _neuron(self, name: str, phase: str, last: bool, a_in: np.ndarray,
                target: np.ndarray) -> None:
        v = self.v[name]
        if phase in ("load", "restore"):
            self.v[name] = np.zeros_like(v) if phase == "load" else self.v_free[name].copy()
            return
        d, clipped = saturate(half_up(a_in, -self.shift[name]) + self.b[name], self.acc)
        if clipped:
            raise ValueError(f"{name}: the drive saturated")
        if phase in ("minus", "plus") and name == self.output:
            c = self.c[1 if phase == "plus" else -1]
            d = d + half_up(c * (target - v), self.cf)
        new = v + half_up(d - v, self.k) if self.k else d
        self.v[name] = np.clip(new, 0, self.hi[name])
        if not last:
            return
        if phase == "free":
            self.v_free[name] = self.v[name].copy()
        if phase == "minus":
            self.v_minus[name] = self.v[name].copy()
        reference = self.v_minus if self.symmetric else self.v_free
        if phase == "plus" and name in self.kb:
            self.b[name] = self.b[name] + half_up(self.v[name] - reference[name],
                                                  self.kb[name])

    def _learn(self, copy: dict, x1: np.ndarray, y1: np.ndarray, y2: np.ndarray) -> None:
        m, e, k = copy["rule"]
        if e < 0 or k < 0:
            raise ValueError("E < 0 or K < 0: Lava rounds stochastically, not reproduced")
        nudged = ((m * np.outer(y1, x1)) >> self.s) * copy["mask"]
        free = ((m * np.outer(y2, x1)) >> self.s) * copy["mask"]
        products = [nudged * 2 ** (e + 7), -copy["t"] * 2 ** (e - k + 7)]   # E − K ≥ −7
        acc = copy["M"] * ACC_LSB
        for product in products:
            if np.abs(product).max() > ACC_MAX:
                raise ValueError("a product saturated: not reproduced")
            acc = acc + product
            if np.abs(acc).max() > ACC_MAX:
                raise ValueError("the accumulator saturated: not reproduced")
        weights = acc // ACC_LSB
        if weights.min() < WEIGHTS[0] or weights.max() > WEIGHTS[1]:
            raise ValueError("a weight saturated: not reproduced")
        copy["M"], copy["t"] = weights, free * 2 ** k
