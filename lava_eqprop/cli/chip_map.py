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
    from lava_eqprop.api import map_network
    from lava_eqprop.chips.energy import FORMULA
    from lava_eqprop.chips.report import format_estimates, format_mapping
    from lava_eqprop.io.hdf5 import load_network

    spec = load_spec(args.model)
    network = load_network(args.network) if args.network else spec.build_network()
    result = map_network(network, args.chip, spec=spec, target=args.target,
                         weight_bits=args.weight_bits, chips=args.chips, system=args.system,
                         layout=args.layout, weights=args.weights, activity=args.activity,
                         samples=args.samples, event_thresholds=args.event_threshold,
                         data=args.data,
                         progress=lambda line: print(line, file=sys.stderr, flush=True))
    for name, summary in result["chips"].items():
        print(format_mapping(summary), end="\n\n")
        if "estimates" in summary:
            print(format_estimates(name, summary["estimates"]))
            print(f"model: {FORMULA}\n")
    if args.json:
        activity = result.get("activity")
        print(json.dumps({"model": str(args.model), "chips": result["chips"],
                          **({"activity": {k: v for k, v in activity.items()
                                           if k != "by_threshold"}} if activity else {})}))
    return 0
