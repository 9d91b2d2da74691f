#!/usr/bin/env python3
"""The papers' big conv nets on Loihi-class chips: Hopfield-ResNet13 and the VGG-style DCHN
(models/hopfield_resnet13.toml, models/dchn_vgg.toml) mapped onto Loihi 1 (convs unrolled) and
Loihi 2 (convs unrolled, and stored as shared kernels), with the energy and latency per
training and per inference sample at event thresholds 0 and 0.01, messages counted on the
engine's dynamics (lava_eqprop.chips.activity) over a few CIFAR-10 samples, or random
inputs of CIFAR's shape where the CIFAR-10 files are not found (the output says which).

    python tools/map_conv_nets.py                 # both nets, 2 samples
    python tools/map_conv_nets.py --quick         # conv_mnist instead (the tests)

Prints one table row per net and chip configuration, and one JSON object on its last line.
"""

from __future__ import annotations

import argparse
import time

from lava_eqprop.chips.activity import activity_inputs, spec_activity
from lava_eqprop.chips.config import load_chip_config
from lava_eqprop.chips.energy import estimate, route_costs
from lava_eqprop.chips.mapping import map_network
from lava_eqprop.experiments.figures import emit, log, machine
from lava_eqprop.experiments.specs import MODELS
from lava_eqprop.spec import load_spec

NETS = {"hopfield_resnet13": MODELS / "hopfield_resnet13.toml",
        "dchn_vgg": MODELS / "dchn_vgg.toml"}
QUICK = {"conv_mnist": MODELS / "conv_mnist.toml"}
CONFIGS = (("loihi1", False), ("loihi2", False), ("loihi2", True))
SYSTEMS = {"loihi1": ("pohoiki_springs",), "loihi2": ("kapoho_point", "hala_point")}
THRESHOLDS = (0.0, 0.01)


def measure(spec, network, samples: int) -> tuple[dict, str]:
    """Per threshold, the per-sample activity of a training and an inference pass."""
    x, targets, inputs = activity_inputs(spec, network, None, samples)
    out = {}
    for theta in THRESHOLDS:
        start = time.perf_counter()
        out[theta] = spec_activity(spec, network, x, targets, theta)
        log(f"  messages at threshold {theta:g} on {inputs} inputs: "
            f"{time.perf_counter() - start:.0f} s")
    return out, inputs


def row(name: str, chip, shared: bool, mapping, estimates: dict) -> dict:
    """One line of the table: the map, where it fits, energy and latency per sample."""
    fits = {system: chip.systems[system] >= mapping.chips_used
            for system in SYSTEMS[chip.name] if system in chip.systems}
    return {"net": name, "chip": chip.name, "weights": "shared" if shared else "unrolled",
            "cores": len(mapping.cores), "chips": mapping.chips_used,
            "binding": mapping.binding(),
            "dendrites": sum(1 for g in mapping.graph.groups if g.dendrite_of),
            "fits": fits,
            "per_sample": {f"{theta:g}": {mode: {"energy_uj": e["energy_pj"]["total"] / 1e6,
                                                 "latency_ms": e["latency_ns"]["total"] / 1e6,
                                                 "messages": e["messages"]}
                                          for mode, e in by_mode.items()}
                           for theta, by_mode in estimates.items()}}


def print_row(r: dict) -> None:
    fits = ", ".join(f"{system}: {'yes' if ok else 'no'}" for system, ok in r["fits"].items())
    cells = [r["net"], f"{r['chip']} {r['weights']}", f"{r['cores']}", f"{r['chips']}",
             r["binding"], fits]
    for theta in r["per_sample"]:
        for mode in ("inference", "training"):
            e = r["per_sample"][theta][mode]
            cells.append(f"{e['energy_uj'] / 1e3:.3g} mJ / {e['latency_ms']:.3g} ms")
    print("| " + " | ".join(cells) + " |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="conv_mnist only, 1 sample")
    parser.add_argument("--samples", type=int, default=2, help="samples whose messages count")
    args = parser.parse_args()
    nets, samples = (QUICK, 1) if args.quick else (NETS, args.samples)
    chips = {name: load_chip_config(name) for name in ("loihi1", "loihi2")}
    print("| net | chip, convs | cores | chips | binding | fits | "
          + " | ".join(f"θ={t:g} {m}" for t in THRESHOLDS for m in ("inference", "training"))
          + " |")
    rows, inputs = [], {}
    for name, path in nets.items():
        spec = load_spec(path)
        network = spec.build_network()
        log(f"{name}: {sum(p.size for p in network.populations)} neurons")
        activity, inputs[name] = measure(spec, network, samples)
        for chip_name, shared in CONFIGS:
            chip = chips[chip_name]
            start = time.perf_counter()
            mapping = map_network(network, chip, shared_weights=shared)
            routes = route_costs(mapping, chip.energy)
            log(f"  {chip_name} {'shared' if shared else 'unrolled'}: mapped and routed in "
                f"{time.perf_counter() - start:.0f} s")
            estimates = {theta: {mode: estimate(mapping, a, routes)
                                 for mode, a in modes.items()}
                         for theta, modes in activity.items()}
            rows.append(row(name, chip, shared, mapping, estimates))
            print_row(rows[-1])
    emit({"benchmark": "map_conv_nets", "quick": args.quick, "machine": machine(),
          "samples": samples, "inputs": inputs, "thresholds": THRESHOLDS, "rows": rows})


if __name__ == "__main__":
    main()
