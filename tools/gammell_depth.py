#!/usr/bin/env python3
"""Gammell et al.'s open question of depth: layered nets against small-world ones at 1, 3 and 5
hidden layers on MNIST, beside the authors' logged curves.

Gammell et al. (2021) end with "effectiveness on deeper networks" as a next step. Their
repository (jgammell/equilibrium_propagation) logs a 5-hidden-layer MNIST pair,
784-100-100-100-100-100-10, and a 10-epoch sweep of its rewiring probability p; those logs'
training and test errors per epoch are in tools/reference/gammell_2021_logs.json.

Two families of nets, each at 1, 3 and 5 hidden layers:
- ``w100``: width 100 with the authors' 5-layer settings: one global rate 0.015, 12 nudged
  Euler steps, a rewired connection's weight drawn from U(±0.168);
- ``w500``: width 500 with the 3-layer reproduction's settings (models/gammell_*.toml): rate
  0.02, 8 nudged steps, U(±0.0829) as in the authors' 3-layer log.
At each depth, with the same seed: ``layered`` (the global rate), ``per_layer`` (rates that
undo the vanishing measured on the first 10 batches, growing by at most ×4 per layer towards
the input, with the global rate as their geometric mean,
lava_eqprop/experiments/layer_rates.py) and ``small_world`` (p = 0.1; with one hidden layer
the rewiring may also join pairs inside it, see ONE_HIDDEN_LAYER_SMALL_WORLD);
at width 500 and depth 3 also ``scellier_rates``, Scellier & Bengio's hand-set rates that the
authors' per-layer run used.

Every net relaxes with the solver of tools/time_to_accuracy.py: accelerated block sweeps to a
residual R ≤ 1e-3 in the free and test phases (capped at the authors' 1,000 iterations), the
nudged phase's Euler steps with the authors' count as a cap (a sample's phase stops at the same
residual; --fixed-nudged-steps runs them all, as the authors' code does), persistent particles
as in the authors' code. The authors ran 500 or 1,000 fixed free iterations and 60,000
training images (here the 50,000 of mnist.pkl.gz; --all-training-images trains on 60,000).

Sections (--sections):
- ``depth``: the 19 nets, 10 epochs (--epochs), as one sweep (--jobs at once, --resume);
- ``p_sweep``: the width-100 5-layer small world at the authors' 22 values of p with a
  complete 10-epoch log (p = 0 is the layered net).

Per net: training and test error per epoch (the test error from persistent particles too,
the authors' protocol), each layer pair's RMS correction, and the deepest pair's over the
first's. Against the authors' logs: for the nets with their settings, the difference in test
error epoch by epoch. Plots: OUT/depth_test_error.png, OUT/depth_rms.png, OUT/p_sweep.png.

    python tools/gammell_depth.py --sections depth --jobs 2            # hours
    python tools/gammell_depth.py --sections depth --jobs 2 --resume   # after an interruption
    python tools/gammell_depth.py --sections p_sweep --jobs 2
    python tools/gammell_depth.py --sections depth --only w500-d5-small_world   # one net
    python tools/gammell_depth.py --quick       # digits, widths 16, 1 epoch (the tests)

The last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import lava_eqprop as le
from lava_eqprop.experiments.figures import emit, log, machine
from lava_eqprop.experiments.gammell_nets import (
    FAMILIES,
    FIXED_NUDGED_STEPS,
    LAYERED,
    QUICK_FAMILY,
    QUICK_KEYS,
    SCELLIER_RATES,
    SOLVER,
    Family,
    point,
)
from lava_eqprop.experiments.layer_rates import equalising_rates
from lava_eqprop.experiments.specs import ROOT
from lava_eqprop.experiments.statistics import deepest_over_layer
from lava_eqprop.experiments.sweep_points import finished_points, training_seconds
from lava_eqprop.plots import plot_p_sweep, plot_panels
from lava_eqprop.training.skip_removal import skip_census

REFERENCE = ROOT / "tools" / "reference" / "gammell_2021_logs.json"
DEPTHS = (1, 3, 5)
P_SWEEP_EPOCHS = 10
AUTHORS = {"w100-d5-layered": "5layer_layered", "w100-d5-small_world": "5layer_small_world",
           "w500-d3-layered": "3layer_layered", "w500-d3-small_world": "3layer_small_world",
           "w500-d3-scellier_rates": "3layer_layered_per_layer"}
"""Our nets with the settings of one of the authors' logs, and that log."""
ONE_HIDDEN_LAYER_SMALL_WORLD = {"network.small_world.pool": "any", "dynamics.solver": "euler"}
"""With one hidden layer the only layer-skipping pairs are input → output (7,840), fewer than
the p × connections p = 0.1 moves on average (7,940 at width 100, 39,700 at 500): the
rewiring may also join pairs inside the hidden layer (the authors' SW_intra), and that lateral
projection rules out block sweeps, so the phases are Euler steps stopped at the same
residual."""


def depth_grid_points(families: dict[str, Family],
                      depths: tuple[int, ...]) -> list[tuple[str, str, int, str]]:
    """The depth section's points as (name FAMILY-dDEPTH-VARIANT, family, depth, variant)."""
    grid = []
    for fname in families:
        for depth in depths:
            extra = ("scellier_rates",) if (fname, depth) == ("w500", 3) else ()
            grid += [(f"{fname}-d{depth}-{v}", fname, depth, v)
                     for v in ("layered", "per_layer", "small_world", *extra)]
    return grid


def depth_points(families: dict[str, Family], depths: tuple[int, ...], shared: dict[str, Any],
                 out: Path, resume: bool, only: set[str] | None) -> list[dict[str, Any]]:
    """The depth section's points (those in ``only`` where given); the equalising rates are
    measured once per family and depth (a few seconds each) and kept in OUT/rates.json for a
    resume."""
    saved = out / "rates.json"
    known = json.loads(saved.read_text()) if resume and saved.exists() else {}
    points = []
    for name, fname, depth, variant in depth_grid_points(families, depths):
        if only is not None and name not in only:
            continue
        family, key = families[fname], f"{fname}-d{depth}"
        if variant == "per_layer" and key not in known:
            probe = le.load_spec(LAYERED).with_keys(shared | family.keys(depth))
            known[key] = equalising_rates(probe)
            log(f"{key}: equalising rates " + " ".join(f"{r:.3g}" for r in known[key]))
        if variant == "per_layer":
            points.append(point(name, family, depth, "per_layer", known[key]))
        elif variant == "scellier_rates":
            points.append(point(name, family, depth, "per_layer", SCELLIER_RATES))
        else:
            points.append(point(name, family, depth, variant,
                                **(ONE_HIDDEN_LAYER_SMALL_WORLD
                                   if variant == "small_world" and depth == 1 else {})))
    out.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps(known, indent=1))
    return points


def run_sweep(name: str, points: list[dict[str, Any]], shared: dict[str, Any], epochs: int,
              args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Train the points as one sweep; per point its record (history, seconds)."""
    table = {"sweep": {"name": f"gammell-{name}", "base": str(LAYERED), "epochs": epochs,
                       "set": shared},
             "points": points}
    records, _ = finished_points(table, args.out / name, jobs=args.jobs, resume=args.resume)
    return records


def describe(history: list[dict[str, Any]]) -> dict[str, Any]:
    """A net's per-epoch errors and RMS corrections, and the deepest over first pair ratio."""
    return {
        "train_error": [r["train_error"] for r in history],
        "test_error": [r["test_error"] for r in history],
        "test_error_persistent": [r["test_error_persistent"] for r in history],
        "layer_rms_dw": [r["layer_rms_dw"] for r in history],
        "deepest_over_first": [deepest_over_layer([r], "layer_rms_dw")[0] for r in history],
        "mean_free_steps": [r["relaxation"]["free"]["mean_steps"] for r in history],
        "mean_nudged_steps": [r["relaxation"]["nudged"]["mean_steps"] for r in history],
    }


def against_authors(name: str, ours: dict[str, Any], reference: dict[str, Any]) -> dict[str, Any]:
    """Test error (persistent particles, as the authors measure it) minus theirs, per epoch
    both have, and both at our last epoch."""
    theirs = reference["runs"][AUTHORS[name]]
    mine = ours["test_error_persistent"]
    epochs = min(len(mine), len(theirs["test_error"]))
    return {"log": theirs["log"], "settings": theirs["settings"],
            "test_error_difference": [mine[k] - theirs["test_error"][k] for k in range(epochs)],
            "train_error_difference": [ours["train_error"][k] - theirs["train_error"][k]
                                       for k in range(epochs)],
            "ours_last": mine[epochs - 1], "theirs_same_epoch": theirs["test_error"][epochs - 1],
            "theirs_last": theirs["test_error"][-1], "theirs_epochs": len(theirs["test_error"])}


def shared_keys(args: argparse.Namespace) -> dict[str, Any]:
    """The keys every net of a run shares: how the nets relax (:data:`SOLVER`, with every
    nudged step run under --fixed-nudged-steps) and, under --all-training-images, MNIST's
    60,000 training images."""
    return (SOLVER | (FIXED_NUDGED_STEPS if args.fixed_nudged_steps else {})
            | ({"data.train_on_validation": True} if args.all_training_images else {}))


def depth_grid(quick: bool) -> tuple[dict[str, Family], tuple[int, ...]]:
    """The depth section's families and depths."""
    return ({"w16": QUICK_FAMILY}, (1, 3)) if quick else (FAMILIES, DEPTHS)


def p_points(quick: bool, reference: dict[str, Any],
             seeds: list[int]) -> list[tuple[str, float, int]]:
    """The p sweep's points as (name, p, seed): the authors' 22 values of p (two for the
    tests), each once per seed; seed 1, the specs' own, keeps the bare name ``p<p>``."""
    ps = [0.0, 0.1] if quick else sorted(float(p) for p in reference["p_sweep_5layer"]["by_p"])
    return [(f"p{p:g}" + ("" if seed == 1 else f"-seed{seed}"), p, seed)
            for p in ps for seed in seeds]


def depth_section(args: argparse.Namespace, reference: dict[str, Any]) -> dict[str, Any]:
    families, depths = depth_grid(args.quick)
    shared = shared_keys(args) | (QUICK_KEYS if args.quick else {})
    points = depth_points(families, depths, shared, args.out / "depth", args.resume, args.only)
    runs = run_sweep("depth", points, shared, args.epochs, args)
    nets = {name: describe(run["history"]) | {"seconds": training_seconds(run["history"])}
            for name, run in runs.items()}
    compared = {name: against_authors(name, nets[name], reference)
                for name in AUTHORS if name in nets}
    panels: dict[str, dict[str, list[float]]] = {}
    rms: dict[str, dict[str, list[float]]] = {}
    for name, net in nets.items():
        group, variant = name.rsplit("-", 1)
        panels.setdefault(group, {})[variant] = [100 * e for e in net["test_error_persistent"]]
        rms.setdefault(group, {})[variant] = net["layer_rms_dw"][-1]
        if name in compared:
            log_name = AUTHORS[name]
            curve = reference["runs"][log_name]["test_error"][:max(args.epochs, 1)]
            panels[group][f"authors {log_name}"] = [100 * e for e in curve]
    plot_panels(panels, args.out / "depth_test_error.png", xlabel="epoch",
                ylabel="test error (%), persistent particles",
                title="Layered against small world by depth (MNIST)")
    plot_panels(rms, args.out / "depth_rms.png", xlabel="layer pair (input side first)",
                ylabel="RMS correction, last epoch", title="Updates per layer pair")
    for name, net in nets.items():
        log(f"{name:26s} test error " + " ".join(f"{100 * e:5.2f}" for e in net["test_error"])
            + f" | deepest/first RMS {net['deepest_over_first'][-1]:.1f}")
    return {"nets": nets, "authors": compared}


def p_sweep_section(args: argparse.Namespace, reference: dict[str, Any]) -> dict[str, Any]:
    sweep = reference["p_sweep_5layer"]["by_p"]
    chosen = [(name, p, seed) for name, p, seed in p_points(args.quick, reference, args.seeds)
              if args.only is None or name in args.only]
    family, depth, shared = FAMILIES["w100"], 5, shared_keys(args)
    if args.quick:
        family, depth, shared = QUICK_FAMILY, 3, shared | QUICK_KEYS
    points = [point(name, family, depth, "small_world", **{"network.small_world.p": p},
                    **({} if seed == 1 else {"network.seed": seed, "learning.seed": seed}))
              for name, p, seed in chosen]
    table_runs = run_sweep("p_sweep", points, shared,
                           args.epochs if args.quick else P_SWEEP_EPOCHS, args)
    nets = {}
    for name, p, seed in chosen:
        network = le.load_network(args.out / "p_sweep" / "points" / name / "network.h5")
        nets[name] = (describe(table_runs[name]["history"])
                      | {"p": p, "seed": seed, "skips": skip_census(network)})
    last: dict[str, dict[float, float]] = {}
    for name, net in nets.items():
        label = "lava-eqprop" + ("" if net["seed"] == 1 else f", seed {net['seed']}")
        last.setdefault(label, {})[net["p"]] = net["test_error_persistent"][-1]
    trained = {net["p"] for net in nets.values()}
    theirs = {float(p): curve["test_error"][-1] for p, curve in sweep.items()
              if float(p) in trained}
    plot_p_sweep(last | {"authors' log": {} if args.quick else theirs},
                 args.out / "p_sweep.png",
                 title="Width-100 5-layer small world, test error after 10 epochs")
    for name, net in nets.items():
        log(f"{name:16s} test error {100 * net['test_error_persistent'][-1]:6.2f}%"
            + ("" if args.quick else f"   authors {100 * theirs[net['p']]:6.2f}%")
            + f"   skips {net['skips']['skips']}, hidden-output {net['skips']['hidden_to_output']}"
            + f", input-output {net['skips']['input_to_output']}")
    return {"nets": nets, "authors_last_test_error": {str(p): e for p, e in theirs.items()}}


def checked_only(args: argparse.Namespace, reference: dict[str, Any]) -> set[str] | None:
    """The --only names as a set, each one a point of the chosen sections; a name that is
    not ends the script, with the names there are."""
    if args.only is None:
        return None
    names = {"depth": lambda: [name for name, *_ in depth_grid_points(*depth_grid(args.quick))],
             "p_sweep": lambda: [name for name, _, _ in p_points(args.quick, reference,
                                                                   args.seeds)]}
    known = [name for section in args.sections for name in names[section]()]
    unknown = [name for name in args.only if name not in known]
    if unknown:
        raise SystemExit(f"--only: no point named {', '.join(unknown)} in the sections "
                         f"{', '.join(args.sections)}; the points are: {' '.join(known)}")
    return set(args.only)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sections", nargs="+", choices=("depth", "p_sweep"),
                        default=["depth", "p_sweep"])
    parser.add_argument("--epochs", type=int, default=10, help="epochs of the depth nets")
    parser.add_argument("--jobs", type=int, default=2, help="nets trained at once")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "gammell_depth")
    parser.add_argument("--resume", action="store_true", help="continue interrupted sweeps")
    parser.add_argument("--quick", action="store_true",
                        help="digits, width 16, depths 1 and 3, 1 epoch (the tests)")
    parser.add_argument("--fixed-nudged-steps", action="store_true",
                        help="run every nudged Euler step, as the authors' code does (default: "
                             "a sample's nudged phase stops at the free phases' residual)")
    parser.add_argument("--all-training-images", action="store_true",
                        help="train on MNIST's 60,000 training images, as the authors do "
                             "(default: the 50,000 that mnist.pkl.gz keeps for training)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1],
                        help="p sweep: train each p once per seed (network and learning seed); "
                             "a seed other than 1 adds -seed<S> to the point's name")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="train only these points of the sections, e.g. w500-d5-layered "
                             "or p0.00329 (the points' names are listed on a wrong one)")
    args = parser.parse_args()
    if args.quick and args.all_training_images:
        parser.error("--all-training-images trains on MNIST; --quick trains on digits")
    if args.quick:
        args.epochs = 1
    reference = json.loads(REFERENCE.read_text())
    args.only = checked_only(args, reference)
    sections = {"depth": depth_section, "p_sweep": p_sweep_section}
    results = {name: sections[name](args, reference) for name in args.sections}
    emit({"benchmark": "gammell_depth", "quick": args.quick, "epochs": args.epochs,
          "shared_keys": shared_keys(args), "reference": reference["source"], **results,
          "machine": machine()})


if __name__ == "__main__":
    main()
