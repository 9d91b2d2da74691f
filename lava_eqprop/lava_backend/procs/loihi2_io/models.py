"""floating_pt models of SampleSource and PredictionReadout (host-side processes)."""

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


@implements(proc=SampleSource, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PySampleSourceModelFloat(PyLoihiProcessModel):
    """The row of the current sample, every step; the rest payload after the schedule."""

    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    t_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    step: np.ndarray = LavaPyType(np.ndarray, np.int64)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        p = self.proc_params
        self._payloads, self._targets, self._order = p["payloads"], p["targets"], p["order"]
        self._steps = p["steps_per_sample"]
        self._rest = np.full(self._payloads.shape[1], p["rest_payload"], dtype=float)
        self._no_target = np.zeros(self._targets.shape[1])

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


@implements(proc=PredictionReadout, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyPredictionReadoutModelFloat(PyLoihiProcessModel):
    """argmax of the output's payloads at the last free step of each sample."""

    code_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    out_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    result_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self._row = 0

    def run_spk(self) -> None:
        code = self.code_in.recv()
        payload = self.out_in.recv()
        if int(code[0]) == FREE_END:
            self.result_out.send(np.array([self._row, np.argmax(payload)], dtype=float))
            self._row += 1
