"""``lava_eqprop.compile_lava``, ``lava_eqprop.map_network`` and ``lava_eqprop.crosscheck``: a
network as a Lava process graph, placed on a chip's cores, and run by every backend side by
side."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lava_eqprop.api.inputs import DataLike, SpecLike, as_dataset, logger, network_spec
from lava_eqprop.errors import SpecError
from lava_eqprop.network.network import Network
from lava_eqprop.spec.model_spec import ModelSpec

Progress = Callable[[str], None]
CROSSCHECK_BACKENDS = ("engine", "lava-float", "lava-fixed", "brian2")


@dataclass
class CompiledGraph:
    """A network's Lava process graph, checked by Lava's compiler: the ``graph`` object
    (:class:`~lava_eqprop.lava_backend.graph.EPGraph` or
    :class:`~lava_eqprop.lava_backend.loihi2.graph.Loihi2Graph`), its ``summary`` (processes
    with class, kind, ports and widths, and connections) and its description as ``text``."""

    target: str
    graph: Any
    summary: dict[str, Any]
    text: str

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the summary as JSON, atomically."""
        from lava_eqprop.io.atomic import write_text_atomic

        write_text_atomic(path, json.dumps(self.summary, indent=2))


def compile_lava(network: Network, *, spec: SpecLike | None = None, target: str = "cpu",
                 precision: str = "float", batch: int = 1,
                 event_threshold: float = 0.0) -> CompiledGraph:
    """Build the training graph of ``network`` for ``target`` ("cpu": lava-eqprop's EP
    processes; "loihi2": learning neurons and Lava's stock learning synapses) in ``precision``
    ("float", "fixed"), and let Lava's compiler check it (nothing runs). ``spec``: the
    dynamics and learning (default: the network's own)."""
    from lava_eqprop.lava_backend.graph import build_graph, describe, graph_summary
    from lava_eqprop.lava_backend.loihi2.graph import build_loihi2_graph
    from lava_eqprop.lava_backend.loihi2.summary import describe_loihi2, loihi2_summary
    from lava_eqprop.lava_backend.schedule import training_schedule
    from lava_eqprop.lava_backend.settings import settings_from_spec
    from lava_eqprop.lava_compat import import_lava

    import_lava()
    from lava.magma.core.run_configs import Loihi2SimCfg

    model = network_spec(network, spec)
    settings = settings_from_spec(model, network, batch=batch, precision=precision,
                                  event_threshold=event_threshold, target=target)
    schedule = training_schedule(1, settings.batch, model.ep_settings(),
                                 np.random.default_rng(0))
    n_in, n_out = network.inputs[0].size, network.outputs[0].size
    data = (network, settings, schedule, np.zeros((1, n_in)), np.zeros((1, n_out)))
    if target == "loihi2":
        loihi2 = build_loihi2_graph(*data)
        loihi2.readout.compile(Loihi2SimCfg(select_tag=settings.tag))
        return CompiledGraph(target, loihi2, loihi2_summary(loihi2), describe_loihi2(loihi2))
    graph = build_graph(*data)
    graph.controller.compile(Loihi2SimCfg(select_tag=settings.tag))
    return CompiledGraph(target, graph, graph_summary(graph), describe(graph))


def map_network(network: Network, chip: str | Sequence[str] = "loihi2", *,
                spec: SpecLike | None = None, target: str = "cpu",
                weight_bits: int | None = None, chips: int | None = None,
                system: str | None = None, layout: str = "best", weights: str = "chip",
                activity: str | None = "engine", samples: int = 10,
                event_thresholds: Sequence[float] = (0.0,), data: DataLike = None,
                progress: Progress | None = None) -> dict[str, Any]:
    """Place ``network`` on the cores of each ``chip`` (config names or paths) and report every
    resource's use and the weight quantisation error; for a chip with ``[energy]``, estimate
    energy and latency per training and inference sample from the messages of ``samples``
    samples per event threshold, counted on the engine or in Lava (``activity``; None: no
    estimate). ``target`` "loihi2" maps the loihi2 training graph and lists what it stores.
    ``chips``/``system`` limit the chips; ``layout`` and ``weights`` as ``lava-eqprop map``
    says. Returns ``{"chips": {name: summary}, "activity": ...}``."""
    from lava_eqprop.chips.config import load_chip_config
    from lava_eqprop.chips.fixed_point import weight_quantisation
    from lava_eqprop.chips.learning_storage import learning_storage, synapse_bits
    from lava_eqprop.chips.mapping import map_network as place
    from lava_eqprop.chips.report import learning_storage_summary, mapping_summary

    progress = progress or logger.info
    configs = [load_chip_config(name) for name in ([chip] if isinstance(chip, str) else chip)]
    if chips is not None and system is not None:
        raise SpecError("chips= (--chips) and system= (--system) both limit the chips: give one")
    limits = [_max_chips(config, chips, system) for config in configs]
    shared = _shared_weights(weights, target == "loihi2")
    counted = None
    if activity is not None and target == "cpu" and any(
            c.energy is not None and c.cores is not None for c in configs):
        model = network_spec(network, spec)
        counted = _activity(model, network, activity, samples, event_thresholds, data,
                            progress)
    results = {}
    for config, limit in zip(configs, limits):
        storage = learning_storage(network, config) if target == "loihi2" else None
        mapping = place(network, config,
                        weight_bits=synapse_bits() if storage else weight_bits,
                        max_chips=limit, layout=layout, shared_weights=shared)
        arithmetic = config.arithmetic
        if arithmetic is not None and weight_bits:
            arithmetic = arithmetic.with_weight_bits(weight_bits)
        summary = mapping_summary(
            mapping, weight_quantisation(network, arithmetic) if arithmetic else None)
        if storage is not None:
            summary["learning_storage"] = learning_storage_summary(storage, mapping)
        if counted is not None and config.energy is not None and config.cores is not None:
            summary["estimates"] = _estimates(mapping, counted["by_threshold"])
        results[config.name] = summary
    out: dict[str, Any] = {"chips": results}
    if counted is not None:
        out["activity"] = counted
    return out


def _shared_weights(weights: str, training_graph: bool) -> bool | None:
    """``weights`` as the mapping's ``shared_weights`` (None: the chip's); the loihi2 training
    graph unrolls its convs, so it refuses shared."""
    choices = {"chip": None, "unrolled": False, "shared": True}
    if weights not in choices:
        raise SpecError(f"weights={weights!r} (--weights): one of {', '.join(choices)}")
    if training_graph:
        if weights == "shared":
            raise SpecError("target loihi2 maps the training graph, whose convs are unrolled "
                            "learning synapses (Lava has no learning conv): drop --weights "
                            "shared (weights='shared')")
        return False
    return choices[weights]


def _max_chips(config: Any, chips: int | None, system: str | None) -> int | None:
    if system is None:
        return chips
    if system not in config.systems:
        raise SpecError(f"system (--system) {system!r} is not a system of {config.name} "
                        f"({config.path}); known: {sorted(config.systems)}")
    return int(config.systems[system])


def _activity(spec: ModelSpec, network: Network, counted_on: str, samples: int,
              thresholds: Sequence[float], data: DataLike, progress: Progress) -> dict:
    """Per event threshold, the per-sample activity of a training and an inference pass over
    ``samples`` samples (the data set's, or random inputs without its files), counted on the
    engine or in Lava; and where the inputs came from."""
    from lava_eqprop.chips.activity import activity_inputs, spec_activity

    if counted_on not in ("engine", "lava"):
        raise SpecError(f"activity={counted_on!r} (--activity): engine, lava or None")
    if data is not None and not isinstance(data, (str, os.PathLike)):
        raise SpecError("data= of map_network is the path of the data set's files")
    path = None if data is None else Path(data)
    x, targets, inputs = activity_inputs(spec, network, path, samples)
    if inputs != spec.data.dataset:
        progress(f"counting messages on {inputs} inputs: {spec.data.dataset} was not found")
    by_threshold = {}
    for threshold in thresholds:
        progress(f"counting messages ({counted_on}): {len(x)} samples, event threshold "
                 f"{threshold:g}")
        if counted_on == "lava":
            by_threshold[f"{threshold:g}"] = _lava_activity(spec, network, x, targets,
                                                            threshold)
        else:
            by_threshold[f"{threshold:g}"] = spec_activity(spec, network, x, targets,
                                                           threshold)
    return {"counted_on": counted_on, "inputs": inputs, "samples": len(x),
            "by_threshold": by_threshold}


def _lava_activity(spec: ModelSpec, network: Network, x: np.ndarray, targets: np.ndarray,
                   threshold: float) -> dict:
    from lava_eqprop.lava_backend.activity import measure_activity
    from lava_eqprop.lava_backend.settings import settings_from_spec

    settings = settings_from_spec(spec, network, batch=1, event_threshold=threshold)
    return measure_activity(network, settings, spec.ep_settings(), spec.eval_steps, x, targets)


def _estimates(mapping: Any, by_threshold: dict) -> dict:
    """Per event threshold and mode (training, inference), the energy model on ``mapping``."""
    from lava_eqprop.chips.energy import estimate, route_costs

    routes = route_costs(mapping, mapping.chip.energy)
    return {threshold: {mode: estimate(mapping, a, routes) for mode, a in modes.items()}
            for threshold, modes in by_threshold.items()}


def crosscheck(network: Network, *, spec: SpecLike | None = None, data: DataLike = None,
               samples: int = 100, backends: Sequence[str] = CROSSCHECK_BACKENDS,
               free_steps: int | None = None, nudged_steps: int | None = None,
               beta: float | None = None, tol: float = 1e-3, brian2_dt: float = 1.0,
               brian2_target: str = "numpy", target: str = "cpu", chip: str = "loihi2",
               weight_bits: int | None = None, progress: Progress | None = None
               ) -> dict[str, Any]:
    """Run the free and nudged phases of ``network`` on ``samples`` test samples through the
    engine (the reference) and each of ``backends`` (lava-float, lava-fixed, brian2), and
    compare equilibria and weight updates against their tolerances (the report's ``ok``).
    ``free_steps``, ``nudged_steps``, ``beta``: default the spec's; ``tol``: a phase has
    settled when no unit moves more than this per step; ``brian2_dt``: Brian2's dt as a
    fraction of ε·τ; ``target``: the Lava graph (cpu or loihi2)."""
    from lava_eqprop.crosscheck.check import CrosscheckSetup
    from lava_eqprop.crosscheck.check import crosscheck as run_crosscheck
    from lava_eqprop.engine.loss import get_loss
    from lava_eqprop.engine.phases import ProbeSettings
    from lava_eqprop.training.data_preparation import check_data_fits
    from lava_eqprop.training.relaxers import in_dtype

    model = network_spec(network, spec)
    unknown = sorted(set(backends) - set(CROSSCHECK_BACKENDS))
    if unknown:
        raise SpecError(f"backends {unknown} (--backends): the backends are "
                        f"{', '.join(CROSSCHECK_BACKENDS)}")
    dataset = as_dataset(data, model, network.outputs[0].size).subset(test=samples)
    check_data_fits(model, network, dataset)
    network = in_dtype(network, np.float64)
    x = dataset.x_test.reshape(len(dataset.x_test), -1).astype(float)
    targets = np.eye(dataset.num_classes)[dataset.y_test]
    dynamics = model.dynamics_settings()
    probe = ProbeSettings(beta=beta or model.learning.beta,
                          free_steps=free_steps or model.dynamics.free_steps,
                          nudged_steps=nudged_steps or model.dynamics.nudged_steps, tol=tol)
    setup = CrosscheckSetup(network, dynamics, get_loss(model.learning.loss), probe,
                            backends=tuple(backends), brian2_dt=brian2_dt * dynamics.epsilon,
                            brian2_target=brian2_target, target=target,
                            estimator=model.learning.estimator,
                            progress=progress or logger.info)
    if any(b.startswith("lava") for b in backends):
        from lava_eqprop.lava_backend.settings import settings_from_spec

        loihi2 = target == "loihi2"
        if loihi2:
            _check_loihi2_estimator(model)
        common: dict[str, Any] = dict(batch=1 if loihi2 else len(x), training=False, chip=chip,
                      weight_bits=weight_bits)
        setup.lava_float = settings_from_spec(model, network, precision="float", target=target,
                                              **common)
        if "lava-fixed" in backends:      # the loihi2 graph takes the fixed-point settings
            setup.lava_fixed = settings_from_spec(model, network, precision="fixed", **common)
    report = run_crosscheck(setup, x, targets)
    report["dataset"] = dataset.name
    return report


def _check_loihi2_estimator(spec: ModelSpec) -> None:
    """Refuse, naming the key and the option, an estimator the loihi2 graph does not learn
    with (the cross-check runs the graph with the spec's estimator)."""
    from lava_eqprop.capabilities import refusal, supported

    estimator = spec.learning.estimator
    if estimator not in supported("lava-loihi2", "estimator"):
        raise SpecError(refusal("lava-loihi2", "estimator", estimator,
                                f"{spec.path} with --target loihi2"))
