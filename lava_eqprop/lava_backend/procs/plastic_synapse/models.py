"""Models of PlasticSynapse: ``floating_pt`` computes what the NumPy engine computes."""

import numpy as np

from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_eqprop.lava_backend.procs.plastic_synapse.process import PlasticSynapse
from lava_eqprop.lava_backend.protocol import LEARN, N_VALID, PHASE, SLOT_A, SLOT_B, SNAP


@implements(proc=PlasticSynapse, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyPlasticSynapseModelFloat(PyLoihiProcessModel):
    """float64 weights; the update of :func:`lava_eqprop.engine.estimators.contrast`."""

    ctrl_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    pre_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    post_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    fwd_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    bwd_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    weight: np.ndarray = LavaPyType(np.ndarray, float)
    synops: np.ndarray = LavaPyType(np.ndarray, float)
    dw_stats: np.ndarray = LavaPyType(np.ndarray, float)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        p = self.proc_params
        self._mask, self._lr = p["mask"], p["learning_rate"]
        self._symmetric, self._lateral, self._dense = p["symmetric"], p["lateral"], p["dense_events"]
        self._pre = self._post = self._fwd = self._bwd = None
        self._slots: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._learn, self._n_valid = 0.0, 0

    def _start(self) -> None:
        batch = self.proc_params["batch"]
        n_post, n_pre = self.weight.shape
        self._pre, self._post = np.zeros((batch, n_pre)), np.zeros((batch, n_post))
        self._fwd, self._bwd = np.zeros((batch, n_post)), np.zeros((batch, n_pre))
        connected = self._mask if self._mask is not None else np.ones(self.weight.shape, bool)
        self._fan_out = connected.sum(axis=0).astype(float)     # synapses reached by a pre event
        self._fan_in = connected.sum(axis=1).astype(float)      # ... by a post event (backward)
        self._n_synapses = float(connected.sum())

    def run_spk(self) -> None:
        if self._pre is None:
            self._start()
        ctrl = self.ctrl_in.recv()
        self.fwd_out.send(self._fwd)
        self.bwd_out.send(self._bwd)
        d_pre, d_post = self.pre_in.recv(), self.post_in.recv()
        self._pre += d_pre
        self._post += d_post
        self._count(int(ctrl[PHASE]), d_pre, d_post)
        if ctrl[SNAP]:
            self._slots[int(ctrl[SNAP])] = (self._pre.copy(), self._post.copy())
        self._learn, self._n_valid = float(ctrl[LEARN]), int(ctrl[N_VALID])
        self._drives()

    def _drives(self) -> None:
        np.matmul(self._pre, self.weight.T, out=self._fwd)
        if self._symmetric and not self._lateral:
            np.matmul(self._post, self.weight, out=self._bwd)

    def _count(self, phase: int, d_pre: np.ndarray, d_post: np.ndarray) -> None:
        pre_events = np.ones_like(d_pre) if self._dense else (d_pre != 0)
        ops = float(np.sum(pre_events @ self._fan_out))
        if self._symmetric and not self._lateral:
            post_events = np.ones_like(d_post) if self._dense else (d_post != 0)
            ops += float(np.sum(post_events @ self._fan_in))
        self.synops[phase] += ops

    def lrn_guard(self) -> bool:
        return self._learn != 0.0 and self._lr != 0.0

    def run_lrn(self) -> None:
        n = self._n_valid
        (pre_a, post_a), (pre_b, post_b) = self._slots[SLOT_A], self._slots[SLOT_B]
        corr = post_a[:n].T @ pre_a[:n] - post_b[:n].T @ pre_b[:n]
        if self._mask is not None:
            corr *= self._mask
        elif self._lateral:
            np.fill_diagonal(corr, 0.0)
        corr *= self._lr * self._learn / n
        self.weight[:] += corr
        self._record(corr)
        self._drives()

    def _record(self, dw: np.ndarray) -> None:
        flat = dw.reshape(-1)
        self.dw_stats[0] += np.abs(flat).sum() / self._n_synapses
        self.dw_stats[1] += np.sqrt(flat @ flat / self._n_synapses)
        self.dw_stats[2] += 1
