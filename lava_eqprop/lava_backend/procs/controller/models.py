"""Models of PhaseController: the schedule is exact arithmetic, so both tags share it."""

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_eqprop.lava_backend.procs.controller.process import PhaseController
from lava_eqprop.lava_backend.protocol import BATCH, CTRL_SIZE, LOAD, PHASE, PhasePlan


class _ControllerModel(PyLoihiProcessModel):
    ctrl_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    step: np.ndarray = LavaPyType(np.ndarray, np.int64)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        p = self.proc_params
        self._betas, self._n_valid = p["betas"], p["n_valid"]
        self._t1, self._t2 = p["free_steps"], p["nudged_steps"]
        self._steps = PhasePlan(self._t1, self._t2, tuple(self._betas[0])).steps
        self._table = None
        self._idle = np.zeros(CTRL_SIZE)
        self._idle[PHASE], self._idle[BATCH] = LOAD, -1

    def run_spk(self) -> None:
        batch, k = divmod(int(self.step[0]), self._steps)
        if batch >= len(self._betas):
            self.ctrl_out.send(self._idle)
        else:
            if k == 0:
                plan = PhasePlan(self._t1, self._t2, tuple(self._betas[batch]))
                self._table = plan.messages(batch, int(self._n_valid[batch]))
            self.ctrl_out.send(self._table[k])
        self.step[0] += 1


@implements(proc=PhaseController, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyControllerModelFloat(_ControllerModel):
    """floating_pt PhaseController."""


@implements(proc=PhaseController, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyControllerModelFixed(_ControllerModel):
    """fixed_pt PhaseController (the control vector is exact in either precision)."""
