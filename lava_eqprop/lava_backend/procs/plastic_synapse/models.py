"""Models of PlasticSynapse: ``floating_pt`` computes what the NumPy engine computes;
``fixed_pt`` does it with integer weight mantissas and payloads."""

import zlib

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_eqprop.chips.fixed_point import power_of_two_shift, saturate, shift_round
from lava_eqprop.engine.conv_interaction import ConvInteraction
from lava_eqprop.engine.conv_ops import pool
from lava_eqprop.lava_backend.procs.plastic_synapse.process import PlasticSynapse
from lava_eqprop.lava_backend.protocol import LEARN, N_VALID, PHASE, SLOT_A, SLOT_B, SNAP
from lava_eqprop.network.network import ConvGeometry, Projection


def conv_interaction(name: str, weight: np.ndarray, conv: dict) -> ConvInteraction:
    """The engine's conv interaction over this synapse's kernel (the model's weight array,
    re-attached before each use by ``_kernel``)."""
    geometry = ConvGeometry(conv["stride"], conv["padding"], conv["pool"], conv["pool_size"])
    projection = Projection(name, "pre", "post", weight, kind="conv", geometry=geometry)
    return ConvInteraction.from_shapes(projection, conv["pre_shape"], conv["post_shape"])


def conv_fans(inter: ConvInteraction) -> tuple[np.ndarray, np.ndarray]:
    """Synapses reached by one event, per pre neuron (forward: every conv output its patch
    feeds, before pooling) and per post neuron (backward: the taps of the one conv output it
    is routed to), from the conv of ones with a kernel of ones."""
    ones = Projection("ones", "pre", "post", np.ones(inter.weight.shape), kind="conv",
                      geometry=ConvGeometry(inter.projection.geometry.stride,
                                            inter.projection.geometry.padding))
    grid = (inter.weight.shape[0], *inter.conv_image)
    unpooled = ConvInteraction.from_shapes(ones, inter.pre_shape, grid)
    pre_size = int(np.prod(inter.pre_shape))
    fan_out = unpooled.drive_to_pre(np.ones((1, int(np.prod(grid)))), np.ones((1, pre_size)))
    fan_in = unpooled.drive_to_post(np.ones((1, pre_size))).reshape(1, *grid)
    geo = inter.projection.geometry
    if geo.pool:
        fan_in = pool(fan_in, "max", geo.pool_size)[0]
    return fan_out.reshape(-1), fan_in.reshape(-1)


class _PlasticSynapseModel(PyLoihiProcessModel):
    """float64 weights; the update of :func:`lava_eqprop.engine.estimators.contrast`.

    Untagged base: Lava adds a subclass's tags to its parent's, so the fixed-point model
    derives from this class, not from the tagged float model.
    """

    ctrl_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    pre_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    post_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    fwd_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    bwd_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    weight: np.ndarray = LavaPyType(np.ndarray, float)
    synops: np.ndarray = LavaPyType(np.ndarray, float)
    dw_stats: np.ndarray = LavaPyType(np.ndarray, float)
    saturations: np.ndarray = LavaPyType(np.ndarray, float)      # stays 0 in floating point

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        p = self.proc_params
        self._mask, self._lr = p["mask"], p["learning_rate"]
        self._drives_pre, self._lateral = p["drives_pre"], p["lateral"]
        self._pre_dense, self._post_dense = p["pre_dense"], p["post_dense"]
        self._pre = self._post = self._fwd = self._bwd = None
        self._slots: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._learn, self._n_valid = 0.0, 0

    def _start(self) -> None:
        batch, conv = self.proc_params["batch"], self.proc_params["conv"]
        self._conv = None if conv is None else conv_interaction(self.proc_params["name"],
                                                                self.weight, conv)
        if self._conv is None:
            n_post, n_pre = self.weight.shape
            connected = self._mask if self._mask is not None else np.ones(self.weight.shape, bool)
            self._fan_out = connected.sum(axis=0).astype(float)  # synapses a pre event reaches
            self._fan_in = connected.sum(axis=1).astype(float)   # ... a post event (backward)
            self._n_synapses = float(connected.sum())
        else:
            n_post, n_pre = int(np.prod(conv["post_shape"])), int(np.prod(conv["pre_shape"]))
            self._fan_out, self._fan_in = conv_fans(self._conv)
            self._n_synapses = float(self.weight.size)           # the shared parameters
        self._pre, self._post = np.zeros((batch, n_pre)), np.zeros((batch, n_post))
        self._fwd, self._bwd = np.zeros((batch, n_post)), np.zeros((batch, n_pre))

    def run_spk(self) -> None:
        if self._pre is None:
            self._start()
        ctrl = self.ctrl_in.recv()
        self.fwd_out.send(self._fwd)
        self.bwd_out.send(self._bwd)
        d_pre, d_post = self.pre_in.recv(), self.post_in.recv()
        self._pre += d_pre
        self._post += d_post
        self._learn, self._n_valid = float(ctrl[LEARN]), int(ctrl[N_VALID])
        self._count(int(ctrl[PHASE]), d_pre[:self._n_valid], d_post[:self._n_valid])
        if ctrl[SNAP]:
            self._slots[int(ctrl[SNAP])] = (self._pre.copy(), self._post.copy())
        self._drives()

    def _drives(self) -> None:
        self._fwd[:] = self._forward()
        if self._drives_pre:
            self._bwd[:] = self._backward()

    def _forward(self) -> np.ndarray:
        """W·ŝ_pre (a conv: P(W ⋆ ŝ_pre)), in the arrays' own dtype."""
        if self._conv is None:
            return self._pre @ self.weight.T
        return self._kernel().drive_to_post(self._pre)

    def _backward(self) -> np.ndarray:
        """Wᵀ·ŝ_post (a conv: the transposed conv of the unpooled ŝ_post)."""
        if self._conv is None:
            return self._post @ self.weight
        return self._kernel().drive_to_pre(self._post, self._pre)

    def _kernel(self) -> ConvInteraction:
        """The conv interaction over the current weight array (Lava may replace it)."""
        self._conv.projection.weight = self.weight
        return self._conv

    def _count(self, phase: int, d_pre: np.ndarray, d_post: np.ndarray) -> None:
        """Add this step's synaptic operations (events of the valid rows × synapses reached)."""
        pre_events = np.ones_like(d_pre) if self._pre_dense else (d_pre != 0)
        ops = float(np.sum(pre_events @ self._fan_out))
        if self._drives_pre:
            post_events = np.ones_like(d_post) if self._post_dense else (d_post != 0)
            ops += float(np.sum(post_events @ self._fan_in))
        self.synops[phase] += ops

    def lrn_guard(self) -> bool:
        return self._learn != 0.0 and self._lr != 0.0

    def _correlation(self) -> np.ndarray:
        """Σ over the valid rows of ŝ_post ŝ_preᵀ in slot A minus slot B, on existing synapses."""
        n = self._n_valid
        (pre_a, post_a), (pre_b, post_b) = self._slots[SLOT_A], self._slots[SLOT_B]
        if self._conv is not None:
            conv = self._kernel()
            return conv.correlation(pre_a[:n], post_a[:n]) - conv.correlation(pre_b[:n], post_b[:n])
        corr = post_a[:n].T @ pre_a[:n] - post_b[:n].T @ pre_b[:n]
        if self._mask is not None:
            corr *= self._mask
        elif self._lateral:
            np.fill_diagonal(corr, 0)
        return corr

    def run_lrn(self) -> None:
        corr = self._correlation()
        corr *= self._lr * self._learn / self._n_valid
        self.weight[:] += corr
        self._record(corr)
        self._drives()

    def _record(self, dw: np.ndarray) -> None:
        flat = dw.reshape(-1)
        self.dw_stats[0] += np.abs(flat).sum() / self._n_synapses
        self.dw_stats[1] += np.sqrt(flat @ flat / self._n_synapses)
        self.dw_stats[2] += 1


@implements(proc=PlasticSynapse, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyPlasticSynapseModelFloat(_PlasticSynapseModel):
    """floating_pt PlasticSynapse: the engine's arithmetic in float64."""


@implements(proc=PlasticSynapse, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt")
class PyPlasticSynapseModelFixed(_PlasticSynapseModel):
    """Integer mantissas m (W ≈ m·2^e) and payloads p (s = p·2^−Fa):

        fwd = sat_acc(⌊(m·p_pre)·2^(e − Fa_pre + F)⌉)        (the post's state format)
        Δm  = ⌊±corr·2^−(k + Fa_pre + Fa_post + e)⌉,  m ← sat_w(m + Δm)

    where corr = Σ (p_post p_preᵀ)_A − (p_post p_preᵀ)_B is exact in integers and 2^−k is the
    power of two nearest to η·|scale|/n_valid (the learning rate as a shift); rounding nearest
    or stochastic, as the chip config says.
    """

    pre_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int64)
    post_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int64)
    fwd_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int64)
    bwd_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int64)
    weight: np.ndarray = LavaPyType(np.ndarray, np.int64)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        p = self.proc_params
        a = p["arithmetic"]
        self._e = p["weight_exponent"]
        self._fa_pre, self._fa_post = p["pre_frac_bits"], p["post_frac_bits"]
        self._shift_fwd = self._fa_pre - self._e - a["state_frac_bits"]
        self._shift_bwd = self._fa_post - self._e - a["state_frac_bits"]
        self._acc_bits, self._w_bits = a["accumulator_bits"], a["weight_bits"]
        self._rounding = a["rounding"]
        self._rng = np.random.default_rng([a["seed"], zlib.crc32(p["name"].encode())])

    def _start(self) -> None:
        super()._start()
        for name in ("_pre", "_post", "_fwd", "_bwd"):
            setattr(self, name, getattr(self, name).astype(np.int64))

    def _drives(self) -> None:
        n = self._n_valid
        fwd, clipped_f = saturate(shift_round(self._forward(), self._shift_fwd), self._acc_bits,
                                  counted_rows=n)
        self._fwd[:] = fwd
        clipped_b = 0
        if self._drives_pre:
            bwd, clipped_b = saturate(shift_round(self._backward(), self._shift_bwd),
                                      self._acc_bits, counted_rows=n)
            self._bwd[:] = bwd
        self.saturations[0] += clipped_f + clipped_b

    def run_lrn(self) -> None:
        rate_shift = power_of_two_shift(self._lr * abs(self._learn) / self._n_valid)
        k = rate_shift + self._fa_pre + self._fa_post + self._e
        sign = 1 if self._learn > 0 else -1
        dm = shift_round(sign * self._correlation(), k, self._rounding, self._rng)
        weight, clipped = saturate(self.weight + dm, self._w_bits)
        self.saturations[0] += clipped
        self._record((weight - self.weight) * 2.0 ** self._e)
        self.weight[:] = weight
        self._drives()
