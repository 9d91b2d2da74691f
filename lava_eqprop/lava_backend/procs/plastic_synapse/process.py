"""PlasticSynapse: one projection's weight, its drives and its local EP update."""

import numpy as np
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.variable import Var

from lava_eqprop.chips.fixed_point import choose_weight_exponent, quantise_weight
from lava_eqprop.lava_backend.procs.base import EPProcess
from lava_eqprop.lava_backend.protocol import CTRL_SIZE


class PlasticSynapse(EPProcess):
    """A dense (optionally masked) weight W (post × pre) between two populations, or with
    ``conv`` a shared conv kernel (out, in, kh, kw) between two image populations: ``conv`` =
    {"pre_shape", "post_shape", "stride", "padding", "pool", "pool_size"}, W·ŝ_pre then means
    P(W ⋆ ŝ_pre) and Wᵀ·ŝ_post the transposed conv of the unpooled ŝ_post, and the Hebbian
    term is the kernel correlation (the engine's :class:`ConvInteraction`, whose docstring
    gives the equations), so the rule below updates the one shared kernel.

    Each step it sends ``fwd_out`` = W·ŝ_pre and, with ``drives_pre`` (a symmetric projection
    whose pre end is a free population), ``bwd_out`` = Wᵀ·ŝ_post,
    computed from the activity received in the previous step (like Lava's Dense, which is why a
    step of the graph is one synchronous iteration), then receives the sigma-delta events of
    both ends on ``pre_in``/``post_in`` and adds them to ŝ. On a ``snap`` step it copies ŝ into
    slot A or B; on a ``learn`` step its ``run_lrn`` applies the local contrastive rule
    (Scellier & Bengio 2017, eq. 13; the one-sided or symmetric estimator by the slots' meaning):

        ΔW = η · scale · (ŝ_post^A ŝ_pre^Aᵀ − ŝ_post^B ŝ_pre^Bᵀ) ⊙ mask / n_valid

    summed over the valid rows of the batch (the same rule in Loihi 2's learning engine, with
    the contrast kept in the synaptic tag: :mod:`lava_eqprop.lava_backend.loihi2.rule`).
    ``synops`` counts synaptic operations per phase (load, free, nudged, restore): every event
    that drives a neuron times the number of synapses it reaches (pre events forward; post
    events backward, with ``drives_pre`` only).
    ``pre_dense``/``post_dense``: that end sends every step (θ = 0 and a population; the data
    source sends at LOAD only), so every neuron of it counts as an event each step.
    ``dw_stats`` sums, over the updates, the mean |ΔW| and the RMS ΔW over the existing
    synapses, and counts the updates (Gammell et al. 2021's per-layer update magnitudes).
    A lateral projection (pre is post) connects ``pre_in`` and ``post_in`` to the same
    population and sends only ``fwd_out`` (its W is symmetric, so W·ŝ covers both directions).

    With ``arithmetic`` (the ``fixed_pt`` model) the weight Var holds the mantissas m of
    W ≈ m·2^e, e = ``weight_exponent`` (a chip sets it once, when the network is placed; None:
    chosen here from ``weight`` with the config's headroom); the activity
    arrives as payloads with ``pre_frac_bits``/``post_frac_bits`` fraction bits, and
    ``saturations`` counts drives clipped to the accumulator and weights clipped to their width.
    """

    def __init__(self, *, batch: int, weight: np.ndarray, mask: np.ndarray | None = None,
                 drives_pre: bool = True, lateral: bool = False, learning_rate: float = 0.0,
                 pre_dense: bool = True, post_dense: bool = True, arithmetic: dict | None = None,
                 pre_frac_bits: int = 0, post_frac_bits: int = 0,
                 weight_exponent: int | None = None, conv: dict | None = None,
                 name: str = "synapse") -> None:
        weight = np.asarray(weight, dtype=float)
        where = f"synapse {name!r}"
        if conv is None and weight.ndim != 2:
            raise ValueError(f"{where}: weight must be 2-D (post, pre), got shape {weight.shape}")
        if conv is not None and (weight.ndim != 4 or mask is not None or lateral):
            raise ValueError(f"{where}: a conv kernel must be 4-D (out, in, kh, kw), without "
                             f"mask and not lateral; got shape {weight.shape}")
        if mask is not None:
            mask = np.asarray(mask, dtype=bool)
            if mask.shape != weight.shape:
                raise ValueError(f"{where}: mask shape {mask.shape} != weight shape {weight.shape}")
        if lateral and weight.shape[0] != weight.shape[1]:
            raise ValueError(f"{where}: a lateral weight must be square, got {weight.shape}")
        if lateral and drives_pre:
            raise ValueError(f"{where}: a lateral projection drives its population through fwd_out "
                             "only (drives_pre must be False)")
        n_post, n_pre = (weight.shape if conv is None else
                         (int(np.prod(conv["post_shape"])), int(np.prod(conv["pre_shape"]))))
        exponent = 0
        if arithmetic is not None:
            exponent = weight_exponent
            if exponent is None:
                exponent = choose_weight_exponent(weight, arithmetic["weight_bits"],
                                                  arithmetic["weight_headroom"])
            weight, _ = quantise_weight(weight, exponent, arithmetic["weight_bits"])
        super().__init__(batch=batch, mask=mask, drives_pre=bool(drives_pre), lateral=bool(lateral),
                         learning_rate=float(learning_rate), pre_dense=bool(pre_dense),
                         post_dense=bool(post_dense),
                         arithmetic=arithmetic, weight_exponent=int(exponent),
                         pre_frac_bits=int(pre_frac_bits), post_frac_bits=int(post_frac_bits),
                         conv=conv, name=name)
        self.ctrl_in = InPort(shape=(CTRL_SIZE,))
        self.pre_in = InPort(shape=(batch, n_pre))
        self.post_in = InPort(shape=(batch, n_post))
        self.fwd_out = OutPort(shape=(batch, n_post))
        self.bwd_out = OutPort(shape=(batch, n_pre))
        self.weight = Var(shape=weight.shape, init=weight)
        self.synops = Var(shape=(4,), init=0)
        self.dw_stats = Var(shape=(3,), init=0)
        self.saturations = Var(shape=(1,), init=0)
