"""RatePopulation: a population of rate neurons relaxing by the engine's update rule."""

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.variable import Var

from lava_eqprop.chips.fixed_point import quantise
from lava_eqprop.lava_backend.procs.base import EPProcess
from lava_eqprop.lava_backend.protocol import CTRL_SIZE

NUDGE_MODES = ("joint", "split")


class RatePopulation(EPProcess):
    """``batch`` × ``size`` rate neurons (Scellier & Bengio 2017, eq. 8, projected Euler step):

        s ← clip_[lo, hi]( s + ε·(b + a_in − s) + nudge ),   nudge = εβ·scale·(y − s) on outputs

    (``nudge = "joint"`` puts the nudge inside the step, ``"split"`` applies it to the stepped
    state, as :mod:`lava_eqprop.engine.relaxation` explains). ``a_in`` is the sum of the drives
    of every projection into the population; ``tgt_in`` the target (output populations only).

    Sigma-delta output: the population sends δ = s − ŝ, where ŝ is what it has sent so far,
    for the neurons with |δ| > ``event_threshold`` and 0 elsewhere; receivers add δ up. With
    threshold 0 every neuron sends every step. Events are counted per phase in ``events``
    (load, free, nudged, restore). The bias learns from the same slots as the synapses:
    Δb = η_b·scale·Σ_valid (s_A − s_B) / n_valid. With ``channels`` = C > 0 the population is
    an image of C channels (flattened channel-major) whose bias is shared by every pixel of a
    channel, as in a conv layer: the update of a channel is the sum over its pixels, applied
    to all of them (a chip without shared biases would do this reduction in its learning
    engine; here the population does it, so every pixel of a channel holds the same bias).

    ``arithmetic`` (a chip's widths, :class:`~lava_eqprop.chips.config.ChipArithmetic` as a
    dict) is given for the ``fixed_pt`` model: the state and bias Vars then hold integers with
    ``state_frac_bits`` fraction bits, ``s_out`` carries activation payloads, and ``saturations``
    counts the values clipped to a register's width.

    ``settle_tol`` (state units; None: not tracked) makes the population record in ``settle``
    [free, nudged, free residual, nudged residual]: per phase, 1 + the last step of the phase
    in which a valid row moved by more than the tolerance (the most over all batches), and the
    largest move in the phase's last step (the cross-check's settling measure).
    """

    def __init__(self, *, batch: int, size: int, bias: np.ndarray, lo: float, hi: float,
                 epsilon: float, nudged: bool = False, nudge: str = "joint",
                 loss_scale: float = 1.0, bias_lr: float = 0.0, event_threshold: float = 0.0,
                 arithmetic: dict | None = None, settle_tol: float | None = None,
                 channels: int = 0, name: str = "population") -> None:
        bias = np.asarray(bias, dtype=float).reshape(-1)
        where = f"population {name!r}"
        if batch < 1 or size < 1:
            raise ValueError(f"{where}: batch and size must be >= 1, got {batch}, {size}")
        if bias.shape != (size,):
            raise ValueError(f"{where}: bias has {bias.size} values, expected {size}")
        if channels < 0 or (channels and size % channels):
            raise ValueError(f"{where}: channels must divide size {size}, got {channels}")
        if not 0.0 < epsilon <= 1.0:
            raise ValueError(f"{where}: epsilon must be in (0, 1], got {epsilon}")
        if nudge not in NUDGE_MODES:
            raise ValueError(f"{where}: nudge {nudge!r} is not one of {list(NUDGE_MODES)}")
        if event_threshold < 0:
            raise ValueError(f"{where}: event_threshold must be >= 0, got {event_threshold}")
        if arithmetic is not None:
            check_fixed_point_population(where, lo, hi, epsilon)
            bias = quantise(bias, arithmetic["state_frac_bits"])
        super().__init__(batch=batch, size=size, lo=float(lo), hi=float(hi),
                         epsilon=float(epsilon), nudged=bool(nudged), nudge=nudge,
                         loss_scale=float(loss_scale), bias_lr=float(bias_lr),
                         event_threshold=float(event_threshold), arithmetic=arithmetic,
                         settle_tol=settle_tol, channels=int(channels), name=name)
        shape = (batch, size)
        self.ctrl_in = InPort(shape=(CTRL_SIZE,))
        self.a_in = InPort(shape=shape)
        self.tgt_in = InPort(shape=shape)
        self.s_out = OutPort(shape=shape)
        self.s = Var(shape=shape, init=0)
        self.s_free = Var(shape=shape, init=0)
        self.bias = Var(shape=(size,), init=bias)
        self.events = Var(shape=(4,), init=0)
        self.saturations = Var(shape=(1,), init=0)
        self.settle = Var(shape=(4,), init=0)


def check_fixed_point_population(where: str, lo: float, hi: float, epsilon: float) -> None:
    """What the fixed-point update needs: a bounded activation from 0 and ε a power of two."""
    if lo != 0.0 or not np.isfinite(hi):
        raise ValueError(f"{where}: fixed point needs an activation bounded to [0, hi], got "
                         f"[{lo}, {hi}]")
    if np.log2(epsilon) != round(np.log2(epsilon)):
        raise ValueError(f"{where}: fixed point needs epsilon = 2^-k (a shift), got {epsilon}")
