#!/usr/bin/env python3
"""Kill training runs at random moments and resume them: do they end where an uninterrupted
run ends, with a run directory consistent with its checkpoint?

For each trial, ``lava-eqprop train`` of a small digits net is started and killed (SIGKILL by
default, or SIGTERM) after a random delay, then resumed with ``--resume`` until it completes
(killing it again at random up to ``--kills`` times). The finished run is compared with one
trained without interruption: its weights bit for bit, its checkpoint's epoch, and
``network.h5`` and ``summary.json`` against its checkpoint. Prints one line per trial and a
JSON summary on the last line.

    python tools/kill_resume_probe.py --trials 20
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from lava_eqprop.io.hdf5 import load_checkpoint, load_network

SPEC = """
[model]
name = "probe"
[data]
dataset = "digits"
train_samples = 600
test_samples = 100
[network]
layers = [64, 32, 10]
seed = 3
[dynamics]
free_steps = 15
nudged_steps = 5
persistent = true
[learning]
beta = 0.5
layer_learning_rates = [0.2, 0.1]
momentum = 0.5
batch_size = 8
epochs = {epochs}
seed = 4
dtype = "float64"
"""


def train(spec: Path, out: Path, resume: bool) -> subprocess.Popen:
    command = [sys.executable, "-m", "lava_eqprop", "train", str(spec), "--out", str(out),
               "--quiet"] + (["--resume"] if resume else [])
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)


def weights(path: Path) -> list[np.ndarray]:
    net = load_network(path) if path.name == "network.h5" else load_checkpoint(path).network
    return [p.weight for p in net.projections] + [p.bias for p in net.populations]


def consistent(out: Path, epochs: int) -> bool:
    """The checkpoint says ``epochs``, and network.h5 and summary.json say the same."""
    checkpoint = load_checkpoint(out / "checkpoint.h5")
    summary = json.loads((out / "summary.json").read_text())
    return (checkpoint.epoch == epochs and len(summary["epochs"]) == epochs
            and all(np.array_equal(a, b) for a, b in zip(weights(out / "network.h5"),
                                                         weights(out / "checkpoint.h5"))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--kills", type=int, default=2, help="kills per trial at most")
    parser.add_argument("--signal", choices=("KILL", "TERM"), default="KILL")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    chooser = random.Random(args.seed)
    sig = getattr(signal, f"SIG{args.signal}")
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        spec = work / "probe.toml"
        spec.write_text(SPEC.format(epochs=args.epochs))
        start = time.monotonic()
        reference = train(spec, work / "reference", resume=False)
        _, stderr = reference.communicate()
        duration = time.monotonic() - start
        if reference.returncode != 0:
            sys.exit(f"the uninterrupted run failed: {stderr}")
        expected = weights(work / "reference" / "network.h5")
        results = []
        for trial in range(args.trials):
            out, kills, tracebacks = work / f"trial{trial}", 0, 0
            while True:
                run = train(spec, out, resume=(out / "checkpoint.h5").exists())
                if kills < args.kills:
                    time.sleep(chooser.uniform(0.0, duration))
                    if run.poll() is None:
                        run.send_signal(sig)
                        kills += 1
                _, stderr = run.communicate()
                tracebacks += "Traceback" in stderr
                if run.returncode == 0:
                    break
            same = all(np.array_equal(a, b) for a, b in zip(weights(out / "network.h5"),
                                                            expected))
            results.append({"trial": trial, "kills": kills, "bit_exact": same,
                            "consistent": consistent(out, args.epochs),
                            "tracebacks": tracebacks})
            print(f"trial {trial:2d}: {kills} kill(s), bit-exact {same}, "
                  f"consistent {results[-1]['consistent']}, tracebacks {tracebacks}", flush=True)
    print(json.dumps({"signal": args.signal, "trials": args.trials,
                      "kills": sum(r["kills"] for r in results),
                      "bit_exact": sum(r["bit_exact"] for r in results),
                      "consistent": sum(r["consistent"] for r in results),
                      "tracebacks": sum(r["tracebacks"] for r in results)}))


if __name__ == "__main__":
    main()
