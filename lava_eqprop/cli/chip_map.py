"""``lava-eqprop map MODEL.toml --chip loihi2``: place a network on a chip's cores and estimate
energy and latency per sample from the messages it sends, counted on the engine
(:mod:`lava_eqprop.chips.activity`) or in Lava; with ``--target loihi2``, the loihi2 training
graph and what it stores (:mod:`lava_eqprop.chips.learning_storage`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lava_eqprop.chips.partition import LAYOUT_CHOICES
from lava_eqprop.cli.arguments import non_negative_number, positive_int, weight_bits
from lava_eqprop.errors import SpecError
from lava_eqprop.spec.model_spec import load_spec


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "map", help="map a network onto a chip's cores; estimate energy and latency",
        description="Partition MODEL.toml's network (or a trained --network) onto the cores and "
                    "chips of each --chip so that no core exceeds a limit, and print the use of "
                    "every resource and the weight quantisation error; then count the messages "
                    "of a few samples per event threshold and estimate energy and latency per "
                    "training and per inference sample (chips with [energy]).")
    p.add_argument("model", type=Path, help="model spec (TOML)")
    p.add_argument("--network", type=Path, help="network.h5 or checkpoint.h5 instead of the "
                                                "spec's initial network")
    p.add_argument("--chip", nargs="+", default=["loihi2"],
                   help="chip configs (names in chip_configs/ or paths; default loihi2)")
    p.add_argument("--weight-bits", type=weight_bits, help="override the chip's weight width")
    p.add_argument("--target", choices=("cpu", "loihi2"), default="cpu",
                   help="cpu (default): synapses of the chip's weight width; loihi2: the loihi2 "
                        "training graph's learning synapses (Lava's 9-bit weight and 9-bit tag "
                        "each, whatever --weight-bits, which then sets only the weights' "
                        "initial grid) placed on the cores, and a table of everything it "
                        "stores: synapses, weights, tags, traces, neuron state (the chip "
                        "config needs [arithmetic] and [learning]; no energy estimate)")
    p.add_argument("--weights", choices=("chip", "unrolled", "shared"), default="chip",
                   help="how convs are stored: one weight per synapse (unrolled), or kernels "
                        "shared within a core (shared); chip (default): what the chip config's "
                        "[cores] shared_conv_weights says (--target loihi2 is always unrolled: "
                        "Lava has no learning conv)")
    p.add_argument("--layout", choices=LAYOUT_CHOICES, default="best",
                   help="cut images of several channels channel-major, pixel-major, or each "
                        "the way that needs fewer cores (best, the default)")
    limit = p.add_mutually_exclusive_group()
    limit.add_argument("--chips", type=positive_int,
                       help="chips available (error if more are needed)")
    limit.add_argument("--system", help="a system of the chip config's [systems] (its chips "
                                        "are the limit)")
    p.add_argument("--activity", choices=("engine", "lava"), default="engine",
                   help="where the messages are counted: on the engine's dynamics (default; "
                        "fast, any schedule; θ = 0 needs no run at all) or by running the cpu "
                        "graph in Lava (synchronous specs)")
    p.add_argument("--samples", type=positive_int, default=10,
                   help="samples whose messages are counted (default 10)")
    p.add_argument("--event-threshold", type=non_negative_number, nargs="+", default=[0.0],
                   help="event thresholds θ (default 0: every neuron, every step)")
    p.add_argument("--data", type=Path, help="data directory (default: the spec's; without "
                                             "its files, random inputs of the data's shape)")
    p.add_argument("--json", action="store_true", help="also print one JSON object, last line")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lava_eqprop.chips.config import load_chip_config
    from lava_eqprop.chips.fixed_point import weight_quantisation
    from lava_eqprop.chips.learning_storage import learning_storage, synapse_bits
    from lava_eqprop.chips.mapping import map_network
    from lava_eqprop.chips.report import (
        format_mapping,
        learning_storage_summary,
        mapping_summary,
    )
    from lava_eqprop.io.hdf5 import load_network

    spec = load_spec(args.model)
    network = load_network(args.network) if args.network else spec.build_network()
    chips = [load_chip_config(name) for name in args.chip]
    activity = None
    if args.target == "cpu" and any(c.energy is not None and c.cores is not None
                                    for c in chips):
        activity = _activity(args, spec, network)
    results = {}
    for chip in chips:
        storage = learning_storage(network, chip) if args.target == "loihi2" else None
        mapping = map_network(network, chip,
                              weight_bits=synapse_bits() if storage else args.weight_bits,
                              max_chips=_max_chips(args, chip), layout=args.layout,
                              shared_weights=_shared_weights(args, storage is not None))
        arithmetic = chip.arithmetic
        if arithmetic is not None and args.weight_bits:
            arithmetic = arithmetic.with_weight_bits(args.weight_bits)
        summary = mapping_summary(
            mapping, weight_quantisation(network, arithmetic) if arithmetic else None)
        if storage is not None:
            summary["learning_storage"] = learning_storage_summary(storage, mapping)
        print(format_mapping(summary), end="\n\n")
        if activity is not None and chip.energy is not None and chip.cores is not None:
            summary["estimates"] = _estimates(mapping, activity["by_threshold"])
        results[chip.name] = summary
    if args.json:
        print(json.dumps({"model": str(args.model), "chips": results,
                          **({"activity": {k: v for k, v in activity.items()
                                           if k != "by_threshold"}} if activity else {})}))
    return 0


def _shared_weights(args: argparse.Namespace, training_graph: bool) -> bool | None:
    """--weights as map_network's ``shared_weights`` (None: the chip's); the loihi2 training
    graph unrolls its convs, so it refuses shared."""
    if training_graph:
        if args.weights == "shared":
            raise SpecError("--target loihi2 maps the training graph, whose convs are unrolled "
                            "learning synapses (Lava has no learning conv): drop --weights "
                            "shared")
        return False
    return {"chip": None, "unrolled": False, "shared": True}[args.weights]


def _max_chips(args: argparse.Namespace, chip) -> int | None:
    if args.system is None:
        return args.chips
    if args.system not in chip.systems:
        raise SpecError(f"--system {args.system!r} is not a system of {chip.name} "
                        f"({chip.path}); known: {sorted(chip.systems)}")
    return chip.systems[args.system]


def _activity(args: argparse.Namespace, spec, network) -> dict:
    """Per event threshold, the per-sample activity of a training and an inference pass over
    ``--samples`` samples (the data set's, or random inputs without its files), counted as
    ``--activity`` says; and where the inputs came from."""
    from lava_eqprop.chips.activity import activity_inputs, spec_activity

    x, targets, inputs = activity_inputs(spec, network, args.data, args.samples)
    if inputs != spec.data.dataset:
        print(f"counting messages on {inputs} inputs: {spec.data.dataset} was not found",
              file=sys.stderr, flush=True)
    by_threshold = {}
    for threshold in args.event_threshold:
        print(f"counting messages ({args.activity}): {len(x)} samples, event threshold "
              f"{threshold:g}", file=sys.stderr, flush=True)
        if args.activity == "lava":
            by_threshold[f"{threshold:g}"] = _lava_activity(spec, network, x, targets, threshold)
        else:
            by_threshold[f"{threshold:g}"] = spec_activity(spec, network, x, targets,
                                                           threshold)
    return {"counted_on": args.activity, "inputs": inputs, "samples": len(x),
            "by_threshold": by_threshold}


def _lava_activity(spec, network, x, targets, threshold: float) -> dict:
    from lava_eqprop.lava_backend.activity import measure_activity
    from lava_eqprop.lava_backend.settings import settings_from_spec

    settings = settings_from_spec(spec, network, batch=1, event_threshold=threshold)
    return measure_activity(network, settings, spec.ep_settings(), spec.eval_steps, x, targets)


def _estimates(mapping, by_threshold: dict) -> dict:
    """Per event threshold and mode, the energy model on ``mapping``, printed as a table."""
    from lava_eqprop.chips.energy import FORMULA, estimate, route_costs
    from lava_eqprop.chips.report import format_estimates

    routes = route_costs(mapping, mapping.chip.energy)
    out = {threshold: {mode: estimate(mapping, a, routes) for mode, a in modes.items()}
           for threshold, modes in by_threshold.items()}
    print(format_estimates(mapping.chip.name, out))
    print(f"model: {FORMULA}\n")
    return out
