"""Readout: the output population's predictions, one message per batch, to the host."""

from lava.magma.core.process.ports.ports import InPort, OutPort

from lava_eqprop.lava_backend.procs.base import EPProcess
from lava_eqprop.lava_backend.protocol import CTRL_SIZE


class Readout(EPProcess):
    """Receives the output population's events, and at the end of each free phase sends
    ``[batch index, predicted class of each row…]`` on ``result_out`` (an external pipe the
    host drains; it doubles as the host's heartbeat)."""

    def __init__(self, *, batch: int, size: int, name: str = "readout") -> None:
        super().__init__(batch=batch, size=size, name=name)
        self.ctrl_in = InPort(shape=(CTRL_SIZE,))
        self.out_in = InPort(shape=(batch, size))
        self.result_out = OutPort(shape=(batch + 1,))
