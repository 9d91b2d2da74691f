"""DataSource: clamps the input population and holds the targets, one batch per LOAD."""

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.variable import Var

from lava_eqprop.lava_backend.procs.base import EPProcess
from lava_eqprop.lava_backend.protocol import CTRL_SIZE


class DataSource(EPProcess):
    """The data set lives in the process (``x`` (samples, n_in), ``targets`` (samples, n_out));
    ``order`` (batches, batch) gives the sample of each row of each batch, −1 for padding.

    On a LOAD step it sends the new inputs as sigma-delta events on ``x_out`` (the clamped
    population does not change during a phase, so nothing else is sent); ``t_out`` carries the
    batch's targets every step. ``events`` counts input events per phase. ``input_frac_bits``
    and ``activation_bits`` (``fixed_pt``) make the inputs payloads p = round(x·2^Fa).
    """

    def __init__(self, *, x: np.ndarray, targets: np.ndarray, order: np.ndarray,
                 dense_events: bool = True, input_frac_bits: int | None = None,
                 activation_bits: int | None = None, name: str = "data") -> None:
        x, targets, order = np.asarray(x, float), np.asarray(targets, float), np.asarray(order, int)
        where = f"data source {name!r}"
        if x.ndim != 2 or targets.ndim != 2 or len(x) != len(targets):
            raise ValueError(f"{where}: x must be (samples, inputs) and targets (samples, "
                             f"outputs), got {x.shape} and {targets.shape}")
        if order.ndim != 2 or order.size == 0 or order.max() >= len(x) or order.min() < -1:
            raise ValueError(f"{where}: order must be (batches, batch) of sample indices or -1, "
                             f"with indices < {len(x)}")
        super().__init__(x=x, targets=targets, order=order, dense_events=bool(dense_events),
                         input_frac_bits=input_frac_bits, activation_bits=activation_bits,
                         name=name)
        batch = order.shape[1]
        self.ctrl_in = InPort(shape=(CTRL_SIZE,))
        self.x_out = OutPort(shape=(batch, x.shape[1]))
        self.t_out = OutPort(shape=(batch, targets.shape[1]))
        self.events = Var(shape=(4,), init=0)
