#!/usr/bin/env python3
"""Speed of the NumPy engine on MNIST 784-512-10 (T1 = 30, T2 = 10, batch 50), side by side with
a naive NumPy EP loop written here, in one run.

The naive loop is the textbook transcription: every step recomputes every term (the clamped
input's projection x·W1ᵀ included), fresh arrays everywhere, two products per weight update. It
uses the same initial weights, sample order and β signs as the engine, so its test error after
the epoch is a second, independent check of the engine's arithmetic.

Also measured in the same run: where the engine's time goes (per phase of a batch), the GFLOP/s
this CPU's BLAS reaches on the batch's input product, and the floor this implies (FLOPs per
sample / BLAS rate). The figures are printed as one JSON object on the last line.

    python tools/bench_engine.py            # 3 full epochs of each, alternately (about 2 minutes)
    python tools/bench_engine.py --quick    # 2000 training samples (the tests use this)
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

from lava_eqprop.data import load_dataset
from lava_eqprop.experiments.figures import emit, log, machine
from lava_eqprop.experiments.specs import MODELS
from lava_eqprop.spec import load_spec
from lava_eqprop.training.trainer import Trainer

SPEC = MODELS / "bench_784-512-10.toml"


def naive_epoch(params, x, y_onehot, order, spec, rng):
    """One epoch of EP written out plainly; returns the trained (W1, W2, b1, b2)."""
    w1, w2, b1, b2 = (p.copy() for p in params)
    lr1, lr2 = spec.learning.layer_learning_rates
    t1, t2 = spec.dynamics.free_steps, spec.dynamics.nudged_steps
    bs, beta0 = spec.learning.batch_size, spec.learning.beta
    for lo in range(0, len(order), bs):
        idx = order[lo:lo + bs]
        xb, tb = x[idx], y_onehot[idx]
        h = np.zeros((len(idx), w1.shape[0]), dtype=x.dtype)
        o = np.zeros((len(idx), w2.shape[0]), dtype=x.dtype)
        for _ in range(t1):
            h, o = np.clip(xb @ w1.T + o @ w2 + b1, 0, 1), np.clip(h @ w2.T + b2, 0, 1)
        beta = -beta0 if rng.integers(2) == 0 else beta0
        hb, ob = h, o
        for _ in range(t2):
            hb, ob = (np.clip(xb @ w1.T + ob @ w2 + b1, 0, 1),
                      np.clip(hb @ w2.T + b2 + beta * (tb - ob), 0, 1))
        scale = 1.0 / (beta * len(idx))
        w1 += lr1 * scale * (hb.T @ xb - h.T @ xb)
        w2 += lr2 * scale * (ob.T @ hb - o.T @ h)
        b1 += lr1 * scale * (hb - h).sum(axis=0)
        b2 += lr2 * scale * (ob - o).sum(axis=0)
    return w1, w2, b1, b2


def naive_test_error(params, x, y, steps):
    w1, w2, b1, b2 = params
    h = np.zeros((len(x), w1.shape[0]), dtype=x.dtype)
    o = np.zeros((len(x), w2.shape[0]), dtype=x.dtype)
    for _ in range(steps):
        h, o = np.clip(x @ w1.T + o @ w2 + b1, 0, 1), np.clip(h @ w2.T + b2, 0, 1)
    return float(np.mean(np.argmax(o, axis=1) != y))


def blas_gflops(batch, n_in, n_out, dtype, repeats=200):
    a = np.random.default_rng(0).random((batch, n_in)).astype(dtype)
    b = np.random.default_rng(1).random((n_out, n_in)).astype(dtype)
    for _ in range(10):
        a @ b.T
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b.T
    return 2.0 * batch * n_in * n_out * repeats / (time.perf_counter() - start) / 1e9


def flops_per_sample(n_in, n_hid, n_out, t1, t2):
    """Multiply-adds ×2 of one training sample in the engine's algorithm."""
    clamp = 2 * n_in * n_hid                      # x·W1ᵀ, once per sample
    step = 2 * (2 * n_hid * n_out)                # s_out·W2 and s_h·W2ᵀ
    update = 2 * n_in * n_hid + 2 * 2 * n_hid * n_out
    return clamp + (t1 + t2) * step + update


def profile_engine(spec, data, out_dir, batches=200):
    """Seconds per batch spent in each part of the engine's training step, each part timed
    alone and in sequence (in training the trainer overlaps the clamp's product and the input
    layer's update with the relaxation: lava_eqprop/training/overlap.py)."""
    trainer = Trainer(spec, data, out_dir, progress=False, log=lambda _: None)
    relaxer, settings = trainer.relaxer, trainer.settings
    bs = spec.learning.batch_size
    parts = dict.fromkeys(["clamp (input product)", "free phase", "nudged phase",
                           "EP contrast (update product)", "SGD step"], 0.0)
    from lava_eqprop.engine.estimators import contrast

    for b in range(batches):
        idx = np.arange(b * bs, (b + 1) * bs) % len(trainer.x_train)
        t0 = time.perf_counter()
        clamped = relaxer.clamp({"input": trainer.x_train[idx]})
        t1 = time.perf_counter()
        free = relaxer.zero_state(clamped)
        relaxer.run(free, clamped, settings.free_steps)
        t2 = time.perf_counter()
        nudged = free.copy()
        relaxer.run(nudged, clamped, settings.nudged_steps, beta=settings.beta,
                    target=trainer.t_train[idx])
        t3 = time.perf_counter()
        w, bias = contrast(relaxer, nudged, free, 1.0 / (settings.beta * bs), trainer._directions)
        t4 = time.perf_counter()
        trainer.optimizer.step(w, bias)
        t5 = time.perf_counter()
        for key, (a, z) in zip(parts, [(t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5)]):
            parts[key] += z - a
    return {k: v / batches for k, v in parts.items()}


def engine_epoch(spec, data, out_dir):
    """One epoch of the real trainer; returns (epoch record, initial parameters, trainer)."""
    trainer = Trainer(spec, data, out_dir, progress=False, log=lambda _: None)
    initial = [trainer.network.projection("input-h1").weight.copy(),
               trainer.network.projection("h1-output").weight.copy(),
               trainer.network.population("h1").bias.copy(),
               trainer.network.population("output").bias.copy()]
    return trainer.train_epoch(1, 1), initial, trainer


def measure(part: str, quick: bool) -> dict:
    """One measurement in this (fresh) process: "engine", "naive" or "profile"."""
    spec = load_spec(SPEC)
    data = load_dataset("mnist")
    if quick:
        data = data.subset(2000, 500)
    work = tempfile.mkdtemp(prefix="bench_engine_")
    try:
        if part == "profile":
            return {"parts": profile_engine(spec, data, f"{work}/profile"),
                    "gflops": blas_gflops(spec.learning.batch_size, 784, 512, np.float32)}
        engine, initial, trainer = engine_epoch(spec, data, f"{work}/engine")
        if part == "engine":
            return {"samples_per_s": engine["samples_per_second"],
                    "test_error": engine["test_error"]}
        rng = np.random.default_rng(spec.learning.seed)
        order = rng.permutation(len(trainer.x_train))
        start = time.perf_counter()
        params = naive_epoch(initial, trainer.x_train, trainer.t_train, order, spec, rng)
        seconds = time.perf_counter() - start
        return {"samples_per_s": len(data.x_train) / seconds,
                "test_error": naive_test_error(params, trainer.x_test, data.y_test,
                                               spec.eval_steps)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def in_fresh_process(part: str, quick: bool) -> dict:
    """Run :func:`measure` in a new interpreter: on a shared VM, speed was seen to drift within a
    long-lived process (memory-heavy steps got 3-4x slower after a few epochs), not between
    processes."""
    cmd = [sys.executable, __file__, "--part", part] + (["--quick"] if quick else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="2000 training samples, 500 test, one repeat")
    parser.add_argument("--repeats", type=int, default=3,
                        help="engine and naive epochs, each in a fresh process, alternately this "
                             "many times (default 3); the speed-up is taken per pair")
    parser.add_argument("--part", choices=["engine", "naive", "profile"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        emit(measure(args.part, args.quick))
        return
    repeats = 1 if args.quick else args.repeats
    engine, naive = [], []
    for r in range(repeats):
        log(f"[{r + 1}/{repeats}] engine epoch ...")
        engine.append(in_fresh_process("engine", args.quick))
        log(f"[{r + 1}/{repeats}] naive NumPy loop, the same epoch ...")
        naive.append(in_fresh_process("naive", args.quick))
    log("profiling the engine's batch ...")
    profile = in_fresh_process("profile", args.quick)
    parts, gflops = profile["parts"], profile["gflops"]

    engine_sps = [e["samples_per_s"] for e in engine]
    naive_sps = [n["samples_per_s"] for n in naive]
    ratios = [e / n for e, n in zip(engine_sps, naive_sps)]
    spec = load_spec(SPEC)
    flops = flops_per_sample(784, 512, 10, spec.dynamics.free_steps, spec.dynamics.nudged_steps)
    per_batch = sum(parts.values())
    floor_sps = gflops * 1e9 / flops
    best, speedup = max(engine_sps), float(np.median(ratios))
    test_error = engine[0]["test_error"]
    figures = {
        "benchmark": "bench_engine", "quick": args.quick, "machine": machine(),
        "setting": "MNIST 784-512-10, T1=30, T2=10, batch 50, float32, one epoch",
        "repeats": repeats, "engine_samples_per_s": engine_sps, "naive_samples_per_s": naive_sps,
        "engine_best_samples_per_s": best, "speedup_vs_naive_per_pair": ratios,
        "speedup_vs_naive_median": speedup,
        "engine_test_error": test_error, "naive_test_error": naive[0]["test_error"],
        "profile_us_per_batch": {k: 1e6 * v for k, v in parts.items()},
        "profile_share": {k: v / per_batch for k, v in parts.items()},
        "flops_per_sample": flops, "blas_gflops_50x784x512": gflops,
        "floor_samples_per_s": floor_sps, "fraction_of_floor": best / floor_sps,
        "targets": {"engine >= 25000 samples/s (best repeat)": best >= 25000,
                    "engine >= 8x naive (median pair)": speedup >= 8,
                    "test error <= 5% after one epoch": None if args.quick else test_error <= 0.05},
    }
    print(f"engine {', '.join(f'{v:,.0f}' for v in engine_sps)} samples/s (test error "
          f"{100 * test_error:.2f}%); naive loop {', '.join(f'{v:,.0f}' for v in naive_sps)} "
          f"samples/s (test error {100 * naive[0]['test_error']:.2f}%); speed-up per pair "
          f"{', '.join(f'{v:.1f}x' for v in ratios)}")
    print(f"BLAS {gflops:.0f} GFLOP/s on the 50x784x512 product; "
          f"{flops / 1e6:.2f} MFLOP per sample -> floor {floor_sps:,.0f} samples/s; "
          f"the engine's best is {100 * best / floor_sps:.0f}% of it")
    for k, v in parts.items():
        print(f"  {k:30s} {1e6 * v:8.0f} us per batch ({100 * v / per_batch:4.1f}%)")
    emit(figures)


if __name__ == "__main__":
    main()
