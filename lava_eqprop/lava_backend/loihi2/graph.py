"""Compile a layered network into a Lava graph of Loihi 2's own parts: learning neurons and
stock learning synapses, with the EP update in the synapses' learning engine (floating point,
one-sided estimator, β > 0, one sample at a time).

Processes:

* one :class:`LearningRatePopulation` per free population (the output one nudged);
* two stock ``LearningDense`` per symmetric dense projection pre → post, both with
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

The learning rate: each projection learns ΔW = m·2^E·(ρ_post^β ρ_pre^βᵀ − ρ_post^0 ρ_pre^0ᵀ),
with m·2^E the representable value nearest to η/β (within 1/8, else refused:
:func:`rule_scale`), kept in :attr:`Loihi2Graph.scales`; both copies use the same scale, so the
mirror learns Wᵀ's update.
Biases learn in the populations (Δb = η_b/β·(s^β − s^0)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from lava.magma.core.learning.constants import GradedSpikeCfg
from lava.proc.dense.process import Dense, LearningDense

from lava_eqprop.errors import NetworkError
from lava_eqprop.lava_backend.graph import check_supported
from lava_eqprop.lava_backend.loihi2.rule import RuleScale, ep_rule, nearest_scale, pre_payload
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

    @property
    def processes(self) -> list:
        mirrors = [s for m in self.synapses.values() for s in (m.forward, m.backward) if s]
        return [*self.phase_codes.values(), self.data, *self.populations.values(), *mirrors,
                self.readout]


def check_scope(network: Network, settings: LavaSettings, schedule: Schedule) -> None:
    """Refuse, naming the part and the reason, what this graph does not build yet."""
    where = f"network {network.name!r}"
    if settings.precision != "float":
        raise NetworkError(f"{where}: the loihi2 graph runs in floating point only, not "
                           f"precision {settings.precision!r}")
    check_supported(network, settings)
    if settings.batch != 1 or settings.event_threshold != 0:
        raise NetworkError(f"{where}: the loihi2 graph runs one sample at a time with every "
                           f"neuron sending every step (batch 1, event_threshold 0), got batch "
                           f"{settings.batch}, event_threshold {settings.event_threshold}")
    betas = schedule.betas
    if betas.shape[1] != 1:
        raise NetworkError(f"{where}: the loihi2 graph needs the one-sided estimator (one "
                           f"nudged phase per sample), got {betas.shape[1]} nudged phases: "
                           "the symmetric estimator and inference are not built")
    if np.any(betas <= 0) or np.unique(betas).size != 1:
        raise NetworkError(f"{where}: the loihi2 graph needs one β > 0 for every sample (β < 0 "
                           f"is not built), got betas {np.unique(betas).tolist()}")
    for proj in network.projections:
        check_projection(proj, network, settings)


def check_projection(proj: Projection, network: Network, settings: LavaSettings,
                     learning: bool = True) -> None:
    """Refuse a projection that is not dense, symmetric, unmasked, between two populations,
    into a free one, and (when ``learning``) learning."""
    where = f"projection {proj.name!r}"
    refusals = [
        (proj.kind != "dense", f"{proj.kind} projections are not built (dense only)"),
        (proj.mask is not None, "masked projections are not built"),
        (proj.lateral, "lateral projections are not built"),
        (not proj.symmetric, "directed (asymmetric) projections are not built"),
        (network.population(proj.post).clamped, "its post population is clamped"),
        (learning and (not proj.plastic or settings.weight_rates.get(proj.name, 0.0) <= 0),
         "it does not learn (a positive weight rate is needed)"),
    ]
    for refused, why in refusals:
        if refused:
            raise NetworkError(f"{where}: {why}")


def rule_scale(name: str, rate: float) -> RuleScale:
    """The rule's m·2^E nearest to η/β, refused when it is off by more than 1/8 of η/β: never
    for η/β in [2^−5, 7·2^8] (at most 1/9 there); below, the values are 2^−7 apart."""
    scale = nearest_scale(rate)
    if abs(scale.rate - rate) > RATE_TOLERANCE * rate:
        raise NetworkError(f"projection {name!r}: η/β = {rate:g} is not within 1/8 of a rule "
                           f"rate m·2^E (m in [1, 7], E in [-7, 8]); the nearest is "
                           f"{scale.rate:g}")
    return scale


def io_processes(network: Network, schedule: Schedule, x: np.ndarray, targets: np.ndarray,
                 pops: dict[str, LearningRatePopulation],
                 codes: dict[int, PhaseCodeSource]) -> tuple[SampleSource, PredictionReadout]:
    """The sample source (one payload row 2x and one target row per sample; host-side) and
    the readout of the output population, connected."""
    output = pops[network.outputs[0].name]
    data = SampleSource(payloads=pre_payload(np.asarray(x, float), fixed=False),
                        targets=targets, order=schedule.order[:, 0],
                        steps_per_sample=schedule.steps_per_batch,
                        rest_payload=float(pre_payload(np.zeros(1), fixed=False)[0]))
    data.t_out.connect(output.tgt_in)
    readout = PredictionReadout(size=output.proc_params["size"])
    output.s_out.connect(readout.out_in)
    codes[output.proc_params["size"]].code_out.connect(readout.code_in)
    return data, readout


def build_population(pop: Population, settings: LavaSettings, beta: float,
                     nudged: bool) -> LearningRatePopulation:
    """The population's learning neuron; its own refusals become NetworkErrors."""
    try:
        return LearningRatePopulation(
            size=pop.size, bias=pop.flat_bias(), lo=pop.act.lo, hi=pop.act.hi,
            epsilon=settings.epsilon, nudged=nudged, beta=beta, loss_scale=settings.loss_scale,
            nudge=settings.nudge, drive_shift=FLOAT_DRIVE_SHIFT,
            bias_lr=settings.bias_rates.get(pop.name, 0.0), name=pop.name)
    except ValueError as exc:
        raise NetworkError(str(exc)) from None


def plastic_synapse(weights: np.ndarray, scale: RuleScale, name: str) -> LearningDense:
    """A stock LearningDense with the EP rule, taking graded payloads as x1 = payload/2."""
    return LearningDense(weights=np.array(weights, dtype=float), learning_rule=ep_rule(scale),
                         num_message_bits=MESSAGE_BITS,
                         graded_spike_cfg=GradedSpikeCfg.OVERWRITE, name=name)


def connect_synapse(synapse: LearningDense, sender: LearningRatePopulation | SampleSource,
                    receiver: LearningRatePopulation) -> None:
    """sender's payloads into the synapse, its drive into the receiver, whose bap and traces
    gate and feed the synapse's rule."""
    sender.s_out.connect(synapse.s_in)
    synapse.a_out.connect(receiver.a_in)
    for name in TRACE_PORTS:
        getattr(receiver, f"s_out_{name}").connect(getattr(synapse, f"s_in_{name}"))


def build_mirror(proj: Projection, scale: RuleScale, pops: dict[str, LearningRatePopulation],
                 data: SampleSource) -> Mirror:
    """Both copies of ``proj``, connected; the forward copy's payloads come from ``data``
    when pre is the clamped input."""
    post = pops[proj.post]
    forward = plastic_synapse(proj.weight, scale, f"{proj.name}.forward")
    connect_synapse(forward, pops.get(proj.pre, data), post)
    if proj.pre not in pops:
        return Mirror(forward, None)
    backward = plastic_synapse(np.transpose(proj.weight), scale, f"{proj.name}.backward")
    connect_synapse(backward, post, pops[proj.pre])
    return Mirror(forward, backward)


def phase_sources(pops: dict[str, LearningRatePopulation],
                  schedule: Schedule) -> dict[int, PhaseCodeSource]:
    """One PhaseCodeSource per population size, connected to every population of that size."""
    codes: dict[int, PhaseCodeSource] = {}
    for pop in pops.values():
        size = pop.proc_params["size"]
        if size not in codes:
            codes[size] = PhaseCodeSource(size=size, free_steps=schedule.free_steps,
                                          nudged_steps=schedule.nudged_steps,
                                          betas=schedule.betas, name=f"phase_codes_{size}")
        codes[size].code_out.connect(pop.a_third_factor_in)
    return codes


def build_loihi2_graph(network: Network, settings: LavaSettings, schedule: Schedule,
                       x: np.ndarray, targets: np.ndarray) -> Loihi2Graph:
    """Instantiate and connect the processes (module docstring) for ``schedule`` over the data
    ``x`` (samples, inputs) and ``targets`` (samples, outputs); ``settings.weight_rates`` η and
    ``settings.bias_rates`` η_b."""
    check_scope(network, settings, schedule)
    beta = float(schedule.betas[0, 0])
    output = network.outputs[0]
    pops = {pop.name: build_population(pop, settings, beta, pop is output)
            for pop in network.free}
    codes = phase_sources(pops, schedule)
    data, readout = io_processes(network, schedule, x, targets, pops, codes)
    scales = {proj.name: rule_scale(proj.name, settings.weight_rates[proj.name] / beta)
              for proj in network.projections}
    synapses = {proj.name: build_mirror(proj, scales[proj.name], pops, data)
                for proj in network.projections}
    return Loihi2Graph(network, settings, schedule, scales, pops, synapses, codes, data, readout)
