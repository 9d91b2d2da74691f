"""``lava-eqprop run NETWORK.h5``: inference (the free phase alone) on a trained network."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from lava_eqprop.capabilities import check_spec
from lava_eqprop.cli.arguments import positive_int
from lava_eqprop.cli.train import add_backend_options, check_backend_options, lava_options
from lava_eqprop.errors import SpecError
from lava_eqprop.io.hdf5 import load_network, load_spec_text
from lava_eqprop.schema import SpecFile
from lava_eqprop.spec.model_spec import load_spec, load_spec_dataset, parse_spec


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="inference on a trained network (free phase only)",
                       description="Run the free phase of a trained network (network.h5 or "
                                   "checkpoint.h5) on a data set's test split and report the "
                                   "error. Dynamics come from the spec stored in the file, or "
                                   "from --model.")
    p.add_argument("network", type=Path, help="network.h5 or checkpoint.h5 written by train")
    p.add_argument("--model", type=Path, help="model spec to take the dynamics and data set from")
    p.add_argument("--data", help="path of the data set (file or directory)")
    p.add_argument("--steps", type=positive_int,
                   help="free-phase steps (default: the spec's eval_steps)")
    p.add_argument("--samples", type=positive_int, help="use only the first N test samples")
    p.add_argument("--json", action="store_true", help="print the result as JSON on the last line")
    add_backend_options(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lava_eqprop.engine.loss import get_loss
    from lava_eqprop.training.data_preparation import check_data_fits, prepared_inputs
    from lava_eqprop.training.evaluate import error_rate
    from lava_eqprop.training.phase_tally import PhaseTally
    from lava_eqprop.training.relaxers import cast_parameters, make_relaxer

    check_backend_options(args)
    network = load_network(args.network)
    if args.model:
        spec = load_spec(args.model)
    else:
        text = load_spec_text(args.network)
        if not text:
            raise SpecError(f"{args.network} stores no model spec: pass --model MODEL.toml")
        spec = parse_spec(SpecFile.parse(text, f"{args.network} (stored spec)"))
    dataset = load_spec_dataset(spec, args.data)
    dataset = dataset.subset(test=args.samples)
    check_data_fits(spec, network, dataset)
    cast_parameters(network, spec.dtype)
    steps = args.steps or spec.eval_steps
    start = time.perf_counter()
    x = prepared_inputs(spec, dataset, spec.dtype)[1]
    extra = {}
    if args.backend == "lava":
        from lava_eqprop.lava_backend.inference import lava_predict
        from lava_eqprop.lava_backend.settings import settings_from_spec

        settings = settings_from_spec(spec, network, training=False, **lava_options(args))
        labels, counters = lava_predict(network, settings, x, steps, dataset.num_classes)
        extra = {"target": args.target, "events_per_sample": counters.get("events"),
                 "synops_per_sample": counters.get("synops")}
        err = float(np.mean(labels != dataset.y_test))
    else:
        check_spec("torch" if args.device else "engine", spec, training=False)
        relaxer = make_relaxer(network, spec.dynamics_settings(),
                               get_loss(spec.learning.loss), spec.dtype, args.device)
        tally = PhaseTally()
        err = error_rate(relaxer, x, dataset.y_test, steps, solver=spec.ep_settings().solver,
                         tally=tally)
        extra = {"relaxation": tally.summary()}
    seconds = time.perf_counter() - start
    result = {"network": str(args.network), "dataset": dataset.name, "backend": args.backend,
              "samples": len(x), "free_steps": steps, "test_error": err, "seconds": seconds,
              "samples_per_second": len(x) / seconds, **extra}
    print(f"{args.network}: test error {100 * err:.2f}% on {len(x)} {dataset.name} samples "
          f"({args.backend}, {steps} free steps, {len(x) / seconds:.0f} samples/s)")
    if args.json:
        print(json.dumps(result))
    return 0
