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
| ``at_once`` | the small world with its skips removed after epoch N (no training after) |
| ``at_once_finetune`` | skips removed after epoch N − K, then K epochs of fine-tuning |
| ``fade`` | skips faded out over the last K epochs, the last factor after epoch N |
| ``fade_finetune`` | skips faded out over epochs N − 2K + 1 … N − K, then K epochs of fine-tuning |

The nets are those of tools/gammell_depth.py (--net: w100-d5, the authors' 5-layer net where
the skips help most, or w500-d3, the 3-layer reproduction), relaxed with its solver. After
every epoch the test error is measured twice: from a zero state, and from each test sample's
persistent particle advanced by the training's free phase (the authors' protocol, the one the
nets train with). A removal epoch's errors are the net's right after the removal, before any
fine-tuning. The deep nets have several equilibria, and the two measures differ by up to 55
points on the layered w100-d5 net (docs/results.md).

    python tools/gammell_skip_removal.py --jobs 2               # w100-d5, N = 10, K = 3
    python tools/gammell_skip_removal.py --net w500-d3 --resume
    python tools/gammell_skip_removal.py --quick     # digits, width 16, N = 4, K = 2 (tests)

Plot: OUT/errors.png. The last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

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
from lava_eqprop.experiments.sweep_points import finished_points, training_seconds
from lava_eqprop.plots import plot_errors

NETS = {"w100-d5": (FAMILIES["w100"], 5), "w500-d3": (FAMILIES["w500"], 3)}


def removal_points(family: Family, depth: int, epochs: int, tail: int) -> list[dict[str, Any]]:
    """The trained nets of the table above."""
    fade = {"learning.remove_skips": "fade", "learning.remove_skips_over": tail}
    return [
        point("layered", family, depth, "layered"),
        point("small_world", family, depth, "small_world"),
        point("at_once", family, depth, "small_world",
              **{"learning.remove_skips": "at_once", "learning.remove_skips_after": epochs}),
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
    plot_errors(histories, args.out / "errors.png",
                title=f"Skips removed after training ({args.net})")
    removal_epoch = args.epochs - args.tail
    rows = {"layered": "layered", "small_world": "small_world",
            "at_once, no fine-tuning": "at_once", "at_once, fine-tuned": "at_once_finetune",
            "fade, no fine-tuning": "fade", "fade, fine-tuned": "fade_finetune"}
    final = {measure: {row: histories[name][-1][measure] for row, name in rows.items()}
             for measure in ("test_error", "test_error_persistent")}
    for row in rows:
        log(f"{row:26s} test error {100 * final['test_error'][row]:6.2f}% from zero, "
            f"{100 * final['test_error_persistent'][row]:6.2f}% persistent")
    right_after = histories["at_once_finetune"][removal_epoch - 1]
    emit({"benchmark": "gammell_skip_removal", "quick": args.quick, "net": args.net,
          "epochs": args.epochs, "tail": args.tail, "solver": SOLVER,
          "final_test_error": final["test_error"],
          "final_test_error_persistent": final["test_error_persistent"],
          "at_once_finetune_right_after_removal": {
              k: right_after[k] for k in ("test_error", "test_error_persistent")},
          "skip_connections_trained": histories["small_world"][-1]["skip_connections"],
          "train_error": {k: [r["train_error"] for r in h] for k, h in histories.items()},
          "test_error": {k: [r["test_error"] for r in h] for k, h in histories.items()},
          "test_error_persistent": {k: [r["test_error_persistent"] for r in h]
                                    for k, h in histories.items()},
          "skip_connections": {k: [r["skip_connections"] for r in h]
                               for k, h in histories.items()},
          "seconds": {k: training_seconds(r["history"]) for k, r in records.items()},
          "machine": machine()})

if __name__ == "__main__":
    main()
