"""The fixed-point rounding bound (crosscheck/rounding_bound.py) holds, clip switches included.

Independent references: the clip evaluated on a dense grid of errors (for the clip's affine
form), and a Monte Carlo of the perturbed step written out here from the fixed model's error
model (every rounding at ±its largest value, random signs), whose trajectories must stay
inside the bound on every unit, sample and trial.
"""

from types import SimpleNamespace

import numpy as np
import pytest

from lava_eqprop.crosscheck.rounding_bound import FixedPointBound, clip_form
from lava_eqprop.engine.loss import get_loss
from lava_eqprop.engine.phases import ProbeSettings, engine_phases
from lava_eqprop.engine.relaxation import Dynamics
from lava_eqprop.network.generators import layered

LOSS = get_loss("half_squared_error")
# a coarse chip: 7 state fraction bits, 6-bit payloads (5 fraction bits), so that roundings
# are large enough to push units across the clip's edges
CHIP = SimpleNamespace(state_frac_bits=7, activation_bits=6, nudge_frac_bits=4)
PROBE = ProbeSettings(beta=0.7, free_steps=15, nudged_steps=6)


def test_clip_form_covers_the_clip_on_every_error():
    rng = np.random.default_rng(0)
    u = np.concatenate([rng.uniform(-0.5, 1.5, 400), [0.0, 1.0, -0.01, 1.01, 0.5]])
    radius = np.concatenate([rng.uniform(0, 0.6, 400), [0.1, 0.1, 0.005, 0.02, 0.0]])
    lo, hi = np.zeros_like(u), np.ones_like(u)
    slope, residual = clip_form(u, radius, lo, hi)
    assert np.all((0 <= slope) & (slope <= 1))
    for e in np.linspace(-1, 1, 2001)[:, None] * radius:
        actual = np.clip(u + e, 0, 1) - np.clip(u, 0, 1)
        assert np.all(np.abs(actual - slope * e) <= residual + 1e-12)
    inside = (u - radius >= 0) & (u + radius <= 1)
    outside = (u + radius < 0) | (u - radius > 1)
    assert np.all(slope[inside] == 1) and np.all(residual[inside] == 0)
    assert np.all(slope[outside] == 0) and np.all(residual[outside] == 0)
    # a crossing never widens the error: |λ|R + ρ ≤ R
    assert np.all(slope * radius + residual <= radius + 1e-12)


def coupling_and_drive(net, x):
    """A (free-to-free weights) and the constant drive W_in·x + b of the 8-6-4 layered net."""
    w_in, w_out = (p.weight for p in net.projections)       # (6, 8) and (4, 6): (post, pre)
    a = np.zeros((10, 10))
    a[6:, :6], a[:6, 6:] = w_out, w_out.T
    drive = np.concatenate([x @ w_in.T + net.free[0].bias, np.tile(net.free[1].bias, (len(x), 1))],
                           axis=1)
    return a, drive


def perturbed_run(net, dynamics, x, y, rng, sign):
    """The step written out with every rounding at ±its largest value (``sign`` 0: none):
    payloads ±2^−(Fa+1) off the clip bounds, drive ±h, the nudge's ±(its rounding)."""
    eps, split = dynamics.epsilon, dynamics.nudge == "split"
    h = 2.0 ** -(CHIP.state_frac_bits + 1)
    delta = 2.0 ** -(CHIP.activation_bits - 1 + 1)            # Fa = 5 for hi = 1
    a, drive = coupling_and_drive(net, x)
    c = PROBE.beta * LOSS.scale
    c_q = np.round(c * 2 ** CHIP.nudge_frac_bits) / 2 ** CHIP.nudge_frac_bits
    y_q = np.round(y * 2 ** CHIP.state_frac_bits) / 2 ** CHIP.state_frac_bits
    s = np.zeros((len(x), 10))
    ends = []
    for count, beta in ((PROBE.free_steps, 0.0), (PROBE.nudged_steps, PROBE.beta)):
        for _ in range(count):
            def noise(shape):
                return sign * rng.choice([-1.0, 1.0], shape)
            on_edge = (s == 0.0) | (s == 1.0)
            payload = s + np.where(on_edge, 0.0, delta * noise(s.shape))
            u = (1 - eps) * s + eps * (payload @ a.T + drive) + eps * h * noise(s.shape)
            if beta and not split:
                u[:, 6:] -= eps * c * (s[:, 6:] - y)
            if beta:
                start = u[:, 6:] if split else s[:, 6:]
                if split:
                    u[:, 6:] += eps * c * (y - u[:, 6:])
                nudge = eps * (abs(c_q - c) * np.abs(y - start) + c_q * np.abs(y - y_q) + h)
                u[:, 6:] += nudge * noise(nudge.shape)
            s = np.clip(u, 0.0, 1.0)
        ends.append(s)
    return ends


@pytest.mark.parametrize("nudge", ["split", "joint"])
@pytest.mark.parametrize("epsilon", [1.0, 0.5])
def test_bound_covers_every_perturbed_trajectory(nudge, epsilon):
    rng = np.random.default_rng(3)
    net = layered([8, 6, 4], rng=rng, weight_gain=1.2)
    for pop in net.free:
        pop.bias = rng.uniform(-0.3, 0.6, pop.shape)
    dynamics = Dynamics(epsilon, nudge=nudge)
    x = np.round(rng.uniform(0, 1, (12, 8)) * 32) / 32        # on the payload grid
    y = np.eye(4)[rng.integers(4, size=12)]
    exponents = {p.name: -8 for p in net.projections}          # drive sums shifted: ±h each
    bound = FixedPointBound(net, dynamics, LOSS, CHIP, exponents).run(x, y, PROBE)
    reference = perturbed_run(net, dynamics, x, y, rng, sign=0.0)
    engine = engine_phases(net, dynamics, LOSS, x, y, PROBE)
    for phase, ref in zip((engine.free, engine.nudged), reference):   # the same step
        assert np.max(np.abs(np.concatenate([phase["h1"], phase["output"]], 1) - ref)) < 1e-12
    radius = [np.concatenate([b["h1"], b["output"]], axis=1) for b in bound]
    worst, switched = 0.0, 0
    for _ in range(300):
        runs = perturbed_run(net, dynamics, x, y, rng, sign=1.0)
        for run, ref, r in zip(runs, reference, radius):
            assert np.all(np.abs(run - ref) <= r + 1e-12)
            worst = max(worst, float(np.max(np.abs(run - ref) / np.maximum(r, 1e-300))))
            switched += int(np.sum((np.isin(run, (0.0, 1.0))) != np.isin(ref, (0.0, 1.0))))
    assert switched > 0                   # units did cross a clip edge in some trials
    assert worst > 0.3                    # the bound is reached in part (seen: 0.49-0.91)
    assert np.mean(radius[0]) < 0.5       # and not the box everywhere (seen: 0.17-0.27)
