"""Compile a network of symmetric dense projections (masked ones too: small-world, layer
skips) into a Lava graph of Loihi 2's own parts: learning neurons and stock learning synapses,
with the EP update in the synapses' learning engine (floating or fixed point, the one-sided or
the symmetric estimator; β > 0, one sample at a time).

Processes:

* one :class:`LearningRatePopulation` per free population (the output one nudged);
* two stock ``LearningDense`` per symmetric dense projection pre → post (``LearningSparse``
  when the projection has a mask: one synapse per mask entry, stored even while its weight is
  0; Lava's models of it replaced by :mod:`~lava_eqprop.lava_backend.loihi2.sparse`'s, which
  let its rule use the tag), both with
  :func:`~lava_eqprop.lava_backend.loihi2.rule.ep_rule`: the *forward* copy W (post, pre),
  driving post, whose traces y come from post, and the *backward* mirror Wᵀ (pre, post),
  driving pre, whose traces y come from pre. A projection from the clamped input has no
  backward copy: the input needs no drive;
* one :class:`PhaseCodeSource` per population size (it fans out to every population of that
  size); a :class:`SampleSource` sending the current sample's input payload 2x and target y
  every step (one row per sample), and a :class:`PredictionReadout` sending each sample's
  prediction to the host. These three are host processes (on a Loihi 2 system: the host or an
  embedded core); the populations and synapses are what neuro cores run.

Connections (y3 is not read by the rule: left unconnected, it reads 0):

    phase_codes[n].code_out ─► a_third_factor_in of every population of size n
    data.s_out              ─► s_in of the forward copies of projections from the input
    pre.s_out               ─► forward.s_in;     forward.a_out  ─► post.a_in
    post.s_out              ─► backward.s_in;    backward.a_out ─► pre.a_in
    post.s_out_{bap,y1,y2}  ─► forward.s_in_{bap,y1,y2}
    pre.s_out_{bap,y1,y2}   ─► backward.s_in_{bap,y1,y2}
    data.t_out              ─► output.tgt_in
    output.s_out            ─► readout.out_in;   phase_codes[n_out].code_out ─► readout.code_in

Step alignment. A step of the graph is one synchronous (Jacobi) iteration of the engine. A
synapse sends in step t the drive 2W·ρ(t − 1) it computed from the payloads of step t − 1
(Dense's one-step delay), so a population steps from the states of the previous step, as the
engine does. One sample is 1 + T1 + T2 steps: LOAD (every population rests at 0 and sends
ρ = 0, the sources already send the sample's x and y), T1 free steps, T2 nudged steps. The
LOAD step absorbs the delay: the first free step is driven by the rest state and the input
sent at LOAD, the engine's first iteration from zero. The input goes out every step, so every
free and nudged step sees it. On the last step of each phase a population's bap (y0) reaches
its synapses together with the payloads of the same step, so each rule acts on the states of
that step, ρ_pre(t)·ρ_post(t): the free end state (tag) and the nudged end state (weights).
The drive computed in the last nudged step (old W) arrives at the next LOAD, which ignores it.

Symmetric estimator (Laborieux et al. 2021): one sample is LOAD, T1 free steps, T2 steps
nudged by −β, RESTORE, T2 steps nudged by +β (the schedule's (β, −β) run in the order
(−β, β)). Both nudged phases start from the free state, the second from RESTORE, which absorbs
the delay as LOAD does, so the order does not change the states. The same rule, with the
populations built ``symmetric``: the free end sends no bap; at the end of the −β phase the
neurons write ρ into y2, so dt stores the tag t = m·2^K·ρ_post^{−β}ρ_pre^{−β} and
dw = −2^(E−K)·t_old = 0 (the previous sample reset t to 0); at the end of the +β phase (ρ in
y1) dw = m·2^E·(ρ_post^{+β}ρ_pre^{+β}ᵀ − ρ_post^{−β}ρ_pre^{−β}ᵀ) and the tag resets. Both
nudged phases run with the free phase's W.

The learning rate: each projection learns ΔW = m·2^E·(ρ_post^β ρ_pre^βᵀ − ρ_post^0 ρ_pre^0ᵀ),
with m·2^E the representable value nearest to η/β (within 1/8, else refused:
:func:`rule_scale`), kept in :attr:`Loihi2Graph.scales`; both copies use the same scale, so the
mirror learns Wᵀ's update. Symmetric: m·2^E nearest to η/(2β).
Biases learn in the populations: Δb = η_b/β·(s^β − s^0), symmetric η_b/(2β)·(s^β − s^−β).

Fixed point (``settings.precision = "fixed"``: the widths of ``settings.chip`` and of its
config's [learning]; :func:`fixed_plan`, kept in :attr:`Loihi2Graph.plan`):

* activities: ρ_q = ρ·2^Fx with Fx = Fa − 1 (Fa the population's payload fraction bits,
  :func:`~lava_eqprop.chips.fixed_point.activation_frac_bits`), sent as 2ρ_q (1 for ρ_q = 0);
  the input ρ_q = ⌊x·2^Fx⌉ of the input's format, the targets ⌊y·2^F⌉ (half up);
* weights: W ≈ m·2^e, m the chip's ``weight_bits`` mantissa (e from
  ``settings.weight_exponents``, else chosen from W), held by LearningDense as M = 2m in units
  of 2^(e−1): Lava's fixed model truncates mixed-sign initial weights to even values, which M
  is, and learns 8 bits and sign, [−256, 255], whose last bit the updates then use. An M
  outside [−256, 255] (``weight_bits`` > 8, weights beyond the grid) is refused;
* drives: a synapse from sender s into receiver r sends (M·payload)·2^weight_exp, in units of
  2^(e − 1 − Fa_s) in state units, i.e. a scale c = e − 1 − Fa_s + weight_exp. The receiver's
  synapses share one scale, the smallest of their e − 1 − Fa_s: weight_exp ≥ 0 lifts the others
  to it (an exact left shift; a negative one floors), refused above 7, and r's ``drive_shift``
  is that scale + F, so that a_in·2^drive_shift is the drive with F fraction bits;
* the rule: the rate in M-LSBs per unit of ρ_q,post·ρ_q,pre is η/β·2^(−Fx_pre − Fx_post − (e−1))
  and :func:`~lava_eqprop.lava_backend.loihi2.rule.fixed_point_scale` gives m·2^E (within 1/8
  of it, else refused) and K (sized for the largest ρ_q). With E ≥ 0 and K ≥ 0 every update
  is a whole number of LSBs, ΔM = 2^E·(⌊m·ρρ^β/8⌋ − ⌊m·ρρ^0/8⌋), so both copies compute the
  same integers and stay mirrored exactly. With E < 0 or K < 0 Lava rounds the accumulator
  stochastically: both copies get the same rule seed (``settings.chip.seed``), and Lava 0.10
  draws the rounding number of every step from its synaptic-variable generator, which it seeds
  with 2 in every synapse, so both copies round their equal accumulators alike.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
from lava.magma.core.learning.constants import GradedSpikeCfg
from lava.proc.dense.process import Dense, LearningDense
from lava.proc.sparse.process import LearningSparse, Sparse
from scipy.sparse import csr_matrix

from lava_eqprop.chips.config import LearningWidths, load_chip_config
from lava_eqprop.chips.fixed_point import (
    activation_frac_bits,
    choose_weight_exponent,
    quantise,
)
from lava_eqprop.errors import NetworkError
from lava_eqprop.lava_backend.graph import check_supported
from lava_eqprop.lava_backend.loihi2.layout import SynapseLayout, synapse_layout
from lava_eqprop.lava_backend.loihi2.rule import (
    RuleScale,
    ep_rule,
    ep_rule_free_term_first,
    fixed_point_scale,
    nearest_scale,
    pre_payload,
    product_shift,
)
from lava_eqprop.lava_backend.loihi2.sparse import LearningSparseFixed, LearningSparseFloat
from lava_eqprop.lava_backend.procs.learning_population.process import (
    LearningRatePopulation,
    PhaseCodeSource,
)
from lava_eqprop.lava_backend.procs.loihi2_io.process import PredictionReadout, SampleSource
from lava_eqprop.lava_backend.schedule import Schedule
from lava_eqprop.lava_backend.settings import LavaSettings
from lava_eqprop.network.network import Network, Population, Projection

MESSAGE_BITS = 8                # graded payloads (any width > 0 is graded in floating point)
FLOAT_DRIVE_SHIFT = -1          # the synapses deliver 2Wρ
TRACE_PORTS = ("bap", "y1", "y2")
RATE_TOLERANCE = 1 / 8          # the relative error of the learning rate m·2^E ≈ η/β
LAVA_WEIGHTS = (-256, 255)      # LearningDense's fixed-point weights: 8 bits and sign
RULES = {"exact": ep_rule, "free_term_first": ep_rule_free_term_first}
MAX_WEIGHT_EXP = 7              # Loihi 2's largest weight exponent


@dataclass(frozen=True)
class Mirror:
    """The two synapses of one symmetric projection: W forward, its mirror Wᵀ backward (None
    when the pre end is the clamped input); LearningDense, or Dense in an inference graph."""

    forward: Dense
    backward: Dense | None


@dataclass
class Loihi2Graph:
    """The processes of one compiled network (module docstring), by name."""

    network: Network
    settings: LavaSettings
    schedule: Schedule
    scales: dict[str, RuleScale]
    populations: dict[str, LearningRatePopulation]
    synapses: dict[str, Mirror]
    phase_codes: dict[int, PhaseCodeSource]
    data: SampleSource
    readout: PredictionReadout
    layouts: dict[str, SynapseLayout]
    plan: FixedPlan | None = None

    @property
    def process_models(self) -> dict:
        """The models Lava must use instead of its own: LearningSparse's with tags
        (:mod:`~lava_eqprop.lava_backend.loihi2.sparse`)."""
        fixed = self.settings.precision == "fixed"
        return {LearningSparse: LearningSparseFixed if fixed else LearningSparseFloat}

    @property
    def processes(self) -> list:
        mirrors = [s for m in self.synapses.values() for s in (m.forward, m.backward) if s]
        return [*self.phase_codes.values(), self.data, *self.populations.values(), *mirrors,
                self.readout]


def check_scope(network: Network, settings: LavaSettings,
                schedule: Schedule) -> dict[str, SynapseLayout]:
    """Refuse, naming the part and the reason, what this graph does not build yet; the
    synapses of every projection."""
    where = f"network {network.name!r}"
    check_one_sample(network, settings)
    betas = schedule.betas
    if betas.shape[1] not in (1, 2):
        raise NetworkError(f"{where}: the loihi2 graph needs the one-sided or symmetric "
                           f"estimator, got {betas.shape[1]} nudged phases: inference is not "
                           "built")
    symmetric = is_symmetric(schedule)
    if np.any(betas[:, 0] <= 0) or np.unique(betas[:, 0]).size != 1 or (
            symmetric and np.any(betas[:, 1] != -betas[:, 0])):
        raise NetworkError(f"{where}: the loihi2 graph needs one β > 0 for every sample (β < 0 "
                           f"is not built), got betas {np.unique(betas).tolist()}")
    return {proj.name: check_projection(proj, network, settings)
            for proj in network.projections}


def check_one_sample(network: Network, settings: LavaSettings) -> None:
    """What both loihi2 graphs (training and inference) need of the settings: what the Lava
    backend supports, one sample at a time, every neuron sending every step."""
    check_supported(network, settings)
    if settings.batch != 1 or settings.event_threshold != 0:
        raise NetworkError(f"network {network.name!r}: the loihi2 graph runs one sample at a "
                           f"time with every neuron sending every step (batch 1, "
                           f"event_threshold 0), got batch {settings.batch}, event_threshold "
                           f"{settings.event_threshold}")


def learns(proj: Projection, settings: LavaSettings) -> bool:
    """Whether ``proj`` gets learning synapses: plastic with a positive rate."""
    return proj.plastic and settings.weight_rates.get(proj.name, 0.0) > 0


def is_symmetric(schedule: Schedule) -> bool:
    """Whether ``schedule`` runs the symmetric estimator (two nudged phases, β and −β)."""
    return schedule.betas.shape[1] == 2


def check_projection(proj: Projection, network: Network, settings: LavaSettings,
                     learning: bool = True) -> SynapseLayout:
    """Refuse a projection that is not symmetric, between two populations, into a free one,
    and (when ``learning`` and it is plastic) learning; its synapses
    (:func:`~lava_eqprop.lava_backend.loihi2.layout.synapse_layout`, refusing what cannot be
    unrolled)."""
    where = f"projection {proj.name!r}"
    refusals = [
        (proj.lateral, "lateral projections are not built"),
        (not proj.symmetric, "directed (asymmetric) projections are not built"),
        (network.population(proj.post).clamped, "its post population is clamped"),
        (learning and proj.plastic and settings.weight_rates.get(proj.name, 0.0) <= 0,
         "it does not learn (a positive weight rate is needed)"),
    ]
    for refused, why in refusals:
        if refused:
            raise NetworkError(f"{where}: {why}")
    return synapse_layout(proj, network)


def rule_scale(name: str, rate: float) -> RuleScale:
    """The rule's m·2^E nearest to η/β, refused when it is off by more than 1/8 of η/β: never
    for η/β in [2^−5, 7·2^8] (at most 1/9 there); below, the values are 2^−7 apart."""
    scale = nearest_scale(rate)
    if abs(scale.rate - rate) > RATE_TOLERANCE * rate:
        raise NetworkError(f"projection {name!r}: the learning rate per contrast (η/β, or "
                           f"η/(2β) with the symmetric estimator) = {rate:g} is not within "
                           f"1/8 of a rule rate m·2^E (m in [1, 7], E in [-7, 8]); the nearest is "
                           f"{scale.rate:g}")
    return scale


@dataclass(frozen=True)
class FixedPlan:
    """The integer formats of a fixed-point graph (module docstring): per population its
    ``trace_frac`` Fx and ``drive_shift``; per projection the LearningDense weights
    ``mantissas`` M (post, pre) in units of 2^``exponents`` (e − 1), the rule's ``scales``,
    and per (projection, receiving population) the Lava ``weight_exps``; the rule ``seed``."""

    learning: LearningWidths
    trace_frac: dict[str, int]
    drive_shifts: dict[str, int]
    mantissas: dict[str, np.ndarray]
    exponents: dict[str, int]
    scales: dict[str, RuleScale]
    weight_exps: dict[tuple[str, str], int] = field(default_factory=dict)
    seed: int = 0


def fixed_plan(network: Network, settings: LavaSettings, layouts: dict[str, SynapseLayout],
               beta: float | None) -> FixedPlan:
    """The formats, weights (of ``layouts``), drive shifts and rule scales of a fixed-point
    graph, refusing by name what would not be exact or would not fit (module docstring);
    ``beta`` is the rule's β per contrast: β, or 2β with the symmetric estimator (None: no
    learning, no scales)."""
    chip = settings.chip
    if chip is None:
        raise NetworkError(f"network {network.name!r}: precision 'fixed' needs a chip config")
    learning = load_chip_config(chip.name).learning
    if learning is None:
        raise NetworkError(f"chip {chip.name!r}: the loihi2 graph needs the config's [learning] "
                           "widths (traces, accumulator)")
    frac = {pop.name: activation_frac_bits(pop.act.hi, chip.activation_bits) - 1
            for pop in network.populations}
    top = {pop.name: int(quantise(pop.act.hi, frac[pop.name])) for pop in network.populations}
    mantissas, exponents, scales = {}, {}, {}
    scale_in: dict[str, dict[str, int]] = {pop.name: {} for pop in network.free}
    for proj in network.projections:
        where = f"projection {proj.name!r}"
        weights = layouts[proj.name].weights
        e = settings.weight_exponents.get(proj.name)
        if e is None:
            e = choose_weight_exponent(weights, chip.weight_bits, chip.weight_headroom)
        m = 2 * quantise(weights, -e).astype(np.int64)
        if m.min() < LAVA_WEIGHTS[0] or m.max() > LAVA_WEIGHTS[1]:
            raise NetworkError(f"{where}: its weights on the grid 2^{e - 1} would leave "
                               f"[{LAVA_WEIGHTS[0]}, {LAVA_WEIGHTS[1]}] (LearningDense's 8 bits "
                               f"and sign), up to {int(np.abs(m).max())}")
        mantissas[proj.name], exponents[proj.name] = m, e - 1
        scale_in[proj.post][proj.name] = e - 1 - (frac[proj.pre] + 1)
        if proj.pre in scale_in:
            scale_in[proj.pre][proj.name] = e - 1 - (frac[proj.post] + 1)
        if beta is not None and learns(proj, settings):
            rate = settings.weight_rates[proj.name] / beta * 2.0 ** (
                -frac[proj.pre] - frac[proj.post] - (e - 1))
            scales[proj.name] = fixed_rule_scale(where, rate, top[proj.pre], top[proj.post],
                                                 learning)
    shifts, weight_exps = {}, {}
    for receiver, scales_in in scale_in.items():
        common = min(scales_in.values())
        shifts[receiver] = common + chip.state_frac_bits
        for name, c in scales_in.items():
            if c - common > MAX_WEIGHT_EXP:
                raise NetworkError(f"projection {name!r}: its drive into {receiver!r} needs "
                                   f"weight_exp {c - common} > {MAX_WEIGHT_EXP} to share the "
                                   "population's scale")
            weight_exps[name, receiver] = c - common
    return FixedPlan(learning, frac, shifts, mantissas, exponents, scales, weight_exps,
                     chip.seed)


def fixed_rule_scale(where: str, rate: float, pre_max: int, post_max: int,
                     learning: LearningWidths) -> RuleScale:
    """:func:`~lava_eqprop.lava_backend.loihi2.rule.fixed_point_scale` for ``rate`` (M-LSBs per
    unit of ρ_q·ρ_q), refused by name when it cannot be built or is off by more than 1/8."""
    try:
        scale = fixed_point_scale(rate, pre_max, post_max, learning)
    except ValueError as exc:
        raise NetworkError(f"{where}: {exc}") from None
    real = scale.rate / 2 ** product_shift(learning)
    if abs(real - rate) > RATE_TOLERANCE * rate:
        raise NetworkError(f"{where}: the rate {rate:g} LSB per unit of ρ_q·ρ_q is not "
                           f"within 1/8 of a rule rate m·2^E/2^{product_shift(learning)}; "
                           f"the nearest is {real:g}")
    return scale


def io_processes(network: Network, schedule: Schedule, x: np.ndarray, targets: np.ndarray,
                 pops: dict[str, LearningRatePopulation], codes: dict[int, PhaseCodeSource],
                 settings: LavaSettings | None = None,
                 plan: FixedPlan | None = None) -> tuple[SampleSource, PredictionReadout]:
    """The sample source (one payload row 2x and one target row per sample; host-side) and
    the readout of the output population, connected. Fixed point (``plan``): payloads
    2·⌊x·2^Fx⌉ and targets ⌊y·2^F⌉, integers."""
    output = pops[network.outputs[0].name]
    fixed = plan is not None and settings is not None and settings.chip is not None
    payloads = np.asarray(x, float)
    if fixed:
        payloads = quantise(payloads, plan.trace_frac[network.inputs[0].name])
        targets = quantise(targets, settings.chip.state_frac_bits)
    try:
        payloads = pre_payload(payloads, fixed=fixed,
                               trace_bits=plan.learning.trace_bits if fixed else 7)
    except ValueError as exc:
        raise NetworkError(f"input {network.inputs[0].name!r}: {exc}") from None
    data = SampleSource(payloads=payloads,
                        targets=targets, order=schedule.order[:, 0],
                        steps_per_sample=schedule.steps_per_batch,
                        rest_payload=pre_payload(np.zeros(1), fixed=fixed)[0].item())
    data.t_out.connect(output.tgt_in)
    readout = PredictionReadout(size=output.proc_params["size"])
    output.s_out.connect(readout.out_in)
    codes[output.proc_params["size"]].code_out.connect(readout.code_in)
    return data, readout


def build_population(pop: Population, settings: LavaSettings, beta: float, nudged: bool,
                     plan: FixedPlan | None = None,
                     symmetric: bool = False) -> LearningRatePopulation:
    """The population's learning neuron (fixed point: the chip's widths and the plan's drive
    shift; ``symmetric``: the symmetric estimator's traces and baps); its own refusals become
    NetworkErrors."""
    fixed = {}
    if plan is not None and settings.chip is not None:
        fixed = {"arithmetic": dataclasses.asdict(settings.chip),
                 "trace_bits": plan.learning.trace_bits,
                 "drive_shift": plan.drive_shifts[pop.name]}
    try:
        return LearningRatePopulation(
            size=pop.size, bias=pop.flat_bias(), lo=pop.act.lo, hi=pop.act.hi,
            epsilon=settings.dynamics.epsilon, nudged=nudged, beta=beta,
            loss_scale=settings.loss_scale, nudge=settings.dynamics.nudge,
            bias_lr=settings.bias_rates.get(pop.name, 0.0), symmetric=symmetric, name=pop.name,
            **({"drive_shift": FLOAT_DRIVE_SHIFT} | fixed))
    except ValueError as exc:
        raise NetworkError(str(exc)) from None


def plastic_synapse(weights: np.ndarray, mask: np.ndarray | None, scale: RuleScale, name: str,
                    weight_exp: int = 0, rng_seed: int | None = None, contrast: str = "exact",
                    ) -> LearningDense | LearningSparse:
    """A stock LearningDense (``mask`` None) or LearningSparse (one synapse per true entry of
    ``mask``, kept as a stored entry even while its weight is 0) with the EP rule of
    ``contrast`` (:class:`~lava_eqprop.lava_backend.settings.LavaSettings`), taking graded
    payloads as x1 = payload/2; fixed point (integer ``weights``): drive
    (weights·payload)·2^weight_exp, rule seed ``rng_seed``."""
    rule = RULES[contrast](scale, rng_seed=rng_seed)
    common = dict(learning_rule=rule,
                  num_message_bits=MESSAGE_BITS, weight_exp=weight_exp,
                  graded_spike_cfg=GradedSpikeCfg.OVERWRITE, name=name)
    if mask is None:
        return LearningDense(weights=np.array(weights, dtype=float), **common)
    return LearningSparse(weights=sparse_weights(weights, mask), **common)


def sparse_weights(weights: np.ndarray, mask: np.ndarray) -> csr_matrix:
    """The csr matrix of ``weights`` on the entries of ``mask``, zeros stored explicitly (the
    synapses), of the weights' own type (integers stay integers for the fixed-point model)."""
    post, pre = np.nonzero(mask)
    return csr_matrix((np.asarray(weights)[post, pre], (post, pre)), shape=np.shape(mask))


def connect_synapse(synapse: LearningDense | LearningSparse,
                    sender: LearningRatePopulation | SampleSource,
                    receiver: LearningRatePopulation) -> None:
    """sender's payloads into the synapse, its drive into the receiver, whose bap and traces
    gate and feed the synapse's rule."""
    sender.s_out.connect(synapse.s_in)
    synapse.a_out.connect(receiver.a_in)
    for name in TRACE_PORTS:
        getattr(receiver, f"s_out_{name}").connect(getattr(synapse, f"s_in_{name}"))


def fixed_synapse(weights: np.ndarray, mask: np.ndarray | None, name: str,
                  weight_exp: int = 0) -> Dense | Sparse:
    """A stock Dense, or Sparse on ``mask``'s entries, sending (weights·payload)·2^weight_exp."""
    common = dict(num_message_bits=MESSAGE_BITS, weight_exp=weight_exp, name=name)
    if mask is None:
        return Dense(weights=np.array(weights, dtype=float), **common)
    return Sparse(weights=sparse_weights(weights, mask), **common)


def build_mirror(proj: Projection, layout: SynapseLayout, scale: RuleScale | None,
                 pops: dict[str, LearningRatePopulation], data: SampleSource,
                 plan: FixedPlan | None = None, contrast: str = "exact") -> Mirror:
    """Both copies of ``proj`` on ``layout``'s synapses, connected: learning ones with the
    rule of ``contrast`` and ``scale``, fixed ones (Dense/Sparse) for ``scale`` None. The
    forward copy's payloads come from ``data`` when pre is the clamped input. Fixed point: the
    plan's weights M, weight_exps and seed."""
    weight, exps, seed = layout.weights, {}, None
    if plan is not None:
        weight, exps, seed = plan.mantissas[proj.name], plan.weight_exps, plan.seed
    ends = [(pops.get(proj.pre, data), pops[proj.post], weight, layout.mask, "forward")]
    if proj.pre in pops:
        mask = None if layout.mask is None else layout.mask.T
        ends.append((pops[proj.post], pops[proj.pre], np.transpose(weight), mask, "backward"))
    copies = []
    for sender, receiver, w, mask, role in ends:
        name, weight_exp = f"{proj.name}.{role}", exps.get((proj.name, receiver.name), 0)
        if scale is None:
            synapse = fixed_synapse(w, mask, name, weight_exp)
            sender.s_out.connect(synapse.s_in)
            synapse.a_out.connect(receiver.a_in)
        else:
            synapse = plastic_synapse(w, mask, scale, name, weight_exp, seed, contrast)
            connect_synapse(synapse, sender, receiver)
        copies.append(synapse)
    return Mirror(copies[0], copies[1] if len(copies) > 1 else None)


def phase_sources(pops: dict[str, LearningRatePopulation],
                  schedule: Schedule) -> dict[int, PhaseCodeSource]:
    """One PhaseCodeSource per population size, connected to every population of that size;
    the nudged phases run in increasing β: (−β, β) for the symmetric estimator."""
    betas = np.sort(schedule.betas, axis=1)
    codes: dict[int, PhaseCodeSource] = {}
    for pop in pops.values():
        size = pop.proc_params["size"]
        if size not in codes:
            codes[size] = PhaseCodeSource(size=size, free_steps=schedule.free_steps,
                                          nudged_steps=schedule.nudged_steps,
                                          betas=betas, name=f"phase_codes_{size}")
        codes[size].code_out.connect(pop.a_third_factor_in)
    return codes


def build_loihi2_graph(network: Network, settings: LavaSettings, schedule: Schedule,
                       x: np.ndarray, targets: np.ndarray) -> Loihi2Graph:
    """Instantiate and connect the processes (module docstring) for ``schedule`` over the data
    ``x`` (samples, inputs) and ``targets`` (samples, outputs); ``settings.weight_rates`` η and
    ``settings.bias_rates`` η_b. The rule's rate is η/β, or η/(2β) for the symmetric estimator."""
    layouts = check_scope(network, settings, schedule)
    beta = float(schedule.betas[0, 0])
    symmetric = is_symmetric(schedule)
    output = network.outputs[0]
    contrast_beta = 2 * beta if symmetric else beta
    plan = None
    if settings.precision == "fixed":
        plan = fixed_plan(network, settings, layouts, contrast_beta)
    pops = {pop.name: build_population(pop, settings, beta, pop is output, plan, symmetric)
            for pop in network.free}
    codes = phase_sources(pops, schedule)
    data, readout = io_processes(network, schedule, x, targets, pops, codes, settings, plan)
    scales = plan.scales if plan else {
        proj.name: rule_scale(proj.name, settings.weight_rates[proj.name] / contrast_beta)
        for proj in network.projections if learns(proj, settings)}
    synapses = {proj.name: build_mirror(proj, layouts[proj.name], scales.get(proj.name), pops,
                                        data, plan, settings.contrast)
                for proj in network.projections}
    return Loihi2Graph(network, settings, schedule, scales, pops, synapses, codes, data, readout,
                       layouts, plan)
