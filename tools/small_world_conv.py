#!/usr/bin/env python3
"""Small-world conv nets: does random layer skipping buy what the learned ResNet skips buy?

Gammell et al. (2021) ask for their rewiring "on harder datasets where depth is very
important". Here the idea is carried over to the depth study's deep conv Hopfield nets
(models/depth_digits_plain.toml and depth_digits_resnet.toml: 8 conv layers of 8 channels, 3x3
pad 1, a dense head; the ResNet adds a learned 1x1 skip per block of two convs). Nets, each
with the same seeds (network and training seed set to each of --seeds):

| net | skips |
|---|---|
| ``plain`` | none |
| ``resnet`` | input→c2, c2→c4, c4→c6, c6→c8: learned 1x1 convs |
| ``random`` | as many learned 1x1 skips, drawn at random per seed (``random_skips``) |
| ``random_p`` | each such pair with probability --p (``random_skip_p``; with --p 0) |

``random`` draws its skips among the pairs of layers at least two apart; it has the ResNet's
parameters to within 56 of 9,424 (the ResNet's first skip leaves the one-channel input).

Data: digits (the depth study's scale, default), or ``--data mnist``, or ``--data
fashion_mnist --data-path DIR`` (the IDX files): 28x28 images, where the first conv has stride
2 so that the chain runs at 14x14 (the ResNet's first skip then has stride 2 too).

The nets run with the torch backend on the CPU when PyTorch is installed (2-4x faster than the
NumPy engine on these narrow convs; the same dynamics, tests/torch_backend), else with NumPy;
--device picks. --train-samples and --test-samples keep the first N images of a large set.

Reports per net the test error per epoch (each seed and the mean over seeds), the drawn skips,
the parameter count, how many projections the nudge at the output crosses to reach the farthest
conv layer and the data's shortest path to the output (lava_eqprop/network/paths.py: 8 and 9 in
the plain net, 5 and 5 in the ResNet). The plot OUT/small_world_conv.png has a panel per net
with each seed's curve: a net either learns or stays at chance, and a mean would hide which.

    python tools/small_world_conv.py --jobs 2                   # digits, 3 seeds, 10 epochs
    python tools/small_world_conv.py --data mnist --train-samples 10000 --epochs 3 --jobs 2
    python tools/small_world_conv.py --quick       # digits, 1 seed, 1 epoch, 96 samples (tests)

The last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import lava_eqprop as le
from lava_eqprop.experiments.figures import emit, log, machine
from lava_eqprop.experiments.specs import MODELS, ROOT
from lava_eqprop.experiments.sweep_points import finished_points, training_seconds
from lava_eqprop.network.paths import hops_to_output
from lava_eqprop.plots import plot_panels
from lava_eqprop.torch_backend import cpu_device_if_installed

PLAIN = MODELS / "depth_digits_plain.toml"
RESNET = MODELS / "depth_digits_resnet.toml"
IMAGES_28 = {"network.conv.input_shape": [1, 28, 28],
             "network.conv.strides": [2, 1, 1, 1, 1, 1, 1, 1]}
QUICK = {"data.train_samples": 96, "data.test_samples": 60}


def points(resnet_skips: int, p: float) -> list[dict[str, Any]]:
    """The nets of the table above as sweep points."""
    nets = [{"name": "plain", "base": str(PLAIN)},
            {"name": "resnet", "base": str(RESNET)},
            {"name": "random", "base": str(PLAIN), "network.conv.random_skips": resnet_skips}]
    if p:
        nets.append({"name": "random_p", "base": str(PLAIN), "network.conv.random_skip_p": p})
    return nets


def data_keys(args: argparse.Namespace) -> dict[str, Any]:
    """The spec keys of the chosen data set and its subset."""
    keys: dict[str, Any] = {f"data.{n}_samples": getattr(args, f"{n}_samples")
                            for n in ("train", "test") if getattr(args, f"{n}_samples")}
    if args.data == "digits":
        return keys
    keys |= {"data.dataset": args.data, **IMAGES_28}
    return keys | ({"data.path": str(args.data_path)} if args.data_path else {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", choices=("digits", "mnist", "fashion_mnist"),
                        default="digits")
    parser.add_argument("--data-path", type=Path, help="the data set's files (fashion_mnist)")
    parser.add_argument("--train-samples", type=int, help="the first N training images")
    parser.add_argument("--test-samples", type=int, help="the first N test images")
    parser.add_argument("--device", choices=("cpu", "cuda", "numpy"),
                        default=cpu_device_if_installed() or "numpy",
                        help="the torch backend's device, or numpy (default: cpu when PyTorch "
                        "is installed)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--p", type=float, default=0.1, help="random_p's probability (0: off)")
    parser.add_argument("--jobs", type=int, default=1, help="nets trained at once")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "small_world_conv")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted study")
    parser.add_argument("--quick", action="store_true", help="digits, 1 seed, 1 epoch")
    args = parser.parse_args()
    shared = data_keys(args)
    if args.quick:
        args.seeds, args.epochs, shared = [1], 1, shared | QUICK
    resnet_skips = len(le.load_spec(RESNET).conv.skips)
    table = {"sweep": {"name": "small-world-conv", "base": str(PLAIN), "epochs": args.epochs,
                       "seeds": args.seeds, "set": shared | {"learning.epochs": args.epochs},
                       **({} if args.device == "numpy" else {"device": args.device})},
             "points": points(resnet_skips, args.p)}
    records, _ = finished_points(table, args.out, jobs=args.jobs, resume=args.resume)
    nets: dict[str, dict[str, Any]] = {}
    for point_name, record in records.items():
        name, seed = point_name.rsplit("_seed-", 1)
        network = le.load_network(args.out / "points" / point_name / "network.h5")
        net = nets.setdefault(name, {"test_error": {}, "skips": {}, "parameters": {},
                                     "farthest_hops": {}, "input_hops": {}})
        net["test_error"][seed] = [r["test_error"] for r in record["history"]]
        net["skips"][seed] = [[p.pre, p.post] for p in network.projections if "~" in p.name]
        net["parameters"][seed] = sum(p.weight.size for p in network.projections if p.plastic)
        hops = hops_to_output(network)
        net["farthest_hops"][seed] = max(hops[p.name] for p in network.free)
        net["input_hops"][seed] = hops["input"]
    for net in nets.values():
        curves = list(net["test_error"].values())
        net["mean_test_error"] = [sum(c[k] for c in curves) / len(curves)
                                  for k in range(len(curves[0]))]
    plot_panels({name: {f"seed {seed}, {net['farthest_hops'][seed]} hops": [100 * e for e in curve]
                        for seed, curve in net["test_error"].items()}
                 for name, net in nets.items()},
                args.out / "small_world_conv.png", xlabel="epoch", ylabel="test error (%)",
                ncols=2, title=f"Random against learned skips ({args.data}), each seed")
    for name, net in nets.items():
        log(f"{name:9s} test error, mean over {len(args.seeds)} seeds: "
            + " ".join(f"{100 * e:5.2f}" for e in net["mean_test_error"])
            + f" | skips per seed {[len(s) for s in net['skips'].values()]}"
            + f" | farthest layer's hops {list(net['farthest_hops'].values())}")
    emit({"benchmark": "small_world_conv", "quick": args.quick, "data": args.data,
          "device": args.device, "set": shared,
          "epochs": args.epochs, "seeds": args.seeds, "p": args.p, "nets": nets,
          "seconds": {k: training_seconds(r["history"]) for k, r in records.items()},
          "machine": machine()})


if __name__ == "__main__":
    main()
