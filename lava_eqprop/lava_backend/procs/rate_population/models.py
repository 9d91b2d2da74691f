"""Models of RatePopulation: ``floating_pt`` matches the NumPy engine step for step;
``fixed_pt`` runs the same update in integers with a chip's widths."""

import zlib

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_eqprop.chips.fixed_point import (
    activation_frac_bits,
    power_of_two_shift,
    quantise,
    saturate,
    shift_round,
)
from lava_eqprop.engine.loss import SquaredError
from lava_eqprop.engine.step import Nudge, population_step
from lava_eqprop.lava_backend.procs.rate_population.process import RatePopulation
from lava_eqprop.lava_backend.protocol import (
    BETA,
    FREE,
    FREE_END,
    LEARN,
    LOAD,
    N_VALID,
    NUDGE,
    PHASE,
    RESTORE,
    SLOT_A,
    SLOT_B,
    SNAP,
)


class _RatePopulationModel(PyLoihiProcessModel):
    """What both precisions share: the phase handling, the sigma-delta output, the slots.

    Untagged base (Lava adds a subclass's tags to its parent's). A subclass gives the number
    format: ``_inputs`` (drive and target in state units), ``_step`` (one update),
    ``_activity`` (what the population sends: its state or its activation payload) and
    ``run_lrn`` (the bias update).
    """

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        p = self.proc_params
        self._split, self._scale, self._nudged = p["nudge"] == "split", p["loss_scale"], p["nudged"]
        self._bias_lr, self._channels = p["bias_lr"], p["channels"]
        self._threshold = p["event_threshold"]          # in the units of _activity()
        self._sent = None
        self._slots: dict[int, np.ndarray] = {}
        self._learn, self._n_valid = 0.0, 0
        self._settle_tol = p["settle_tol"]
        self._phase, self._phase_step = LOAD, 0

    def run_spk(self) -> None:
        ctrl = self.ctrl_in.recv()
        self._learn, self._n_valid = float(ctrl[LEARN]), int(ctrl[N_VALID])
        drive, target = self._inputs()
        phase = int(ctrl[PHASE])
        if phase == LOAD:
            self.s[:] = 0
        elif phase == RESTORE:
            self.s[:] = self.s_free
        else:
            beta = ctrl[BETA] if (phase == NUDGE and self._nudged) else 0.0
            new = self._step(self.s, drive, target, beta)
            if self._settle_tol is not None:
                self._track_settling(phase, new)
            self.s[:] = new
        if ctrl[FREE_END]:
            self.s_free[:] = self.s
        if ctrl[SNAP]:
            self._slots[int(ctrl[SNAP])] = self.s.copy()
        self._phase = phase
        self._send(phase)

    def _track_settling(self, phase: int, new: np.ndarray) -> None:
        """Update ``settle`` (see the process) with this step's largest move of a valid row."""
        self._phase_step = self._phase_step + 1 if phase == self._phase else 1
        n = int(self._n_valid) or len(new)
        moved = float(np.max(np.abs(new[:n] - self.s[:n]), initial=0.0)) * self._state_unit
        index = 0 if phase == FREE else 1
        if moved > self._settle_tol:
            self.settle[index] = max(self.settle[index], self._phase_step + 1)
        self.settle[2 + index] = moved

    def _send(self, phase: int) -> None:
        """Send δ = activity − what was sent so far, where |δ| > threshold (0: everywhere).
        Messages are counted on the batch's valid rows only (padding is not a sample)."""
        activity = self._activity()
        if self._sent is None:
            self._sent = np.zeros_like(activity)
        delta = activity - self._sent
        if self._threshold > 0:
            delta[np.abs(delta) <= self._threshold] = 0
            self.events[phase] += np.count_nonzero(delta[:self._n_valid])
        else:
            self.events[phase] += delta[:self._n_valid].size
        self._sent += delta
        self.s_out.send(delta)

    def _slot_difference(self) -> np.ndarray:
        """Σ over the valid rows of s_A − s_B, per bias: per neuron, or for a channel bias
        per channel (also summed over the channel's pixels)."""
        n = self._n_valid
        difference = (self._slots[SLOT_A][:n] - self._slots[SLOT_B][:n]).sum(axis=0)
        if self._channels:
            return difference.reshape(self._channels, -1).sum(axis=1)
        return difference

    def _per_neuron(self, update: np.ndarray) -> np.ndarray:
        """A per-bias update as one value per neuron (a channel's repeated over its pixels)."""
        return np.repeat(update, self.bias.size // update.size)

    def lrn_guard(self) -> bool:
        return self._learn != 0.0 and self._bias_lr != 0.0


@implements(proc=RatePopulation, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyRatePopulationModelFloat(_RatePopulationModel):
    """The engine's update in float64 (:func:`lava_eqprop.engine.step.population_step`,
    the synchronous schedule of :mod:`lava_eqprop.engine.relaxation`)."""

    ctrl_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    tgt_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    s: np.ndarray = LavaPyType(np.ndarray, float)
    s_free: np.ndarray = LavaPyType(np.ndarray, float)
    bias: np.ndarray = LavaPyType(np.ndarray, float)
    events: np.ndarray = LavaPyType(np.ndarray, float)
    saturations: np.ndarray = LavaPyType(np.ndarray, float)      # stays 0 in floating point
    settle: np.ndarray = LavaPyType(np.ndarray, float)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        p = self.proc_params
        self._eps, lo, hi = p["epsilon"], p["lo"], p["hi"]
        self._loss = SquaredError("loss_scale", self._scale)
        self._clip = lambda new: np.clip(new, lo, hi, out=new)
        self._state_unit = 1.0

    def _inputs(self) -> tuple[np.ndarray, np.ndarray]:
        return self.a_in.recv(), self.tgt_in.recv()

    def _step(self, s: np.ndarray, drive: np.ndarray, target: np.ndarray,
              beta: float) -> np.ndarray:
        """One projected Euler step of ds/dt = −∂F/∂s, the engine's own step function."""
        nudge = Nudge(self._loss, target, beta, self._split) if beta else None
        return population_step(drive + self.bias, s, self._eps, nudge=nudge, clip=self._clip)

    def _activity(self) -> np.ndarray:
        return self.s

    def run_lrn(self) -> None:
        rate = self._bias_lr * self._learn / self._n_valid
        self.bias[:] += self._per_neuron(rate * self._slot_difference())


@implements(proc=RatePopulation, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyRatePopulationModelFixed(_RatePopulationModel):
    """The same update in integers (formats in :mod:`lava_eqprop.chips.fixed_point`):

        d  = sat_acc(a_in + b)                      (+ ⌊c·(y − v)⌉ for the joint nudge)
        v' = clip(v + ⌊(d − v)·2^−k⌉, lo, hi)       ε = 2^−k
                                                    (+ ⌊εc·(y − v')⌉ first, for the split nudge)
        p  = ⌊v'·2^(Fa−F)⌉                          the activation payload that is sent

    with c = β·scale rounded half up to ``nudge_frac_bits`` fraction bits.
    """

    ctrl_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int64)
    tgt_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int64)
    s: np.ndarray = LavaPyType(np.ndarray, np.int64)
    s_free: np.ndarray = LavaPyType(np.ndarray, np.int64)
    bias: np.ndarray = LavaPyType(np.ndarray, np.int64)
    events: np.ndarray = LavaPyType(np.ndarray, float)
    saturations: np.ndarray = LavaPyType(np.ndarray, float)
    settle: np.ndarray = LavaPyType(np.ndarray, float)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        p = self.proc_params
        a = p["arithmetic"]
        self._f, self._cf = a["state_frac_bits"], a["nudge_frac_bits"]
        self._acc_bits = a["accumulator_bits"]
        self._state_unit = 2.0 ** -self._f
        self._fa = activation_frac_bits(p["hi"], a["activation_bits"])
        self._k = -round(np.log2(p["epsilon"]))
        self._lo, self._hi = round(p["lo"] * 2 ** self._f), round(p["hi"] * 2 ** self._f)
        self._rounding = a["rounding"]
        self._threshold = p["event_threshold"] * 2 ** self._fa     # in payload LSBs
        self._rng = np.random.default_rng([a["seed"], zlib.crc32(p["name"].encode())])

    def _inputs(self) -> tuple[np.ndarray, np.ndarray]:
        return self.a_in.recv().astype(np.int64), quantise(self.tgt_in.recv(), self._f)

    def _step(self, v: np.ndarray, drive: np.ndarray, target: np.ndarray,
              beta: float) -> np.ndarray:
        d, clipped = saturate(drive + self.bias, self._acc_bits, counted_rows=self._n_valid)
        self.saturations[0] += clipped
        c = int(quantise(beta * self._scale, self._cf))
        if c and not self._split:
            d = d + shift_round(c * (target - v), self._cf)
        new = v + shift_round(d - v, self._k) if self._k else d
        if c and self._split:
            new = new + shift_round(c * (target - new), self._cf + self._k)
        return np.clip(new, self._lo, self._hi)

    def _activity(self) -> np.ndarray:
        return shift_round(self.s, self._f - self._fa)

    def run_lrn(self) -> None:
        """Δb = ⌊η·scale/n · Σ_valid (v_A − v_B)⌉ with the rate a power-of-two shift (rounded
        once per bias, so a channel's pixels keep one value under stochastic rounding)."""
        k = power_of_two_shift(self._bias_lr * abs(self._learn) / self._n_valid)
        sign = 1 if self._learn > 0 else -1
        step = shift_round(sign * self._slot_difference(), k, self._rounding, self._rng)
        self.bias[:] += self._per_neuron(step)
