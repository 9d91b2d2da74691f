"""SampleSource and PredictionReadout: the host-side ends of the loihi2 graph.

Both are host processes: on a Loihi 2 system they would run on the host (or an embedded core
next to the chip), feeding the neuro cores and reporting to the user; here they are Python
process models like the rest of the graph. Neither grows with the run: the source holds one
row per sample, the readout one vector and a count.
"""

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.variable import Var

from lava_eqprop.lava_backend.procs.base import EPProcess


class SampleSource(EPProcess):
    """Sends, every step, the clamped input's payload and the target of the current sample.

    ``payloads`` (samples, n_in): each sample's input as the graded payload its synapses
    receive (2x, :func:`~lava_eqprop.lava_backend.loihi2.rule.pre_payload`); ``targets``
    (samples, n_out); ``order`` (rows,): the sample of each scheduled row, one row every
    ``steps_per_sample`` steps. After the last row it sends ``rest_payload`` (the payload of
    activity 0) and a zero target. ``step`` counts the steps sent."""

    def __init__(self, *, payloads: np.ndarray, targets: np.ndarray, order: np.ndarray,
                 steps_per_sample: int, rest_payload: float, name: str = "data") -> None:
        payloads, targets = np.asarray(payloads), np.asarray(targets, float)
        order = np.asarray(order, int).reshape(-1)
        where = f"sample source {name!r}"
        if payloads.ndim != 2 or targets.ndim != 2 or len(payloads) != len(targets):
            raise ValueError(f"{where}: payloads must be (samples, inputs) and targets "
                             f"(samples, outputs), got {payloads.shape} and {targets.shape}")
        if order.size == 0 or order.min() < 0 or order.max() >= len(payloads):
            raise ValueError(f"{where}: order must hold sample indices < {len(payloads)}")
        if steps_per_sample < 1:
            raise ValueError(f"{where}: steps_per_sample must be >= 1, got {steps_per_sample}")
        super().__init__(payloads=payloads, targets=targets, order=order,
                         steps_per_sample=int(steps_per_sample), rest_payload=rest_payload,
                         name=name)
        self.s_out = OutPort(shape=(payloads.shape[1],))
        self.t_out = OutPort(shape=(targets.shape[1],))
        self.step = Var(shape=(1,), init=0)


class PredictionReadout(EPProcess):
    """Receives the output population's payloads (2ρ) and the phase code of its size; on the
    last free step of each sample (code FREE + LAST) sends ``[row, argmax ρ]`` on
    ``result_out``, an external pipe the host drains (one message per sample: the host's
    heartbeat too). ``row`` counts the samples predicted so far."""

    def __init__(self, *, size: int, name: str = "readout") -> None:
        if size < 1:
            raise ValueError(f"{name}: size must be >= 1, got {size}")
        super().__init__(size=int(size), name=name)
        self.code_in = InPort(shape=(size,))
        self.out_in = InPort(shape=(size,))
        self.result_out = OutPort(shape=(2,))
