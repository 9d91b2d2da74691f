"""A network of the core description as Brian2 objects: the independent reference simulator.

Each population becomes one ``NeuronGroup`` of ``batch × size`` rate neurons (sample b, unit i
is neuron b·size + i) obeying the gradient flow of the energy (Scellier & Bengio 2017, eq. 8),

    τ ds/dt = b + Σ_projections I_p − a·s + β·c·(y − s)      (then s ← clip(s, lo, hi))

integrated with ``method='euler'`` (Brian2 would pick ``exact`` for this linear-looking system,
which is not the iteration the other backends run). ``β`` is a per-neuron parameter of the
output group, switched on for the nudged phase without rebuilding anything; ``c`` is the loss
scale and ``y`` the target. With ``dt = ε·τ`` one Euler step is the engine's step
s + ε(drive − s); a smaller dt integrates the same ODE in (nearly) continuous time.

Each projection becomes one ``Synapses`` object, replicated per sample (synapse (k, j) of sample
b joins neuron b·n_pre + j to b·n_post + k) and holding one weight per synapse. A conv or
identity projection is first unrolled into the synapses it implies
(:mod:`lava_eqprop.engine.unrolling`: each synapse weighs its entry of the unrolled matrix,
and a per-synapse update folds back onto the shared kernel); max-pooled convs, not linear,
are refused. Its drives are
Brian2 *summed variables*: ``I_p_fwd_post = w·s_pre`` into the post group's ``I_p_fwd`` and,
for a symmetric projection whose pre is free, ``I_p_bwd_pre = w·s_post`` into the pre group's
``I_p_bwd``, so a symmetric weight
is stored once (in Brian2 a summed variable's target must be a parameter of the group, and only
one Synapses object may sum into it: hence one I_p per projection and direction).
A lateral projection (pre is post) sends ``w·s_pre`` only: its W is symmetric with each pair
stored twice, so that sum is the whole drive.

The decay rate is a = λ (the leak, 1 for the energy nets) plus, with Farinha et al.'s outgoing
decay, the sum of the weights out of the neuron, which Brian2 sums itself from the synapses
(summed variables ``O_p_pre = w``, and ``O_p_post = w`` for the pre-driving end of a symmetric
projection) rather than taking the engine's value.

Update order: Brian2 runs a target group's summed-variable updaters in the ``groups`` slot at
the group's ``order − 1``, its Euler step at ``order`` and the clip (``run_regularly``) at
``order + 1``. Every free population gets the order ``3·g + 1`` of its schedule group g: with
one group (``synchronous``) all drives are summed from the old states before any population
moves (Jacobi, as the engine and Lava); with several (``odd_even``, ``colouring``) a later group
sees the moved states of the earlier ones (Gauss-Seidel over groups, as the engine). The split
nudge (a second Euler step from the first one's result) runs between the step and the clip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lava_eqprop.engine.relaxation import Dynamics, schedule_groups
from lava_eqprop.engine.unrolling import Unrolled
from lava_eqprop.errors import NetworkError
from lava_eqprop.network.network import Network, Projection

TAU_MS = 1.0        # the neurons' time constant τ in ms (only dt/τ matters)


@dataclass
class ProjectionSynapses:
    """The Brian2 synapses of one projection and the unrolling that places them."""

    projection: Projection
    synapses: object                  # brian2.Synapses
    unrolled: Unrolled                # (post, pre) pairs, weights per synapse, the fold of ΔW


def _identifier(index: int) -> str:
    """A Brian2-safe variable suffix for the projection of this index (names may hold '-')."""
    return f"p{index}"


class Brian2Model:
    """The Brian2 objects of ``network`` for ``batch`` samples at once (see the module docstring).

    ``dt_fraction`` = dt/τ: ``None`` uses the dynamics' ε (the engine's own scheme); a smaller
    value integrates the same ODE more finely (the continuous-time check).
    """

    def __init__(self, network: Network, dynamics: Dynamics, loss_scale: float, batch: int,
                 dt_fraction: float | None = None) -> None:
        import brian2 as b2

        if len(network.inputs) != 1 or len(network.outputs) != 1:
            raise NetworkError(f"network {network.name!r}: the Brian2 backend needs one input "
                               "and one output population")
        self.network, self.dynamics, self.batch = network, dynamics, batch
        self.loss_scale = loss_scale
        self.dt_fraction = dynamics.epsilon if dt_fraction is None else float(dt_fraction)
        if not 0.0 < self.dt_fraction <= 1.0:
            raise ValueError(f"dt_fraction must be in (0, 1], got {self.dt_fraction}")
        self.dt = self.dt_fraction * TAU_MS * b2.ms
        self.output = network.outputs[0]
        inputs = {p.name: [] for p in network.populations}
        self.outgoing = {p.name: [] for p in network.populations}
        for k, proj in enumerate(network.projections):
            inputs[proj.post].append(f"I_{_identifier(k)}_fwd")
            if self._drives_pre(proj):
                inputs[proj.pre].append(f"I_{_identifier(k)}_bwd")
            for end, name in self._outgoing_sums(proj, k):
                self.outgoing[getattr(proj, end)].append(name)
        order = {pop.name: 3 * g + 1 for g, group in
                 enumerate(schedule_groups(network, dynamics.schedule)) for pop in group}
        self.groups = {}
        objects = []
        for pop in network.populations:
            group = self._population(b2, pop, inputs[pop.name], order.get(pop.name, 0))
            self.groups[pop.name] = group
            objects.append(group)
        self.projections = {}
        for k, proj in enumerate(network.projections):
            made = self._projection(b2, k, proj)
            self.projections[proj.name] = made
            objects.append(made.synapses)
        self.net = b2.Network(*objects)
        self.monitors: dict[str, object] = {}
        self.set_parameters()

    def _outgoing_sums(self, proj: Projection, k: int) -> list[tuple[str, str]]:
        """(end, variable) of the outgoing-weight sums this projection feeds: its pre neurons
        send through it and, for a symmetric one, its post neurons too (free ends only)."""
        if not self.dynamics.outgoing_decay:
            return []
        ends = [("pre", f"O_{_identifier(k)}_out")]
        if proj.symmetric and not proj.lateral:
            ends.append(("post", f"O_{_identifier(k)}_in"))
        return [(end, name) for end, name in ends
                if not self.network.population(getattr(proj, end)).clamped]

    def _drives_pre(self, proj: Projection) -> bool:
        return (proj.symmetric and not proj.lateral
                and not self.network.population(proj.pre).clamped)

    def _population(self, b2, pop, inputs: list[str], order: int):
        n = self.batch * pop.size
        if pop.clamped:
            return b2.NeuronGroup(n, "s : 1", dt=self.dt)
        drive = " + ".join(["bias", *inputs])
        nudged = pop is self.output
        if nudged and not self._split:
            drive += " + beta * scale * (y - s)"
        decay = " + ".join([repr(self.dynamics.leak), *self.outgoing[pop.name]])
        lines = [f"ds/dt = ({drive} - ({decay}) * s) / tau : 1", "bias : 1"]
        lines += [f"{name} : 1" for name in inputs + self.outgoing[pop.name]]
        if nudged:
            lines += ["beta : 1", "y : 1", "scale : 1 (shared, constant)"]
        group = b2.NeuronGroup(n, "\n".join(lines), method="euler", order=order,
                               dt=self.dt, namespace={"tau": TAU_MS * b2.ms})
        if nudged and self._split:
            group.run_regularly(f"s = s + {self.dt_fraction!r} * beta * scale * (y - s)",
                                when="groups", order=order + 1)
        if np.isfinite(pop.act.lo) or np.isfinite(pop.act.hi):
            group.run_regularly(f"s = clip(s, {pop.act.lo!r}, {pop.act.hi!r})", when="groups",
                                order=order + 2)
        return group

    @property
    def _split(self) -> bool:
        return self.dynamics.nudge == "split"

    def _projection(self, b2, k: int, proj: Projection) -> ProjectionSynapses:
        name = _identifier(k)
        model = ["w : 1", f"I_{name}_fwd_post = w * s_pre : 1 (summed)"]
        if self._drives_pre(proj):
            model.append(f"I_{name}_bwd_pre = w * s_post : 1 (summed)")
        for end, variable in self._outgoing_sums(proj, k):
            model.append(f"{variable}_{end} = w : 1 (summed)")
        pre_group, post_group = self.groups[proj.pre], self.groups[proj.post]
        syn = b2.Synapses(pre_group, post_group, "\n".join(model), dt=self.dt)
        unrolled = Unrolled(proj, self.network)
        post, pre = unrolled.post_index, unrolled.pre_index
        n_pre = self.network.population(proj.pre).size
        n_post = self.network.population(proj.post).size
        offsets = np.arange(self.batch)[:, None]
        syn.connect(i=(offsets * n_pre + pre).reshape(-1), j=(offsets * n_post + post).reshape(-1))
        return ProjectionSynapses(proj, syn, unrolled)

    # ---- parameters and data -----------------------------------------------------------
    def set_parameters(self) -> None:
        """Copy the network's weights and biases (replicated per sample) and the loss scale into
        Brian2; β back to 0."""
        for made in self.projections.values():
            made.synapses.w[:] = np.tile(made.unrolled.synapse_weights(), self.batch)
        for pop in self.network.free:
            self.groups[pop.name].bias[:] = np.tile(pop.flat_bias(), self.batch)
        self.groups[self.output.name].beta[:] = 0.0
        self.groups[self.output.name].scale = self.loss_scale

    def load(self, x: np.ndarray, targets: np.ndarray) -> None:
        """Clamp the input to ``x`` (batch, input size), set the targets, free units to zero."""
        self.groups[self.network.inputs[0].name].s[:] = np.asarray(x, float).reshape(-1)
        self.groups[self.output.name].y[:] = np.asarray(targets, float).reshape(-1)
        for pop in self.network.free:
            self.groups[pop.name].s[:] = 0.0

    def set_beta(self, beta: float) -> None:
        """β of the output neurons (0: the free phase)."""
        self.groups[self.output.name].beta[:] = beta

    def states(self) -> dict[str, np.ndarray]:
        """Every free population's state, shape (batch, size)."""
        return {pop.name: np.array(self.groups[pop.name].s[:]).reshape(self.batch, pop.size)
                for pop in self.network.free}

    def run(self, steps: int) -> dict[str, np.ndarray]:
        """Run ``steps`` Brian2 steps in one ``Network.run`` (each call costs ~0.1 s of Brian2
        set-up, so a phase is one call); return each free population's trajectory, shape
        (steps, batch, size), the state after every step (monitors record at ``end``)."""
        import brian2 as b2

        self.net.remove(*self.monitors.values())
        self.monitors = {pop.name: b2.StateMonitor(self.groups[pop.name], "s", record=True,
                                                   when="end")
                         for pop in self.network.free}
        self.net.add(*self.monitors.values())
        self.net.run(steps * self.dt)
        return {name: np.asarray(mon.s).T.reshape(steps, self.batch, -1)
                for name, mon in self.monitors.items()}

    def synapse_activity(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(s_pre, s_post) as Brian2 sees them at each synapse of ``name``, shape (batch, n)."""
        syn = self.projections[name].synapses
        return (np.array(syn.s_pre[:]).reshape(self.batch, -1),
                np.array(syn.s_post[:]).reshape(self.batch, -1))
