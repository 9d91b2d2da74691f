"""Fixed-point Lava graph vs the float NumPy engine, within a bound derived from the widths.

The bound (∞-norm, in state units). Let e_t bound |v_t·2^−F − s_t| after t steps. One step of
the fixed model differs from the float one by, for neuron i:

* its drive: Σ_j |W_ij|·(e_t + δ_src)   (δ_src = 2^−(Fa+1): payload rounding of a source;
  the clamped input has δ_in = 2^−(Fa_in+1) and no e_t term)
  + Σ_j hi_src·2^(e_W−1)                (weight mantissa rounding, half an LSB 2^e_W)
  + 2^−(F+1) per projection and for the bias (drive and bias rounding to F fraction bits);
* the ε = 2^−k step: a further 2^−(F+1); the nudge c(y − v): c·e_t and 2^−(F+1).

With L = max_i [ |1 − ε(1 + c_i)| + ε Σ_j |W_ij| ] (the map's Lipschitz bound, c_i = β·scale on
the output under the joint nudge) and c the largest per-step error above, e_{t+1} ≤ L e_t + c,
so e_T ≤ e_0 L^T + c (L^T − 1)/(L − 1). The test asserts the fixed graph is within that bound,
and that the bound is small enough to mean something (< 0.1 here, for states in [0, 1]).

For ΔW (nearest rounding, and the engine using the same power-of-two rate η' as the shift):
each correlation product of payloads differs from the float one by at most
hi_pre·ê_post + hi_post·ê_pre (ê = e_T + δ, the payload error), twice (two slots), so
|ΔW_fixed − ΔW_engine| ≤ η'/|β| · 2(hi_pre ê_post + hi_post ê_pre) + 2^(e_W−1).
"""

import copy
import dataclasses

import numpy as np
import pytest

from lava_eqprop.chips.fixed_point import (
    activation_frac_bits,
    choose_weight_exponent,
    power_of_two_shift,
)
from lava_eqprop.engine.estimators import contrast
from lava_eqprop.engine.loss import get_loss
from lava_eqprop.engine.relaxation import Dynamics, Relaxer
from lava_eqprop.network.generators import layered, small_world

pytestmark = pytest.mark.lava
EPS, BETA, T1, T2 = 0.5, 0.5, 14, 6


def drive_terms(net, chip, exponents):
    """Per free population and neuron i: Σ_j |W_ij| over free sources (how a state error
    spreads) and the drive error the widths add in one step, Σ_j |W_ij|·δ_j + Σ_j [W_ij ≠ 0]·
    hi_j·2^(e_W − 1) + 2^−(F+1) per projection and for the bias (this module's docstring)."""
    half_f = 2.0 ** -(chip.state_frac_bits + 1)
    rows = {p.name: np.zeros(p.size) for p in net.free}
    const = {p.name: np.full(p.size, half_f) for p in net.free}
    for proj in net.projections:
        ends = [(proj.post, proj.pre, proj.weight)]
        if proj.symmetric and not proj.lateral:
            ends.append((proj.pre, proj.post, proj.weight.T))
        for target, source, w in ends:
            if target not in rows:
                continue
            src = net.population(source)
            delta = 2.0 ** -(activation_frac_bits(src.act.hi, chip.activation_bits) + 1)
            abs_rows = np.abs(w).sum(axis=1)
            if not src.clamped:
                rows[target] = rows[target] + abs_rows
            const[target] = (const[target] + abs_rows * delta + half_f
                             + (w != 0).sum(axis=1) * src.act.hi * 2.0 ** (exponents[proj.name] - 1))
    return rows, const


def state_bound(net, chip, e0, steps, c_out):
    """e_T with the global Lipschitz bound L (every unit may be unsaturated) and the per-step
    error c of :func:`drive_terms` (weights rounded in the model, not in the float reference)."""
    half_f = 2.0 ** -(chip.state_frac_bits + 1)
    exponents = {p.name: choose_weight_exponent(p.weight, chip.weight_bits, chip.weight_headroom)
                 for p in net.projections}
    rows, const = drive_terms(net, chip, exponents)
    out = net.outputs[0].name
    L = max(float(np.max(abs(1 - EPS * (1 + (c_out if n == out else 0))) + EPS * rows[n])) for n in rows)
    c = max(float(np.max(EPS * const[n])) for n in rows) + half_f + (half_f if c_out else 0.0)
    grow = steps if L == 1 else (L ** steps - 1) / (L - 1)
    return e0 * L ** steps + c * grow, L


@pytest.mark.parametrize("topology", ["layered", "small_world"])
def test_fixed_point_is_within_the_derived_bound(topology):
    from lava_eqprop.chips.config import load_chip
    from lava_eqprop.lava_backend.graph import build_graph
    from lava_eqprop.lava_backend.runner import GraphRun
    from lava_eqprop.lava_backend.schedule import Schedule
    from lava_eqprop.lava_backend.settings import LavaSettings

    rng = np.random.default_rng(3)
    net = layered([12, 8, 6, 4], rng=rng, weight_gain=0.12)
    if topology == "small_world":
        net = small_world(net, 0.2, rng=rng)
        for proj in net.projections:          # skip weights add fan-in: keep the map contracting
            proj.weight *= 0.4
    for pop in net.free:
        pop.bias = rng.uniform(0.1, 0.6, pop.shape)
    chip = dataclasses.replace(load_chip("loihi2"), rounding="nearest")
    x = rng.uniform(0, 1, (2, 12))
    y = np.eye(4)[[1, 3]]
    lr = 0.25
    settings = LavaSettings(batch=2, precision="fixed", dynamics=Dynamics(epsilon=EPS), chip=chip,
                            weight_rates={p.name: lr for p in net.projections}, watchdog_seconds=30)
    schedule = Schedule(T1, T2, np.array([[0, 1]]), np.array([[BETA]]), np.array([2]))
    graph = build_graph(copy.deepcopy(net), settings, schedule, x, y)
    with GraphRun(graph) as run:
        run.run(schedule.steps, lambda m: None)
        F = chip.state_frac_bits
        free = {k: run.get(p.s_free) * 2.0 ** -F for k, p in graph.populations.items()}
        nudged = {k: run.get(p.s) * 2.0 ** -F for k, p in graph.populations.items()}
        mantissas = {k: run.get(s.weight) for k, s in graph.synapses.items()}
    exponents = {k: s.proc_params["weight_exponent"] for k, s in graph.synapses.items()}

    relaxer = Relaxer(net, Dynamics(EPS), get_loss("half_squared_error"))
    clamped = relaxer.clamp({"input": x})
    s_free = relaxer.zero_state(clamped)
    relaxer.run(s_free, clamped, T1)
    s_nudged = s_free.copy()
    relaxer.run(s_nudged, clamped, T2, beta=BETA, target=y)

    e_free, L = state_bound(net, chip, 0.0, T1, 0.0)
    e_nudged, _ = state_bound(net, chip, e_free, T2, BETA)
    assert e_nudged < 0.1, f"the bound ({e_nudged:.3g}, L = {L:.2f}) is too loose to test anything"
    err_free = max(np.max(np.abs(free[k] - s_free[k])) for k in free)
    err_nudged = max(np.max(np.abs(nudged[k] - s_nudged[k])) for k in nudged)
    assert 0 < err_free <= e_free
    assert err_nudged <= e_nudged

    # ΔW with the engine at the same power-of-two rate
    rate = 2.0 ** -power_of_two_shift(lr / BETA / 2) * BETA * 2
    changed = 0
    weights, _ = contrast(relaxer, s_nudged, s_free, 1.0 / (BETA * 2))
    for proj in net.projections:
        pre, post = net.population(proj.pre), net.population(proj.post)
        e_w = exponents[proj.name]
        m0 = np.clip(np.floor(proj.weight / 2.0 ** e_w + 0.5), -(2 ** 7), 2 ** 7 - 1)
        dw_fixed = (mantissas[proj.name] - m0) * 2.0 ** e_w
        payload_err = {p.name: e_nudged + 2.0 ** -(activation_frac_bits(p.act.hi, 8) + 1)
                       for p in (pre, post)}
        if pre.clamped:
            payload_err[pre.name] = 2.0 ** -(activation_frac_bits(pre.act.hi, 8) + 1)
        bound = rate / BETA * 2 * (pre.act.hi * payload_err[post.name]
                                   + post.act.hi * payload_err[pre.name]) + 2.0 ** (e_w - 1)
        diff = np.max(np.abs(dw_fixed - rate * weights[proj.name]))
        assert diff <= bound, (proj.name, diff, bound)
        changed += int(np.count_nonzero(dw_fixed))
    assert changed > 0, "no weight changed: the comparison would be empty"
