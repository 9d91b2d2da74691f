#!/usr/bin/env python3
"""Are layer-skipping connections a training scaffold only? Train Gammell et al.'s small world,
remove its skips, and compare with the layered net trained from scratch on the same budget.

Gammell et al. (2021) list "try training a network with added layer-skipping connections, then
removing them afterwards" as a next step. With N epochs in all and K of them at the end (the
same seed everywhere; ``[learning] remove_skips``, lava_eqprop/training/skip_removal.py):

| net | what |
|---|---|
| ``layered`` | the layered net, N epochs, one global rate (the baseline from scratch) |
| ``small_world`` | the small world (p = 0.1), N epochs, skips kept |
| ``at_once`` | ``small_world`` with its skips removed after epoch N (no training after) |
| ``at_once_finetune`` | skips removed after epoch N − K, then K epochs of fine-tuning |
| ``fade`` | skips faded out over the last K epochs, the last factor after epoch N |
| ``fade_finetune`` | skips faded out over epochs N − 2K + 1 … N − K, then K epochs of fine-tuning |

The nets are those of tools/gammell_depth.py (--net: w100-d5, the authors' 5-layer net where
the skips help most, or w500-d3, the 3-layer reproduction), relaxed with its solver. The test
error is measured from a zero state after every epoch; the removal epoch's is the net's right
after the removal, before any fine-tuning.

    python tools/gammell_skip_removal.py --jobs 2               # w100-d5, N = 10, K = 3
    python tools/gammell_skip_removal.py --net w500-d3 --resume
    python tools/gammell_skip_removal.py --quick     # digits, width 16, N = 4, K = 2 (tests)

Plot: OUT/errors.png. The last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import lava_eqprop as le
from lava_eqprop.experiments.figures import emit, log, machine
from lava_eqprop.experiments.gammell_nets import (
    FAMILIES,
    LAYERED,
    QUICK_FAMILY,
    QUICK_KEYS,
    SOLVER,
    Family,
    point,
)
from lava_eqprop.experiments.specs import ROOT
from lava_eqprop.experiments.sweep_points import finished_points
from lava_eqprop.plots import plot_errors
from lava_eqprop.training.skip_removal import live_skips, remove_skips

NETS = {"w100-d5": (FAMILIES["w100"], 5), "w500-d3": (FAMILIES["w500"], 3)}


def removal_points(family: Family, depth: int, epochs: int, tail: int) -> list[dict[str, Any]]:
    """The trained nets of the table above."""
    fade = {"learning.remove_skips": "fade", "learning.remove_skips_over": tail}
    return [
        point("layered", family, depth, "layered"),
        point("small_world", family, depth, "small_world"),
        point("at_once_finetune", family, depth, "small_world",
              **{"learning.remove_skips": "at_once",
                 "learning.remove_skips_after": epochs - tail}),
        point("fade", family, depth, "small_world",
              **fade, **{"learning.remove_skips_after": epochs - tail + 1}),
        point("fade_finetune", family, depth, "small_world",
              **fade, **{"learning.remove_skips_after": epochs - 2 * tail + 1}),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--net", choices=list(NETS), default="w100-d5")
    parser.add_argument("--epochs", type=int, default=10, help="N, the epochs of every net")
    parser.add_argument("--tail", type=int, default=3, help="K, the epochs of a fade or of "
                                                            "fine-tuning")
    parser.add_argument("--jobs", type=int, default=2, help="nets trained at once")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "gammell_skip_removal")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted study")
    parser.add_argument("--quick", action="store_true", help="digits, width 16, N = 4, K = 2")
    args = parser.parse_args()
    (family, depth), shared = NETS[args.net], dict(SOLVER)
    if args.quick:
        family, depth, shared, args.epochs, args.tail = QUICK_FAMILY, 3, SOLVER | QUICK_KEYS, 4, 2
        args.net = "quick"
    if args.epochs < 2 * args.tail:
        raise SystemExit(f"--epochs {args.epochs} must be at least twice --tail {args.tail}: "
                         "the fade with fine-tuning takes 2K epochs")
    table = {"sweep": {"name": "gammell-skip-removal", "base": str(LAYERED),
                       "epochs": args.epochs, "set": shared | {"learning.epochs": args.epochs}},
             "points": removal_points(family, depth, args.epochs, args.tail)}
    records, _ = finished_points(table, args.out, jobs=args.jobs, resume=args.resume)
    histories = {k: r["history"] for k, r in records.items()}
    trained = le.load_network(args.out / "points" / "small_world" / "network.h5")
    skips_trained = live_skips(trained)
    remove_skips(trained)
    test_samples = le.load_spec(args.out / "specs" / "small_world.toml").data.test_samples
    at_once = le.evaluate(trained, samples=test_samples or None)
    plot_errors(histories, args.out / "errors.png",
                title=f"Skips removed after training ({args.net})")
    removal_epoch = args.epochs - args.tail
    final = {name: h[-1]["test_error"] for name, h in histories.items()} | {
        "at_once": at_once.error}
    table_rows = {
        "layered": final["layered"], "small_world": final["small_world"],
        "at_once, no fine-tuning": final["at_once"],
        "at_once, fine-tuned": final["at_once_finetune"],
        "fade, no fine-tuning": final["fade"], "fade, fine-tuned": final["fade_finetune"],
    }
    for name, error in table_rows.items():
        log(f"{name:26s} test error {100 * error:6.2f}%")
    emit({"benchmark": "gammell_skip_removal", "quick": args.quick, "net": args.net,
          "epochs": args.epochs, "tail": args.tail, "solver": SOLVER,
          "final_test_error": table_rows,
          "at_once_finetune_right_after_removal": histories["at_once_finetune"][
              removal_epoch - 1]["test_error"],
          "skip_connections_trained": skips_trained,
          "train_error": {k: [r["train_error"] for r in h] for k, h in histories.items()},
          "test_error": {k: [r["test_error"] for r in h] for k, h in histories.items()},
          "skip_connections": {k: [r["skip_connections"] for r in h]
                               for k, h in histories.items()},
          "seconds": {k: r["seconds"] for k, r in records.items()},
          "machine": machine()})


if __name__ == "__main__":
    main()
