"""The loihi2 graph for inference: the free phase alone, with stock ``Dense`` synapses.

The same parts as the training graph (:mod:`lava_eqprop.lava_backend.loihi2.graph`) without
learning: one :class:`LearningRatePopulation` per free population (none nudged, no bias rate),
a stock ``Dense`` W forward and its mirror Wᵀ backward per projection (``Sparse`` on a masked
projection's entries or an unrolled conv's synapses; graded payloads 2ρ, so the drive is 2Wρ
as in training), the phase codes
of a schedule without nudged phases, the host-side sample source and the readout, which
reports each sample's argmax at the last free step. The populations and synapses are what
neuro cores would run; the source, the phase codes and the readout are host processes.
Floating or fixed point (the training graph's formats, :func:`fixed_plan`), one sample at a
time.
"""

from __future__ import annotations

import numpy as np

from lava_eqprop.errors import NetworkError
from lava_eqprop.lava_backend.loihi2.graph import (
    Loihi2Graph,
    build_mirror,
    build_population,
    check_one_sample,
    check_projection,
    fixed_plan,
    io_processes,
    phase_sources,
)
from lava_eqprop.lava_backend.loihi2.layout import SynapseLayout
from lava_eqprop.lava_backend.schedule import Schedule
from lava_eqprop.lava_backend.settings import LavaSettings
from lava_eqprop.network.network import Network


def check_inference_scope(network: Network, settings: LavaSettings,
                          schedule: Schedule) -> dict[str, SynapseLayout]:
    """Refuse, naming the part, what the inference graph does not build; the synapses of every
    projection."""
    check_one_sample(network, settings)
    if schedule.betas.shape[1] != 0:
        raise NetworkError(f"network {network.name!r}: the loihi2 inference graph runs the "
                           "free phase alone")
    return {proj.name: check_projection(proj, network, settings, learning=False)
            for proj in network.projections}


def build_loihi2_inference_graph(network: Network, settings: LavaSettings, schedule: Schedule,
                                 x: np.ndarray) -> Loihi2Graph:
    """Instantiate and connect the free-phase graph (module docstring) over ``x`` (samples,
    inputs) for an :func:`~lava_eqprop.lava_backend.schedule.inference_schedule`."""
    layouts = check_inference_scope(network, settings, schedule)
    plan = None
    if settings.precision == "fixed":
        plan = fixed_plan(network, settings, layouts, None)
    pops = {pop.name: build_population(pop, settings, 0.0, False, plan)
            for pop in network.free}
    codes = phase_sources(pops, schedule)
    targets = np.zeros((len(x), network.outputs[0].size))
    data, readout = io_processes(network, schedule, x, targets, pops, codes, settings, plan)
    synapses = {proj.name: build_mirror(proj, layouts[proj.name], None, pops, data, plan)
                for proj in network.projections}
    return Loihi2Graph(network, settings, schedule, {}, pops, synapses, codes, data, readout,
                       layouts, plan)
