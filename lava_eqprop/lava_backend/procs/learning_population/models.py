"""Models of LearningRatePopulation (``floating_pt``: the engine's step in float64;
``fixed_pt``: the neuron program of a Loihi 2 core in integers) and of PhaseCodeSource."""

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.neuron import LearningNeuronModelFixed, LearningNeuronModelFloat
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_eqprop.chips.fixed_point import (
    activation_frac_bits,
    limits,
    power_of_two_shift,
    quantise,
    shift_round,
)
from lava_eqprop.engine.loss import SquaredError
from lava_eqprop.engine.step import Nudge, population_step
from lava_eqprop.lava_backend.procs.learning_population.process import (
    FREE_CODE,
    LAST,
    LOAD_CODE,
    NUDGED_NEG,
    NUDGED_POS,
    PHASE_MASK,
    RESTORE_CODE,
    LearningRatePopulation,
    PhaseCodeSource,
)

SMALLEST_FLOAT_PAYLOAD = np.nextafter(0.0, 1.0)     # 2^-1074; Lava's float x1 = its half = 0.0


class _LearningRateProgram:
    """The program both precisions share, per neuron and step: decode the third factor, step
    or reset the state, save it at the end of the free phase, learn the bias at the end of a
    nudged phase, send payload, bap and traces (y2 ← ρ in FREE, and in NUDGED− when
    symmetric; y1 ← ρ in the other nudged phases; no bap at the free end when symmetric).
    A model supplies ``_inputs`` (a_in and y in state units), ``_step`` (the new state;
    saturations counted where ``stepping``), ``_bias_step``, ``_trace`` (ρ as the traces
    carry it) and ``_payload``."""

    def _setup(self) -> None:
        p = self.proc_params
        self._nudged, self._bias_lr = p["nudged"], p["bias_lr"]
        self._symmetric = p["symmetric"]
        self._bias_beta = p["beta"] * (2 if self._symmetric else 1)    # η_b/β or η_b/(2β)
        self._zeros = np.zeros(p["size"])

    def _learn_bias(self, phase: np.ndarray, last: np.ndarray, sign: np.ndarray) -> None:
        """Δb at the last step of a nudged phase against s_free (one-sided), or at the last
        NUDGED+ step against s_minus, the state saved at the last NUDGED− step (symmetric)."""
        if self._symmetric:
            self.s_minus[:] = np.where((phase == NUDGED_NEG) & last, self.s, self.s_minus)
            learn, reference = (phase == NUDGED_POS) & last, self.s_minus
        else:
            learn, reference = (sign != 0) & last, self.s_free
        self.bias[:] += np.where(learn, self._bias_step(sign, reference), 0)

    def run_spk(self) -> None:
        code = self.a_third_factor_in.recv().astype(np.int64)
        drive, target = self._inputs()
        phase, last = code & PHASE_MASK, (code & LAST) != 0
        sign = (phase == NUDGED_POS).astype(np.int64) - (phase == NUDGED_NEG)
        nudged = sign != 0
        stepping = (phase == FREE_CODE) | nudged
        stepped = self._step(self.s, drive, target, sign * self._nudged, stepping)
        self.s[:] = np.select([phase == LOAD_CODE, phase == RESTORE_CODE, stepping],
                              [0, self.s_free, stepped], self.s)
        self.s_free[:] = np.where((phase == FREE_CODE) & last, self.s, self.s_free)
        if self._bias_lr:
            self._learn_bias(phase, last, sign)
        trace = self._trace()
        into_y2 = (phase == FREE_CODE) | (self._symmetric & (phase == NUDGED_NEG))
        self.y2[:] = np.where(into_y2, trace, 0)
        self.y1[:] = np.where(nudged & ~into_y2, trace, 0)
        self.s_out.send(self._payload(trace))
        self.s_out_bap.send(last & ~(self._symmetric & (phase == FREE_CODE)))
        self.s_out_y1.send(self.y1)
        self.s_out_y2.send(self.y2)
        self.s_out_y3.send(self._zeros)


@implements(proc=LearningRatePopulation, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyLearningRatePopulationModelFloat(_LearningRateProgram, LearningNeuronModelFloat):
    """The engine's step (:func:`lava_eqprop.engine.step.population_step`) in float64, with
    drive = b + a_in·2^drive_shift (exact: a power of two) and the joint nudge σβ·scale·(y − s);
    payload 2ρ (2^−1074 for ρ = 0), traces ρ."""

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    tgt_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    s: np.ndarray = LavaPyType(np.ndarray, float)
    s_free: np.ndarray = LavaPyType(np.ndarray, float)
    s_minus: np.ndarray = LavaPyType(np.ndarray, float)
    bias: np.ndarray = LavaPyType(np.ndarray, float)
    saturations: np.ndarray = LavaPyType(np.ndarray, float)      # stays 0 in floating point

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self._setup()
        p = self.proc_params
        self._eps, hi, self._beta = p["epsilon"], p["hi"], p["beta"]
        self._gain = 2.0 ** p["drive_shift"]
        self._loss = SquaredError("loss_scale", p["loss_scale"])
        self._clip = lambda new: np.clip(new, 0.0, hi, out=new)

    def _inputs(self) -> tuple[np.ndarray, np.ndarray]:
        return self.a_in.recv() * self._gain, self.tgt_in.recv()

    def _step(self, s: np.ndarray, drive: np.ndarray, target: np.ndarray, sign: np.ndarray,
              stepping: np.ndarray) -> np.ndarray:
        nudge = Nudge(self._loss, target, sign * self._beta, False) if sign.any() else None
        return population_step(drive + self.bias, s, self._eps, nudge=nudge, clip=self._clip)

    def _bias_step(self, sign: np.ndarray, reference: np.ndarray) -> np.ndarray:
        return self._bias_lr * (sign / self._bias_beta) * (self.s - reference)

    def _trace(self) -> np.ndarray:
        return self.s

    def _payload(self, rho: np.ndarray) -> np.ndarray:
        return np.where(rho > 0, 2.0 * rho, SMALLEST_FLOAT_PAYLOAD)


@implements(proc=LearningRatePopulation, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyLearningRatePopulationModelFixed(_LearningRateProgram, LearningNeuronModelFixed):
    """The neuron program in integers (formats of :mod:`lava_eqprop.chips.fixed_point`; widths
    of chip_configs/loihi2.toml in brackets: F = 12 state fraction bits, 24-bit state and
    accumulator, A = 8-bit payload with Fa = 7 and Fx = Fa − 1 = 6 fraction bits for hi = 1,
    7-bit traces, Cf = 8 nudge fraction bits). Registers: v, v_free, v_minus, b [24 bits, F];
    constants: k (ε = 2^−k), c± = ⌊±β·scale·2^Cf⌉ (half up) [Cf], k_b (η_b/β ≈ 2^−k_b;
    symmetric: η_b/(2β) ≈ 2^−k_b).
    ⌊x·2^−n⌉ is (x + 2^(n−1)) >> n (half up), a plain left shift for n ≤ 0.

        1  phase = code & 7,  last = code & 8                       (third factor, 4 bits)
        2  d  = sat_acc(⌊a_in·2^drive_shift⌉ + b)                   [24 bits; saturations]
        3  d += ⌊c±·(y − v)·2^−Cf⌉                                  (NUDGED±, output only)
        4  v' = clip(v + ⌊(d − v)·2^−k⌉, 0, hi·2^F)                 (FREE, NUDGED±; ε = 1: d)
           v' = 0 (LOAD), v_free (RESTORE)
        5  v_free = v'                                              (FREE and last)
        6  b += ⌊±(v' − v_free)·2^−k_b⌉                             (NUDGED± and last, η_b > 0)
           symmetric: v_minus = v' (NUDGED− and last);
                      b += ⌊(v' − v_minus)·2^−k_b⌉                  (NUDGED+ and last, η_b > 0)
        7  ρ = ⌊v'·2^(Fx−F)⌉                                        [A − 1 ≤ 7 bits, Fx]
        8  s_out = 2ρ, or 1 where ρ = 0                             [A bits, Fa]
           s_out_bap = last;  y2 = ρ (FREE), y1 = ρ (NUDGED±), else 0;  y3 = 0   [7 bits]
           (symmetric: no bap at the free end, y2 = ρ in NUDGED−)

    Steps 2–4 are RatePopulation's fixed-point step (joint nudge) with one sample, so both
    graphs compute the same states from the same drives.
    """

    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    tgt_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32)
    s: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    s_free: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    s_minus: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    bias: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=24)
    saturations: np.ndarray = LavaPyType(np.ndarray, np.int64)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self._setup()
        p = self.proc_params
        a = p["arithmetic"]
        self._f, self._cf = a["state_frac_bits"], a["nudge_frac_bits"]
        self._acc = limits(a["accumulator_bits"])
        self._fx = activation_frac_bits(p["hi"], a["activation_bits"]) - 1
        self._k = -round(np.log2(p["epsilon"]))
        self._hi = round(p["hi"] * 2 ** self._f)
        self._shift = -p["drive_shift"]
        c = p["beta"] * p["loss_scale"]
        self._c = {1: int(quantise(c, self._cf)), -1: int(quantise(-c, self._cf))}
        self._kb = power_of_two_shift(p["bias_lr"] / self._bias_beta) if p["bias_lr"] else 0

    def _inputs(self) -> tuple[np.ndarray, np.ndarray]:
        return self.a_in.recv().astype(np.int64), self.tgt_in.recv().astype(np.int64)

    def _step(self, v: np.ndarray, drive: np.ndarray, target: np.ndarray, sign: np.ndarray,
              stepping: np.ndarray) -> np.ndarray:
        v = v.astype(np.int64)
        d = shift_round(drive, self._shift) + self.bias
        self.saturations[0] += np.count_nonzero(((d < self._acc[0]) | (d > self._acc[1]))
                                                & stepping)
        d = np.clip(d, *self._acc)
        c = np.where(sign > 0, self._c[1], np.where(sign < 0, self._c[-1], 0))
        d = d + shift_round(c * (target - v), self._cf)
        new = v + shift_round(d - v, self._k) if self._k else d
        return np.clip(new, 0, self._hi)

    def _bias_step(self, sign: np.ndarray, reference: np.ndarray) -> np.ndarray:
        return shift_round(sign * (self.s.astype(np.int64) - reference), self._kb)

    def _trace(self) -> np.ndarray:
        return shift_round(self.s, self._f - self._fx)

    def _payload(self, rho: np.ndarray) -> np.ndarray:
        return np.where(rho > 0, 2 * rho, 1)


class _PhaseCodeSourceModel(PyLoihiProcessModel):
    step: np.ndarray = LavaPyType(np.ndarray, np.int64)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self._codes, self._size = self.proc_params["codes"], self.proc_params["size"]

    def run_spk(self) -> None:
        t = int(self.step[0])
        code = self._codes[t] if t < len(self._codes) else LOAD_CODE
        self.code_out.send(np.full(self._size, code))
        self.step[0] += 1


@implements(proc=PhaseCodeSource, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyPhaseCodeSourceModelFloat(_PhaseCodeSourceModel):
    """floating_pt PhaseCodeSource (codes as floats, as the float neuron's port reads)."""

    code_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)


@implements(proc=PhaseCodeSource, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyPhaseCodeSourceModelFixed(_PhaseCodeSourceModel):
    """fixed_pt PhaseCodeSource (codes as 7-bit integers, the third-factor width)."""

    code_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=7)
