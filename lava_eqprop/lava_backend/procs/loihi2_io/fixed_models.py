"""fixed_pt models of SampleSource and PredictionReadout: the same programs as the
floating_pt ones, with integer payloads (2ρ_q, 1 for ρ_q = 0), targets in state units (F
fraction bits) and an integer result ``[row, argmax]``."""

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_eqprop.lava_backend.procs.loihi2_io.models import (
    PyPredictionReadoutModelFloat,
    PySampleSourceModelFloat,
)
from lava_eqprop.lava_backend.procs.loihi2_io.process import PredictionReadout, SampleSource


@implements(proc=SampleSource, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PySampleSourceModelFixed(PySampleSourceModelFloat):
    """The row of the current sample as integers, every step; the rest payload after the
    schedule."""

    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
    t_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self._payloads = np.asarray(self._payloads, dtype=np.int64)
        self._targets = np.asarray(self._targets, dtype=np.int64)
        self._rest = self._rest.astype(np.int64)
        self._no_target = self._no_target.astype(np.int64)


@implements(proc=PredictionReadout, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyPredictionReadoutModelFixed(PyPredictionReadoutModelFloat):
    """argmax of the output's integer payloads at the last free step of each sample."""

    code_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=7)
    out_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=24)
    result_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=24)
