"""LearningRatePopulation: the engine's rate neurons as a Lava learning neuron for the Loihi 2
graph, and PhaseCodeSource, the host-side process that sends them the phase.

The third factor. Every step each neuron receives one integer code on ``a_third_factor_in``:

    code = phase + 8·last        phase: 0 LOAD, 1 FREE, 2 NUDGED+ (β > 0), 3 NUDGED− (β < 0),
                                        4 RESTORE;
                                 last: 1 on the last step of a free or nudged phase

so a code fits the 7-bit third-factor register (the largest is 3 + 8 = 11). The phase's sign
is the sign of β; its magnitude |β| (constant over a run) is a parameter of the output
population, whose neurons multiply by it as a constant. An unconnected port reads 0: LOAD,
the population rests at 0. :func:`phase_codes` derives the codes from the same
:class:`~lava_eqprop.lava_backend.protocol.PhasePlan` as the CPU graph's controller, so the
two graphs run the same steps.
"""

import math

import numpy as np
from lava.magma.core.process.neuron import LearningNeuronProcess
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.variable import Var

from lava_eqprop.chips.fixed_point import activation_frac_bits, quantise
from lava_eqprop.lava_backend.procs.base import EPProcess
from lava_eqprop.lava_backend.procs.rate_population.process import check_fixed_point_population
from lava_eqprop.lava_backend.protocol import BETA, FREE, LOAD, NUDGE, PHASE, RESTORE, PhasePlan

LOAD_CODE, FREE_CODE, NUDGED_POS, NUDGED_NEG, RESTORE_CODE = range(5)
PHASE_MASK, LAST = 7, 8


class LearningRatePopulation(LearningNeuronProcess, EPProcess):
    """``size`` rate neurons, one sample (the chip's shape), relaxing by the engine's step
    (Scellier & Bengio 2017, eq. 8; the projected Euler step of RatePopulation, joint nudge):

        FREE, NUDGED±:  s ← clip_[0, hi]( s + ε·(b + a_in·2^drive_shift − s + σβ·scale·(y − s)) )
        LOAD: s ← 0;    RESTORE: s ← s_free;    σ = ±1 in NUDGED±, on the output population only

    The phase arrives as the third factor (module docstring). ``a_in`` is the sum of the
    drives of the stock synapses (LearningDense/LearningSparse with ``num_message_bits`` > 0).
    They send in step t what they computed from the payloads of step t − 1, and the LOAD step
    absorbs that delay as in the CPU graph: the first free step is driven by the rest state
    and the input sent at LOAD. Graded payloads of 2ρ make a_in = 2·Wρ, hence ``drive_shift``:
    −1 in floating point; e + F − Fa − weight_exp in fixed point, for the synapse's weights
    m·2^e held as the mantissas m with Lava's ``weight_exp`` (F and Fa below). ``tgt_in``:
    the target y (output population; state units).

    Outputs, every step:

    * ``s_out``: the activation ρ = s as the graded payload 2ρ, so that a synapse's
      ``GradedSpikeCfg.OVERWRITE`` pre trace is x1 = payload/2 = ρ. OVERWRITE skips a zero
      payload, so ρ = 0 sends the smallest non-zero payload, whose half is 0: float, 2⁻¹⁰⁷⁴
      (Lava's float engine computes x1 = 2⁻¹⁰⁷⁴/2 = 0.0, the tie rounding to even); fixed, 1
      (Lava's fixed engine: x1 = round(1/2) = 0). Fixed point: ρ_q = ⌊v·2^(Fx−F)⌉ with
      Fx = Fa − 1 fraction bits, payload 2ρ_q, an unsigned ``activation_bits``-wide integer
      with Fa fraction bits (the CPU graph's payload format, its last bit 0);
    * ``s_out_bap``: True on the last step of a free or nudged phase (the code's ``last``),
      the y0 that gates the synapses' rule; with ``symmetric``, on the last step of each
      nudged phase only;
    * ``s_out_y2`` = ρ in the free phase, ``s_out_y1`` = ρ in the nudged phases, 0 otherwise
      (``s_out_y3`` = 0): floats in floating point, ρ_q (Fx fraction bits, at most
      2^(A−1) − 1 ≤ 2^trace_bits − 1) in fixed point; the Vars y1, y2, y3 hold what was sent.
      With ``symmetric`` the NUDGED− phase writes y2 instead of y1.

    ``symmetric`` (the estimator, constant over a run like |β|): the sample runs LOAD, FREE,
    NUDGED−, RESTORE, NUDGED+. The free end sends no bap; at the end of NUDGED− (ρ in y2) the
    rule stores the correlation ρρ^{−β} in the tag and leaves W (the tag is 0 from the
    previous sample); at the end of NUDGED+ (ρ in y1) it adds m·2^E·(ρρ^{+β} − ρρ^{−β}) and
    resets the tag: the symmetric contrast (Laborieux et al. 2021), with m·2^E ≈ η/(2β).

    Bias: ``bias_lr`` η_b > 0 makes the last step of a nudged phase of sign σ add
    Δb = η_b/(σβ)·(s − s_free), the CPU graph's update with one sample; s_free is the state
    saved at the last free step (also the RESTORE state). With ``symmetric`` the state at the
    last NUDGED− step is saved as s_minus and the last NUDGED+ step adds
    Δb = η_b/(2β)·(s − s_minus), so the bias does not move between the two nudged phases.

    ``arithmetic`` (a :class:`~lava_eqprop.chips.config.ChipArithmetic` as a dict) selects the
    integer formats of the ``fixed_pt`` model; ``trace_bits`` is the config's [learning] width.
    """

    def __init__(self, *, size: int, bias: np.ndarray, hi: float, epsilon: float,
                 lo: float = 0.0, nudged: bool = False, beta: float = 0.0,
                 loss_scale: float = 1.0, nudge: str = "joint", drive_shift: int = 0,
                 bias_lr: float = 0.0, symmetric: bool = False,
                 arithmetic: dict | None = None, trace_bits: int = 7,
                 name: str = "population") -> None:
        bias = np.asarray(bias, dtype=float).reshape(-1)
        where = f"learning population {name!r}"
        if size < 1 or bias.shape != (size,):
            raise ValueError(f"{where}: size must be >= 1 with one bias per neuron, got size "
                             f"{size} and {bias.size} biases")
        if lo != 0.0 or not hi > 0:
            raise ValueError(f"{where}: traces are non-negative, so the activation must be "
                             f"[0, hi] with hi > 0, got [{lo}, {hi}]")
        if not 0.0 < epsilon <= 1.0:
            raise ValueError(f"{where}: epsilon must be in (0, 1], got {epsilon}")
        if nudge != "joint":
            raise ValueError(f"{where}: nudge {nudge!r}: only the joint nudge is implemented")
        if not (math.isfinite(beta) and beta >= 0) or (nudged and beta == 0):
            raise ValueError(f"{where}: beta is |β| >= 0 (> 0 for the nudged output), got {beta}")
        if bias_lr < 0 or (bias_lr and beta == 0):
            raise ValueError(f"{where}: bias_lr must be >= 0, and > 0 only with beta > 0 "
                             f"(Δb = η_b/β·...), got bias_lr {bias_lr}, beta {beta}")
        if int(drive_shift) != drive_shift:
            raise ValueError(f"{where}: drive_shift must be an integer, got {drive_shift}")
        if arithmetic is not None:
            check_fixed_point_population(where, lo, hi, epsilon)
            check_fixed_point_traces(where, hi, arithmetic, trace_bits, bias_lr)
            bias = quantise(bias, arithmetic["state_frac_bits"])
        super().__init__(shape=(size,), learning_rule=None, size=int(size), hi=float(hi),
                         epsilon=float(epsilon), nudged=bool(nudged), beta=float(beta),
                         loss_scale=float(loss_scale), drive_shift=int(drive_shift),
                         bias_lr=float(bias_lr), symmetric=bool(symmetric),
                         arithmetic=arithmetic,
                         trace_bits=int(trace_bits), name=name)
        self.a_in = InPort(shape=(size,))
        self.tgt_in = InPort(shape=(size,))
        self.s_out = OutPort(shape=(size,))
        self.s = Var(shape=(size,), init=0)
        self.s_free = Var(shape=(size,), init=0)
        self.s_minus = Var(shape=(size,), init=0)
        self.bias = Var(shape=(size,), init=bias)
        self.saturations = Var(shape=(1,), init=0)


def check_fixed_point_traces(where: str, hi: float, arithmetic: dict, trace_bits: int,
                             bias_lr: float) -> None:
    """What the fixed-point traces need: ρ_q (Fa − 1 fraction bits) within the trace, an
    activation of at least 2 bits, and the bias step rounded half up (no random source)."""
    bits = arithmetic["activation_bits"]
    if bits - 1 > trace_bits or activation_frac_bits(hi, bits) < 1:
        raise ValueError(f"{where}: activation payloads 2ρ need activation_bits - 1 <= "
                         f"trace_bits ({trace_bits}) and at least one fraction bit for ρ, got "
                         f"activation_bits {bits}, hi {hi}")
    if bias_lr and arithmetic["rounding"] != "nearest":
        raise ValueError(f"{where}: a learnt bias rounds its step half up; the chip's rounding "
                         f"{arithmetic['rounding']!r} is not implemented for it")


class PhaseCodeSource(EPProcess):
    """Sends the third-factor code of every step (module docstring) to populations of ``size``
    neurons, from a schedule: ``free_steps`` T1, ``nudged_steps`` T2 and ``betas`` (batches, k)
    as for :class:`~lava_eqprop.lava_backend.procs.controller.process.PhaseController`; after
    the schedule, LOAD. One source serves every population of its size (fan-out)."""

    def __init__(self, *, size: int, free_steps: int, nudged_steps: int, betas: np.ndarray,
                 name: str = "phase_codes") -> None:
        if size < 1:
            raise ValueError(f"{name}: size must be >= 1, got {size}")
        codes = phase_codes(free_steps, nudged_steps, betas)
        super().__init__(size=int(size), codes=codes, name=name)
        self.code_out = OutPort(shape=(size,))
        self.step = Var(shape=(1,), init=0)


def phase_codes(free_steps: int, nudged_steps: int, betas: np.ndarray) -> np.ndarray:
    """The code of every step of the schedule, shape (steps,): the phases of
    :meth:`PhasePlan.messages`, with ``last`` on the last step of the free and nudged phases."""
    betas = np.asarray(betas, dtype=float)
    if betas.ndim != 2 or betas.shape[1] > 2:
        raise ValueError(f"betas must be (batches, 0|1|2), got shape {betas.shape}")
    codes = []
    for batch, row in enumerate(betas):
        table = PhasePlan(int(free_steps), int(nudged_steps), tuple(row)).messages(batch, 1)
        phases = table[:, PHASE].astype(int)
        following = np.append(phases[1:], LOAD)
        for phase, beta, after in zip(phases, table[:, BETA], following):
            code = {LOAD: LOAD_CODE, FREE: FREE_CODE, RESTORE: RESTORE_CODE,
                    NUDGE: NUDGED_POS if beta > 0 else NUDGED_NEG}[phase]
            last = phase in (FREE, NUDGE) and after != phase
            codes.append(code + LAST * last)
    return np.array(codes, dtype=np.int64)
