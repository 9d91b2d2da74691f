"""Models of SampleSource and PredictionReadout (host-side processes). Each program lives in an
untagged base; the ``floating_pt`` and ``fixed_pt`` models only set the port types (Lava's tags
add up over inheritance, so a tagged model must not derive from another)."""

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_eqprop.lava_backend.procs.learning_population.process import FREE_CODE, LAST
from lava_eqprop.lava_backend.procs.loihi2_io.process import PredictionReadout, SampleSource

FREE_END = FREE_CODE + LAST


class _SampleSourceModel(PyLoihiProcessModel):
    """The row of the current sample, every step; the rest payload after the schedule."""

    step: np.ndarray = LavaPyType(np.ndarray, np.int64)
    DTYPE: type = float

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        p = self.proc_params
        self._payloads = np.asarray(p["payloads"], dtype=self.DTYPE)
        self._targets = np.asarray(p["targets"], dtype=self.DTYPE)
        self._order, self._steps = p["order"], p["steps_per_sample"]
        self._rest = np.full(self._payloads.shape[1], p["rest_payload"], dtype=self.DTYPE)
        self._no_target = np.zeros(self._targets.shape[1], dtype=self.DTYPE)

    def run_spk(self) -> None:
        row = int(self.step[0]) // self._steps
        if row < len(self._order):
            sample = self._order[row]
            self.s_out.send(self._payloads[sample])
            self.t_out.send(self._targets[sample])
        else:
            self.s_out.send(self._rest)
            self.t_out.send(self._no_target)
        self.step[0] += 1


class _PredictionReadoutModel(PyLoihiProcessModel):
    """argmax of the output's payloads at the last free step of each sample."""

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self._row = 0

    def run_spk(self) -> None:
        code = self.code_in.recv()
        payload = self.out_in.recv()
        if int(code[0]) == FREE_END:
            self.result_out.send(np.array([self._row, np.argmax(payload)]))
            self._row += 1


@implements(proc=SampleSource, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PySampleSourceModelFloat(_SampleSourceModel):
    """floating_pt SampleSource: float payloads and targets."""

    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    t_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)


@implements(proc=SampleSource, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PySampleSourceModelFixed(_SampleSourceModel):
    """fixed_pt SampleSource: integer payloads (2ρ_q, 1 for ρ_q = 0) and targets in state
    units (F fraction bits)."""

    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    t_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    DTYPE = np.int64


@implements(proc=PredictionReadout, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyPredictionReadoutModelFloat(_PredictionReadoutModel):
    """floating_pt PredictionReadout."""

    code_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    out_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    result_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)


@implements(proc=PredictionReadout, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyPredictionReadoutModelFixed(_PredictionReadoutModel):
    """fixed_pt PredictionReadout: integer codes, payloads and result ``[row, argmax]``."""

    code_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=7)
    out_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    result_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
