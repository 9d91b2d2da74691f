"""Models of RatePopulation: ``floating_pt`` matches the NumPy engine step for step."""

import numpy as np

from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_eqprop.lava_backend.procs.rate_population.process import RatePopulation
from lava_eqprop.lava_backend.protocol import (
    BETA, FREE_END, LEARN, LOAD, N_VALID, NUDGE, PHASE, RESTORE, SLOT_A, SNAP)


@implements(proc=RatePopulation, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyRatePopulationModelFloat(PyLoihiProcessModel):
    """The engine's update in float64 (:mod:`lava_eqprop.engine.relaxation`, synchronous)."""

    ctrl_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    tgt_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    s: np.ndarray = LavaPyType(np.ndarray, float)
    s_free: np.ndarray = LavaPyType(np.ndarray, float)
    bias: np.ndarray = LavaPyType(np.ndarray, float)
    events: np.ndarray = LavaPyType(np.ndarray, float)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        p = self.proc_params
        self._eps, self._split = p["epsilon"], p["nudge"] == "split"
        self._lo, self._hi, self._scale = p["lo"], p["hi"], p["loss_scale"]
        self._nudged, self._bias_lr, self._threshold = p["nudged"], p["bias_lr"], p["event_threshold"]
        self._sent = None
        self._slots: dict[int, np.ndarray] = {}
        self._learn = 0.0
        self._n_valid = 0

    def run_spk(self) -> None:
        ctrl = self.ctrl_in.recv()
        drive = self.a_in.recv()
        target = self.tgt_in.recv()
        phase = int(ctrl[PHASE])
        if self._sent is None:
            self._sent = np.zeros_like(self.s)
        if phase == LOAD:
            self.s[:] = 0.0
        elif phase == RESTORE:
            self.s[:] = self.s_free
        else:
            beta = ctrl[BETA] if (phase == NUDGE and self._nudged) else 0.0
            self.s[:] = self._step(self.s, drive + self.bias, target, beta)
        if ctrl[FREE_END]:
            self.s_free[:] = self.s
        if ctrl[SNAP]:
            self._slots[int(ctrl[SNAP])] = self.s.copy()
        self._learn, self._n_valid = float(ctrl[LEARN]), int(ctrl[N_VALID])
        self._send(phase)

    def _step(self, s: np.ndarray, drive: np.ndarray, target: np.ndarray, beta: float) -> np.ndarray:
        """One projected Euler step of ds/dt = −∂F/∂s (engine/relaxation.py, same operation order)."""
        if beta and not self._split:
            drive = drive + (beta * self._scale) * (target - s)
        new = s + self._eps * (drive - s) if self._eps != 1.0 else drive
        if beta and self._split:
            new = new + (self._eps * beta * self._scale) * (target - new)
        return np.clip(new, self._lo, self._hi)

    def _send(self, phase: int) -> None:
        delta = self.s - self._sent
        if self._threshold > 0:
            delta[np.abs(delta) <= self._threshold] = 0.0
            self.events[phase] += np.count_nonzero(delta)
        else:
            self.events[phase] += delta.size
        self._sent += delta
        self.s_out.send(delta)

    def lrn_guard(self) -> bool:
        return self._learn != 0.0 and self._bias_lr != 0.0

    def run_lrn(self) -> None:
        n = self._n_valid
        diff = self._slots[SLOT_A][:n] - self._slots[SLOT_A + 1][:n]
        self.bias[:] += (self._bias_lr * self._learn / n) * diff.sum(axis=0)
