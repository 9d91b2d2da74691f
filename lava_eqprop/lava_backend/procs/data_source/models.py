"""Models of DataSource: float inputs, or (fixed_pt) inputs as integer payloads."""

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_eqprop.chips.fixed_point import quantise, saturate
from lava_eqprop.lava_backend.procs.data_source.process import DataSource
from lava_eqprop.lava_backend.protocol import BATCH, LOAD, PHASE


class _DataSourceModel(PyLoihiProcessModel):
    ctrl_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    x_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    t_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    events: np.ndarray = LavaPyType(np.ndarray, float)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        p = self.proc_params
        self._x, self._t = p["x"], p["targets"]
        self._order, self._dense = p["order"], p["dense_events"]
        if p["input_frac_bits"] is not None:
            payload = quantise(self._x, p["input_frac_bits"])
            self._x, _ = saturate(payload, p["activation_bits"], signed=False)
        batch = self._order.shape[1]
        self._sent = np.zeros((batch, self._x.shape[1]), dtype=self._x.dtype)
        self._target = np.zeros((batch, self._t.shape[1]))
        self._quiet = np.zeros_like(self._sent)

    def run_spk(self) -> None:
        ctrl = self.ctrl_in.recv()
        delta = self._quiet
        if int(ctrl[PHASE]) == LOAD:
            rows = (self._order[int(ctrl[BATCH])] if ctrl[BATCH] >= 0
                    else np.full(len(self._sent), -1))
            valid = rows >= 0
            x = np.zeros_like(self._sent)
            x[valid] = self._x[rows[valid]]
            self._target[:] = 0.0
            self._target[valid] = self._t[rows[valid]]
            delta = x - self._sent
            self._sent = x
            changed = delta[valid]
            self.events[LOAD] += changed.size if self._dense else np.count_nonzero(changed)
        self.x_out.send(delta)
        self.t_out.send(self._target)


@implements(proc=DataSource, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyDataSourceModelFloat(_DataSourceModel):
    """floating_pt DataSource."""


@implements(proc=DataSource, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyDataSourceModelFixed(_DataSourceModel):
    """fixed_pt DataSource: inputs sent as activation payloads of the input population."""

    x_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int64)
