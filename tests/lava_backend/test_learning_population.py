"""LearningRatePopulation (the Loihi 2 graph's rate neuron) against references written here.

Float: the population alone, driven by ring buffers (a_in, target) and its PhaseCodeSource
over two samples (β > 0, then β < 0), against the engine's equation written out; every step's
state to 1e-12, the payloads, the bap and the y traces as documented, the learnt bias.
Fixed: the same against an integer computation of the neuron program of the fixed model's
docstring, bit for bit (ρ = 0 payloads, the clip at both ends, accumulator saturation, the
nudge factor c± and every shift rounding half up). Wiring: a pre and a post population around
a stock LearningDense whose rules read y0, x1, y1, y2, so the real learning engine shows the
gating and the trace values it received.
"""

import dataclasses

import numpy as np
import pytest

from lava_eqprop.chips.config import load_chip
from lava_eqprop.lava_backend.procs.learning_population.process import (
    LearningRatePopulation,
    PhaseCodeSource,
    phase_codes,
)

pytestmark = pytest.mark.lava
T1, T2 = 5, 3
BETA = 0.5
BETAS = np.array([[BETA], [-BETA]])
STEPS = 2 * (1 + T1 + T2)
N = 6


def lava():
    """Stock Lava classes (imported after lava_eqprop.lava_backend installed its 3.11 fix)."""
    from lava.magma.core.learning.constants import GradedSpikeCfg
    from lava.magma.core.learning.learning_rule import Loihi3FLearningRule
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2SimCfg
    from lava.proc.dense.process import LearningDense
    from lava.proc.io.sink import RingBuffer as Sink
    from lava.proc.io.source import RingBuffer as Source
    return GradedSpikeCfg, Loihi3FLearningRule, RunSteps, Loihi2SimCfg, LearningDense, Sink, Source


def drive_population(pop, drive, target, fixed, betas=BETAS, steps=STEPS):
    """Wire ring buffers into a_in and tgt_in, a PhaseCodeSource of ``betas`` into the third
    factor and sinks on every output; run ``steps`` steps; return the states and what each
    output port sent."""
    *_, Sink, Source = lava()
    kind = np.int32 if fixed else float
    for data, port in ((drive, pop.a_in), (target, pop.tgt_in)):
        Source(data=data.astype(kind)).s_out.connect(port)
    PhaseCodeSource(size=N, free_steps=T1, nudged_steps=T2, betas=betas).code_out.connect(
        pop.a_third_factor_in)
    names = ("s_out", "s_out_bap", "s_out_y1", "s_out_y2", "s_out_y3")
    sinks = {name: Sink(shape=(N,), buffer=steps) for name in names}
    for name, sink in sinks.items():
        getattr(pop, name).connect(sink.a_in)
    states = []
    *_, RunSteps, Loihi2SimCfg, _, _, _ = lava()
    config = Loihi2SimCfg(select_tag="fixed_pt" if fixed else "floating_pt")
    try:
        for _ in range(steps):
            pop.run(condition=RunSteps(num_steps=1), run_cfg=config)
            states.append((pop.s.get(), pop.bias.get()))
        sent = {name: sink.data.get().T for name, sink in sinks.items()}
        saturations = pop.saturations.get()[0]
    finally:
        pop.stop()
    return states, sent, saturations


def schedule():
    """Per step: (phase, σ, last) written out for LOAD, T1 free, T2 nudged, twice."""
    steps = []
    for sign in (1, -1):
        steps.append(("load", 0, False))
        steps += [("free", 0, k == T1 - 1) for k in range(T1)]
        steps += [("nudged", sign, k == T2 - 1) for k in range(T2)]
    return steps


def test_phase_codes_follow_the_plan():
    codes = [0] + [1] * (T1 - 1) + [9] + [2] * (T2 - 1) + [10]
    codes += [0] + [1] * (T1 - 1) + [9] + [3] * (T2 - 1) + [11]
    assert phase_codes(T1, T2, BETAS).tolist() == codes
    symmetric = phase_codes(2, 1, np.array([[BETA, -BETA]])).tolist()
    assert symmetric == [0, 1, 9, 10, 4, 11]


def test_symmetric_population_routes_the_nudged_phases():
    """(−β, β): no bap at the free end; the −β phase writes y2, the +β phase y1; both nudged
    phases start from the free state (the first without a step between, the second after
    RESTORE); the bias learns η_b/(2β)·(s^{+β} − s^{−β}) at the last +β step only."""
    codes = phase_codes(T1, T2, np.array([[-BETA, BETA]]))
    assert codes.tolist() == [0] + [1] * (T1 - 1) + [9] + [3] * (T2 - 1) + [11] + [4] + (
        [2] * (T2 - 1) + [10])
    steps = codes.size
    rng = np.random.default_rng(1)
    drive = rng.uniform(-0.6, 1.6, (N, steps)) * 2.0
    target = np.repeat(rng.integers(0, 2, (N, 1)), steps, axis=1).astype(float)
    bias_lr = 0.3
    pop = LearningRatePopulation(size=N, bias=np.zeros(N), hi=1.0, epsilon=0.5, nudged=True,
                                 beta=BETA, drive_shift=-1, symmetric=True, bias_lr=bias_lr)
    states, sent, _ = drive_population(pop, drive, target, False, np.array([[-BETA, BETA]]),
                                       steps)
    phases = ["load"] + ["free"] * T1 + ["minus"] * T2 + ["restore"] + ["plus"] * T2
    s, s_free, s_minus, b = np.zeros(N), np.zeros(N), np.zeros(N), np.zeros(N)
    for t, phase in enumerate(phases):
        sign = {"minus": -1, "plus": 1}.get(phase, 0)
        if phase == "load":
            s = np.zeros(N)
        elif phase == "restore":
            s = s_free.copy()
        else:
            d = drive[:, t] / 2 + b + sign * BETA * (target[:, t] - s)
            s = np.clip(s + 0.5 * (d - s), 0.0, 1.0)
        if t == T1:
            s_free = s.copy()
        last = t in (T1 + T2, steps - 1)
        if last and phase == "minus":
            s_minus = s.copy()
        if last and phase == "plus":
            b = b + bias_lr / (2 * BETA) * (s - s_minus)
        np.testing.assert_allclose(states[t][0], s, rtol=0, atol=1e-12)
        np.testing.assert_allclose(states[t][1], b, rtol=0, atol=1e-12)
        assert np.array_equal(sent["s_out_bap"][t], np.full(N, float(last)))
        assert np.array_equal(sent["s_out_y2"][t], s * (phase in ("free", "minus")))
        assert np.array_equal(sent["s_out_y1"][t], s * (phase == "plus"))
        assert not sent["s_out_y3"][t].any()
    assert np.abs(b).max() > 1e-3                        # the bias learnt


def inputs(rng, scale):
    """Drives that push some neurons below 0 and some above hi, targets of 0/1 per sample."""
    drive = rng.uniform(-0.6, 1.6, (N, STEPS)) * scale
    target = np.repeat(rng.integers(0, 2, (N, 2)), STEPS // 2, axis=1).astype(float)
    return drive, target


def test_float_population_follows_the_engine_step():
    rng = np.random.default_rng(0)
    drive, target = inputs(rng, 2.0)                # a_in = 2·(W ρ): drive_shift −1
    bias = rng.uniform(-0.2, 0.2, N)
    eps, scale, bias_lr = 0.5, 2.0, 0.3
    pop = LearningRatePopulation(size=N, bias=bias, hi=1.0, epsilon=eps, nudged=True,
                                 beta=BETA, loss_scale=scale, drive_shift=-1, bias_lr=bias_lr)
    states, sent, _ = drive_population(pop, drive, target, fixed=False)

    s, s_free, b = np.zeros(N), np.zeros(N), bias.copy()
    for t, (phase, sign, last) in enumerate(schedule()):
        if phase == "load":
            s = np.zeros(N)
        else:
            d = b + drive[:, t] / 2 + sign * BETA * scale * (target[:, t] - s)
            s = np.clip(s + eps * (d - s), 0.0, 1.0)
        if phase == "free" and last:
            s_free = s.copy()
        if phase == "nudged" and last:
            b = b + bias_lr / (sign * BETA) * (s - s_free)
        np.testing.assert_allclose(states[t][0], s, rtol=0, atol=1e-12)
        np.testing.assert_allclose(states[t][1], b, rtol=0, atol=1e-12)
        assert np.array_equal(sent["s_out"][t], np.where(s > 0, 2 * s, 2.0 ** -1074))
        assert np.array_equal(sent["s_out_bap"][t], np.full(N, float(last)))
        assert np.array_equal(sent["s_out_y2"][t], s * (phase == "free"))
        assert np.array_equal(sent["s_out_y1"][t], s * (phase == "nudged"))
        assert not sent["s_out_y3"][t].any()
    every = np.array([state for state, _ in states])  # the clip acts, from both sides
    assert np.any(every[1:T1] == 0.0) and np.any(every == 1.0)
    assert not np.array_equal(states[-1][1], bias)


def fixed_reference(drive, target, bias, arithmetic, k, beta_scale, drive_shift, kb):
    """The fixed model's program (its docstring), written from the formats, in Python ints."""
    f, cf, acc = (arithmetic["state_frac_bits"], arithmetic["nudge_frac_bits"],
                  arithmetic["accumulator_bits"])
    fx = arithmetic["activation_bits"] - 2          # Fa − 1 for hi = 1: Fa = A − 1
    top, acc_lo, acc_hi = 1 << f, -(1 << (acc - 1)), (1 << (acc - 1)) - 1

    def rnd(x, n):                                  # x·2^−n rounded half up
        return x << -n if n <= 0 else (x + (1 << (n - 1))) >> n

    c = {1: int(np.floor(beta_scale * 2 ** cf + 0.5)), -1: int(np.floor(-beta_scale * 2 ** cf
                                                                         + 0.5)), 0: 0}
    v, v_free, b = [0] * N, [0] * N, [int(x) for x in bias]
    out = {"v": [], "b": [], "payload": [], "y1": [], "y2": [], "saturations": 0, "ties": 0}
    for t, (phase, sign, last) in enumerate(schedule()):
        for i in range(N):
            if phase == "load":
                v[i] = 0
                continue
            d = rnd(int(drive[i, t]), -drive_shift) + b[i]
            out["saturations"] += not acc_lo <= d <= acc_hi
            d = min(max(d, acc_lo), acc_hi)
            nudge = c[sign] * (int(target[i, t]) - v[i])
            out["ties"] += sign != 0 and nudge % (1 << cf) == 1 << (cf - 1)
            d += rnd(nudge, cf)
            v[i] = min(max(v[i] + rnd(d - v[i], k), 0), top)
        if phase == "free" and last:
            v_free = list(v)
        if phase == "nudged" and last:
            b = [bi + rnd(sign * (vi - fi), kb) for bi, vi, fi in zip(b, v, v_free)]
        rho = [rnd(x, f - fx) for x in v]
        out["v"].append(list(v))
        out["b"].append(list(b))
        out["payload"].append([2 * r if r else 1 for r in rho])
        out["y2"].append([r * (phase == "free") for r in rho])
        out["y1"].append([r * (phase == "nudged") for r in rho])
    return out


FIXED_CASES = {
    # loihi2 widths; c+ = ⌊257/512·2^8⌉ = 129 is a tie rounded up, c− = −128
    "loihi2": ({}, 257 / 512, 1.0),
    # a narrow accumulator that saturates; Cf = 2: c+ = ⌊1.5⌉ = 2, c− = ⌊−1.5⌉ = −1, and
    # c−·(y − v)·2^−2 falls on ties
    "narrow": ({"accumulator_bits": 13, "nudge_frac_bits": 2}, 0.375, 1.0),
}


@pytest.mark.parametrize("case", FIXED_CASES)
def test_fixed_population_runs_its_program_bit_for_bit(case):
    changes, beta, scale = FIXED_CASES[case]
    arithmetic = dataclasses.asdict(dataclasses.replace(load_chip("loihi2"), **changes))
    f = arithmetic["state_frac_bits"]
    rng = np.random.default_rng(1)
    drive, target = inputs(rng, 2.0 ** (f + 1))    # drive_shift −1: a_in·2^−1, rounded half up
    drive = np.floor(drive).astype(np.int64)
    target = target * 2 ** f
    bias = rng.uniform(-0.2, 0.2, N)
    pop = LearningRatePopulation(size=N, bias=bias, hi=1.0, epsilon=0.5, nudged=True, beta=beta,
                                 loss_scale=scale, drive_shift=-1, bias_lr=beta / 8,
                                 arithmetic=arithmetic)
    states, sent, saturations = drive_population(pop, drive, target, fixed=True)
    ref = fixed_reference(drive, target, np.floor(bias * 2 ** f + 0.5), arithmetic, k=1,
                          beta_scale=beta * scale, drive_shift=-1, kb=3)

    assert np.array_equal(np.array([s for s, _ in states]), np.array(ref["v"]))
    assert np.array_equal(np.array([b for _, b in states]), np.array(ref["b"]))
    for port, key in (("s_out", "payload"), ("s_out_y1", "y1"), ("s_out_y2", "y2")):
        assert np.array_equal(sent[port], np.array(ref[key])), port
    lasts = np.array([step[2] for step in schedule()])
    assert np.array_equal(sent["s_out_bap"], np.repeat(lasts[:, None], N, axis=1))
    assert saturations == ref["saturations"]
    v = np.array(ref["v"])                          # what the case exercises
    assert np.any(np.array(ref["payload"])[1:T1 + 1] == 1) and np.any(v[1:T1 + 1] == 0)
    if case == "loihi2":
        assert np.any(v == 2 ** f) and saturations == 0
    else:
        assert saturations > 0 and ref["ties"] > 0


@pytest.mark.parametrize("fixed", [False, True], ids=["float", "fixed"])
def test_stock_learning_dense_sees_the_documented_traces(fixed):
    """pre → LearningDense → post with dw = y0·x1·y2 + 2·y0·x1·y1 (no trace decay): the weight
    moves only at the last free step, by ρ_post ρ_preᵀ, and at the last nudged step, by
    2·ρ_post ρ_preᵀ (fixed: ⌊ρ_q,post ρ_q,preᵀ/8⌋, the engine's product shift, times 1 and 2);
    the synapse's x1 is ρ_pre, 0 for a silent pre neuron (payload 1 or 2^−1074)."""
    GradedSpikeCfg, Rule, _, _, LearningDense, _, Source = lava()
    rng = np.random.default_rng(2)
    steps = 1 + T1 + T2
    codes = {size: PhaseCodeSource(size=size, free_steps=T1, nudged_steps=T2, betas=BETAS[:1])
             for size in (3, 2)}
    arithmetic = dataclasses.asdict(load_chip("loihi2")) if fixed else None
    f = 12 if fixed else 0
    pre = LearningRatePopulation(size=3, bias=np.zeros(3), hi=1.0, epsilon=1.0,
                                 arithmetic=arithmetic)
    post = LearningRatePopulation(size=2, bias=[0.3, 0.2], hi=1.0, epsilon=0.5, nudged=True,
                                  beta=BETA, drive_shift=-2 if fixed else -1,
                                  arithmetic=arithmetic)
    kind = np.int32 if fixed else float
    drive = np.repeat(np.array([[0.3], [-0.2], [0.25]]), steps, axis=1) * 2 ** f
    drive[1, :3] = 0.4 * 2 ** f                     # pre neuron 1 is active, then silent
    Source(data=drive.astype(kind)).s_out.connect(pre.a_in)
    Source(data=np.full((2, steps), 2 ** f, dtype=kind)).s_out.connect(post.tgt_in)
    weight = 2 * rng.integers(-10, 10, (2, 3)) if fixed else rng.uniform(-0.5, 0.5, (2, 3))
    rule = Rule(dw="1 * 2^0 * y0 * x1 * y2 + 1 * 2^1 * y0 * x1 * y1", x1_tau=2 ** 62,
                t_epoch=1)
    rule.y1_tau = rule.y2_tau = rule.y3_tau = 2 ** 62
    synapse = LearningDense(weights=weight.astype(float), learning_rule=rule,
                            num_message_bits=8, graded_spike_cfg=GradedSpikeCfg.OVERWRITE)
    pre.s_out.connect(synapse.s_in)
    synapse.a_out.connect(post.a_in)
    for name in ("bap", "y1", "y2", "y3"):
        getattr(post, f"s_out_{name}").connect(getattr(synapse, f"s_in_{name}"))
    for pop in (pre, post):
        codes[pop.a_third_factor_in.shape[0]].code_out.connect(pop.a_third_factor_in)

    *_, RunSteps, Loihi2SimCfg, _, _, _ = lava()
    config = Loihi2SimCfg(select_tag="fixed_pt" if fixed else "floating_pt")
    seen = []
    try:
        for _ in range(steps):
            synapse.run(condition=RunSteps(num_steps=1), run_cfg=config)
            seen.append((synapse.weights.get(), synapse.x1.get(), pre.s.get(), post.s.get()))
    finally:
        synapse.stop()

    def rho(s):
        return (s.astype(np.int64) + 32) >> 6 if fixed else s

    def product(post_s, pre_s):
        outer = np.outer(rho(post_s), rho(pre_s))
        return outer // 8 if fixed else outer

    w = weight
    for t, (w_t, x1, pre_s, post_s) in enumerate(seen):
        factor = {T1: 1, T1 + T2: 2}.get(t, 0)         # the last free and last nudged step
        np.testing.assert_allclose(w_t - w, factor * product(post_s, pre_s), rtol=0,
                                   atol=0 if fixed else 1e-15)
        assert np.array_equal(x1, rho(pre_s))
        w = w_t
    assert seen[2][1][1] > 0 and seen[T1][1][1] == 0        # x1 overwritten by "ρ = 0"
    for t in (T1, T1 + T2):
        assert np.count_nonzero(seen[t][0] != seen[t - 1][0]) >= 4


@pytest.mark.parametrize("change, words", [
    ({"lo": -1.0}, "non-negative"),
    ({"nudge": "split"}, "joint"),
    ({"nudged": True}, "beta"),
    ({"bias_lr": 0.1}, "bias_lr"),
    ({"drive_shift": 0.5}, "integer"),
    ({"arithmetic": {"activation_bits": 9}}, "trace_bits"),
    ({"arithmetic": {"rounding": "stochastic"}, "beta": 0.5, "bias_lr": 0.1}, "rounding"),
    ({"arithmetic": {}, "epsilon": 0.3}, "a shift"),
])
def test_population_refuses_what_it_cannot_run(change, words):
    params = {"size": 2, "bias": np.zeros(2), "hi": 1.0, "epsilon": 0.5} | change
    if "arithmetic" in change:
        chip = dataclasses.replace(load_chip("loihi2"), **change["arithmetic"])
        params["arithmetic"] = dataclasses.asdict(chip)
    with pytest.raises(ValueError, match=words):
        LearningRatePopulation(**params)
