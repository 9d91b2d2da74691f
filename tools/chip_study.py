#!/usr/bin/env python3
"""Chip study: the MNIST nets mapped onto Loihi 1 and Loihi 2, a
net too large for one chip, and the energy and latency per training and inference sample with
the event threshold off and on, from activity measured in Lava.

Nets: models/scellier_784-500-10.toml (1 hidden layer); models/gammell_small_world.toml cut to
784-500-10 (p = 0.1; one hidden layer has only 7840 layer-skipping pairs, input to output, fewer
than the 39700 connections rewired, so its pool also allows pairs inside the hidden layer);
models/gammell_layered_global.toml (784-500-500-500-10) and models/gammell_small_world.toml
(the same, p = 0.1 layer-skipping); each as initialised by its spec (or trained weights with
--weights NAME=FILE.h5, e.g. a reproduce_*.py run's network.h5); and
784-2048-2048-2048-10 ("too_large", mapped only). Lava starts every sample from zero, so the
specs run here with persistent = false (their other settings kept: Gammell's 500 free steps).

    python tools/chip_study.py                  # 3 MNIST nets + the large one, 2 chips
    python tools/chip_study.py --quick          # digits only, 2 samples (the tests)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from lava_eqprop.chips.config import load_chip_config
from lava_eqprop.chips.energy import FORMULA, estimate
from lava_eqprop.chips.fixed_point import weight_quantisation
from lava_eqprop.chips.mapping import map_network
from lava_eqprop.chips.report import format_estimates, format_mapping, mapping_summary
from lava_eqprop.experiments.figures import emit, log, machine
from lava_eqprop.experiments.specs import MODELS, ROOT, derive_spec
from lava_eqprop.io.hdf5 import load_network
from lava_eqprop.spec import load_spec
from lava_eqprop.spec.model_spec import load_spec_dataset

NETS = {"mnist_1_hidden": (MODELS / "scellier_784-500-10.toml", {"dynamics.persistent": False}),
        "mnist_1_hidden_small_world": (MODELS / "gammell_small_world.toml",
                                       {"network.layers": [784, 500, 10],
                                        "network.small_world.pool": "any",
                                        "dynamics.persistent": False}),
        "mnist_3_hidden": (MODELS / "gammell_layered_global.toml", {"dynamics.persistent": False}),
        "mnist_3_hidden_small_world": (MODELS / "gammell_small_world.toml",
                                       {"dynamics.persistent": False})}
TOO_LARGE = (MODELS / "scellier_784-500-500-500-10.toml",
             {"network.layers": [784, 2048, 2048, 2048, 10]})
QUICK = {"digits": (MODELS / "digits.toml", {})}
THRESHOLDS = (0.0, 0.01)


def measured(spec, network, samples: int, thresholds) -> dict:
    """Per threshold, the per-sample Activity of a training pass and of an inference pass."""
    from lava_eqprop.lava_backend.activity import measure_activity
    from lava_eqprop.lava_backend.settings import settings_from_spec

    data = load_spec_dataset(spec).subset(train=samples)
    x = data.x_train.reshape(len(data.x_train), -1).astype(float)
    targets = np.eye(data.num_classes)[data.y_train]
    out = {}
    for theta in thresholds:
        start = time.perf_counter()
        settings = settings_from_spec(spec, network, batch=1, event_threshold=theta)
        out[theta] = measure_activity(network, settings, spec.ep_settings(), spec.eval_steps, x,
                                      targets)
        log(f"  activity at threshold {theta:g}: {time.perf_counter() - start:.0f} s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="digits only, 2 samples")
    parser.add_argument("--chips", nargs="+", default=["loihi1", "loihi2"])
    parser.add_argument("--samples", type=int, default=10, help="samples measured in Lava")
    parser.add_argument("--weights", nargs="*", default=[], metavar="NAME=FILE",
                        help="trained weights for a net of the study")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "chip_study")
    args = parser.parse_args()
    nets, samples = (QUICK, 2) if args.quick else (NETS, args.samples)
    weights = dict(item.partition("=")[::2] for item in args.weights)
    for name, path in weights.items():
        if name not in nets or not path:
            parser.error(f"--weights takes NAME=FILE.h5 with NAME one of {sorted(nets)}")
    chips = [load_chip_config(name) for name in args.chips]
    figures: dict = {"maps": {}, "estimates": {}}
    for name, (source, overrides) in {**nets, **({} if args.quick else
                                                 {"too_large": TOO_LARGE})}.items():
        spec = load_spec(derive_spec(source, args.out / name / "spec.toml", overrides))
        network = load_network(weights[name]) if name in weights else spec.build_network()
        log(f"{name}: {spec.name}, {sum(p.size for p in network.populations)} neurons, "
            f"{network.num_connections} connections")
        figures["maps"][name], mappings = {}, {}
        for chip in chips:
            mapping = mappings[chip.name] = map_network(network, chip)
            summary = mapping_summary(mapping, weight_quantisation(network, chip.arithmetic))
            print(format_mapping(summary), end="\n\n")
            figures["maps"][name][chip.name] = summary
        if name == "too_large":
            continue
        activity = measured(spec, network, samples, THRESHOLDS)
        figures["estimates"][name] = {}
        for chip in chips:
            mapping = mappings[chip.name]
            by_threshold = {f"{theta:g}": {mode: estimate(mapping, a)
                                           for mode, a in modes.items()}
                            for theta, modes in activity.items()}
            print(f"{name}\n{format_estimates(chip.name, by_threshold)}\n")
            figures["estimates"][name][chip.name] = by_threshold
    print(f"model: {FORMULA}")
    emit({"benchmark": "chip_study", "quick": args.quick, "machine": machine(),
          "samples": samples, "weights": weights, "thresholds": THRESHOLDS, **figures})


if __name__ == "__main__":
    main()
