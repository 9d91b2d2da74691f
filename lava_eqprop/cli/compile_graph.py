"""``lava-eqprop compile MODEL.toml``: compile a network into a Lava process graph and show it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from lava_eqprop.cli.arguments import non_negative_number, positive_int
from lava_eqprop.cli.train import add_target_option
from lava_eqprop.io.atomic import write_text_atomic
from lava_eqprop.spec.model_spec import load_spec


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compile", help="compile a model into a Lava process graph and print it",
                       description="Build the Lava process graph of MODEL.toml's network (or of a "
                                   "trained --network), let Lava's compiler check it, print its "
                                   "processes, ports and connections, and save them as JSON.")
    p.add_argument("model", type=Path, help="model spec (TOML)")
    p.add_argument("--network", type=Path, help="network.h5 or checkpoint.h5 to compile instead "
                                                "of the spec's initial network")
    p.add_argument("--out", type=Path, help="JSON file to write (default: runs/<model>/graph.json)")
    p.add_argument("--precision", choices=("float", "fixed"), default="float")
    p.add_argument("--lava-batch", type=positive_int, default=1,
                   help="samples per message (default 1)")
    p.add_argument("--event-threshold", type=non_negative_number, default=0.0)
    add_target_option(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lava.magma.core.run_configs import Loihi2SimCfg

    from lava_eqprop.io.hdf5 import load_network
    from lava_eqprop.lava_backend.graph import build_graph, describe, graph_summary
    from lava_eqprop.lava_backend.loihi2.graph import build_loihi2_graph
    from lava_eqprop.lava_backend.loihi2.summary import describe_loihi2, loihi2_summary
    from lava_eqprop.lava_backend.schedule import training_schedule
    from lava_eqprop.lava_backend.settings import settings_from_spec

    spec = load_spec(args.model)
    network = load_network(args.network) if args.network else spec.build_network()
    settings = settings_from_spec(spec, network, batch=args.lava_batch, precision=args.precision,
                                  event_threshold=args.event_threshold, target=args.target)
    schedule = training_schedule(1, settings.batch, spec.ep_settings(), np.random.default_rng(0))
    n_in, n_out = network.inputs[0].size, network.outputs[0].size
    data = (network, settings, schedule, np.zeros((1, n_in)), np.zeros((1, n_out)))
    if args.target == "loihi2":
        loihi2 = build_loihi2_graph(*data)
        loihi2.readout.compile(Loihi2SimCfg(select_tag=settings.tag))
        text, summary = describe_loihi2(loihi2), loihi2_summary(loihi2)
    else:
        graph = build_graph(*data)
        graph.controller.compile(Loihi2SimCfg(select_tag=settings.tag))
        text, summary = describe(graph), graph_summary(graph)
    print(text)
    out = args.out or Path("runs") / spec.name / "graph.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out, json.dumps(summary, indent=2))
    print(f"saved {out}")
    return 0
