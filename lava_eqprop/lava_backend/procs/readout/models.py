"""Models of Readout (argmax is the same in either precision: one model, two tags)."""

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_eqprop.lava_backend.procs.readout.process import Readout
from lava_eqprop.lava_backend.protocol import BATCH, FREE_END


class _ReadoutModel(PyLoihiProcessModel):
    ctrl_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    out_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    result_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self._out = np.zeros((self.proc_params["batch"], self.proc_params["size"]))

    def run_spk(self) -> None:
        ctrl = self.ctrl_in.recv()
        self._out += self.out_in.recv()
        if ctrl[FREE_END]:
            self.result_out.send(np.concatenate([[ctrl[BATCH]], np.argmax(self._out, axis=1)]))


@implements(proc=Readout, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyReadoutModelFloat(_ReadoutModel):
    """floating_pt Readout."""


@implements(proc=Readout, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyReadoutModelFixed(_ReadoutModel):
    """fixed_pt Readout."""
