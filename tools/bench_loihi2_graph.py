#!/usr/bin/env python3
"""The loihi2 graph (learning neurons and Lava's stock learning synapses with the EP rule in
their learning engine), measured: bit-exactness, training, mirrors, traffic and speed.

1. Bit-exact: the fixed-point graph against the independent integer reference
   (tests/lava_backend/loihi2_reference.py, written from the chip config and Lava's documented
   learning-engine arithmetic) on a layered net (one-sided estimator, LearningDense) and a
   small-world net (symmetric estimator, LearningSparse): neuron states, biases, tags and both
   copies' weights after every sample; and the same comparison against the reference with one
   shift off by one (product shift, drive shift), which must differ.
2. Training: each net of --nets (models/digits.toml, 64-64-10, and
   models/digits_small_world.toml) with one sample per update (the graph's batch), trained for
   --epochs epochs by the float engine, the loihi2 graph in fixed point (the loihi2 chip's
   8-bit weights) and the cpu graph in fixed point beside it, with the same spec and seeds:
   test error of each and its difference to the engine in points. The spec's rates are halved
   for one sample per update (:func:`one_sample_spec`).
3. Mirrors: the synapses where W and its mirror Wᵀ differ after each epoch of the loihi2
   training (Lava rounds an update with a fraction of an LSB stochastically, E < 0), and after
   30 samples of the bit-exact cases (every update whole LSBs: nothing to round).
4. Traffic and speed: messages and synaptic operations per training sample of the loihi2 graph
   (counted from its structure: every neuron sends every step) and of the cpu graph (its
   counters), and samples/s of one epoch of --speed-samples samples for the engine, the cpu
   graph and the loihi2 graph in float and fixed point, side by side in this run.
5. Contrast: what applying the free term at the end of the free phase (``--contrast
   free_term_first``, the coarsest continual EP) costs against the exact contrast: the loihi2
   graph in floating point trained both ways for one epoch of --contrast-samples samples from
   the same weights and order: test errors, and the relative difference of the two weight
   changes, ‖ΔW_free_term_first − ΔW_exact‖ / ‖ΔW_exact‖ over all projections.

    python tools/bench_loihi2_graph.py --nets digits --epochs 3          # about 35 min here
    python tools/bench_loihi2_graph.py --nets digits --epochs 10 --rate-scale 0.25 \
        --sections training
    python tools/bench_loihi2_graph.py --nets digits-small-world --epochs 3 \
        --train-samples 600 --sections bit_exact training speed
    python tools/bench_loihi2_graph.py --nets digits --sections contrast
    python tools/bench_loihi2_graph.py --nets digits-small-world --epochs 10 --rate-scale 0.25 \
        --train-samples 600 --sections training --work runs/loihi2_graph --resume
                                                     # hours; goes on where it was stopped
    python tools/bench_loihi2_graph.py --quick                           # a minute (the tests)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from lava_eqprop.data import load_dataset
from lava_eqprop.experiments.figures import emit, log, machine
from lava_eqprop.experiments.specs import MODELS
from lava_eqprop.lava_backend.loihi2.graph import build_loihi2_graph
from lava_eqprop.lava_backend.loihi2.summary import traffic_per_sample
from lava_eqprop.lava_backend.schedule import training_schedule
from lava_eqprop.lava_backend.settings import settings_from_spec
from lava_eqprop.lava_backend.trainer import LavaTrainer
from lava_eqprop.spec import load_spec
from lava_eqprop.training.trainer import Trainer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' integer reference
from tests.lava_backend.loihi2_bit_exact import (  # noqa: E402
    CASES,
    copies,
    differences,
    reference_samples,
    run_case,
)

NETS = {"digits": MODELS / "digits.toml", "digits-small-world": MODELS / "digits_small_world.toml"}
PERTURBATIONS = {"product_shift": {"product_shift_error": 1},
                 "drive_shift": {"drive_shift_error": 1}}
SECTIONS = ("bit_exact", "training", "speed", "contrast")
RUNS = {"loihi2-fixed": {"target": "loihi2", "precision": "fixed"},
        "cpu-fixed": {"target": "cpu", "precision": "fixed", "batch": 1}}


def bit_exact(samples: int) -> dict:
    """Per case: the samples compared, whether the graph equals the reference, whether each
    perturbed reference differs, and the mirrored copies' mismatched synapses at the end."""
    results = {}
    for case in CASES:
        problem, graph, got = run_case(case, samples)
        differing = differences(reference_samples(*problem), got)
        caught = {name: bool(differences(reference_samples(*problem, **errors), got))
                  for name, errors in PERTURBATIONS.items()}
        last = got[-1]["weights"]
        mismatch = sum(int(np.count_nonzero(last[name, proj.post] != last[name, proj.pre].T))
                       for name, proj in ((p.name, p) for p in problem[0].projections)
                       if (name, proj.pre) in last)
        results[case] = {"samples": samples, "bit_exact": not differing,
                         "differences": len(differing),
                         "perturbation_caught": caught, "mirror_mismatch": mismatch,
                         "copies": len(copies(graph))}
        log(f"bit-exact {case}: {results[case]}")
    return results


def one_sample_spec(path: Path, rate_scale: float):
    """The net's spec with one sample per update (the loihi2 graph's batch) and its learning
    rates times ``rate_scale``: the files' rates are for batches of 16, and per sample they
    learn unstably (digits, the engine, 3 epochs: 71, 24, 33% test error; halved: 23, 9, 7%)."""
    spec = load_spec(path)
    rates = spec.learning.layer_learning_rates
    learning = ({"layer_learning_rates": [r * rate_scale for r in rates]} if rates
                else {"learning_rate": spec.learning.learning_rate * rate_scale})
    return spec.with_overrides({"learning": {"batch_size": 1, **learning}},
                               f"one sample per update, the learning rates times {rate_scale}")


def train(spec, data, out: Path, epochs: int, lava_options: dict | None = None,
          resume: bool = False) -> list[dict]:
    """The epoch records of the engine (``lava_options`` None) or of a Lava graph; ``resume``
    continues the run found in ``out``."""
    if lava_options is None:
        return Trainer(spec, data, out, resume=resume, progress=False, log=log).train(epochs)
    return LavaTrainer(spec, data, out, resume=resume, progress=False, log=log,
                       lava_options=lava_options).train(epochs)


def training(spec, data, work: Path, epochs: int, resume: bool = False) -> dict:
    """Test and train errors of the engine and of each fixed-point graph, the differences in
    points, samples/s and the loihi2 mirrors' mismatch per epoch."""
    records = {"engine-float": train(spec, data, work / "engine", epochs, resume=resume)}
    for name, options in RUNS.items():
        records[name] = train(spec, data, work / name, epochs, options, resume)
        log(f"{spec.name} {name}: test error {records[name][-1]['test_error']:.4f}")
    engine = records["engine-float"][-1]["test_error"]
    return {
        "epochs": epochs, "train_samples": len(data.x_train), "test_samples": len(data.x_test),
        "test_error": {k: r[-1]["test_error"] for k, r in records.items()},
        "train_error": {k: r[-1]["train_error"] for k, r in records.items()},
        "test_error_curve": {k: [e["test_error"] for e in r] for k, r in records.items()},
        "minus_engine_points": {k: 100 * (r[-1]["test_error"] - engine)
                                for k, r in records.items() if k != "engine-float"},
        "samples_per_s": {k: r[-1]["samples_per_second"] for k, r in records.items()},
        "mirror_mismatch_per_epoch": [e["mirror_mismatch"] for e in records["loihi2-fixed"]],
        "cpu_graph_events_per_sample": records["cpu-fixed"][-1]["events_per_sample"],
        "cpu_graph_synops_per_sample": records["cpu-fixed"][-1]["synops_per_sample"],
    }


def loihi2_traffic(spec, data) -> dict:
    """Messages and synaptic operations per training sample of the loihi2 graph, by phase."""
    network = spec.build_network()
    settings = settings_from_spec(spec, network, target="loihi2")
    schedule = training_schedule(1, 1, spec.ep_settings(), np.random.default_rng(0))
    graph = build_loihi2_graph(network, settings, schedule, data.x_train[:1].reshape(1, -1),
                               np.eye(data.num_classes)[data.y_train[:1]])
    return traffic_per_sample(graph)


def speed(spec, data, work: Path, samples: int) -> dict[str, float]:
    """samples/s of one training epoch of ``samples`` samples, per backend, side by side."""
    subset = data.subset(samples, 1)
    options = {"engine": None,
               "cpu-float": {"target": "cpu", "precision": "float", "batch": 1},
               "cpu-fixed": RUNS["cpu-fixed"],
               "loihi2-float": {"target": "loihi2", "precision": "float"},
               "loihi2-fixed": RUNS["loihi2-fixed"]}
    figures = {}
    for name, lava in options.items():
        record = train(spec, subset, work / f"speed-{name}", 1, lava)[-1]
        figures[name] = record["samples_per_second"]
        log(f"{spec.name} {name}: {figures[name]:.2f} samples/s")
    return figures


def contrast_cost(spec, data, work: Path, samples: int) -> dict:
    """The loihi2 graph trained with each contrast for one epoch of ``samples`` samples."""
    subset = data.subset(samples, None)
    start = spec.build_network()
    changes, errors = {}, {}
    for contrast in ("exact", "free_term_first"):
        trainer = LavaTrainer(spec, subset, work / f"contrast-{contrast}", progress=False,
                              log=log, lava_options={"target": "loihi2", "contrast": contrast})
        errors[contrast] = trainer.train(1)[-1]["test_error"]
        changes[contrast] = np.concatenate(
            [(p.weight - start.projection(p.name).weight).ravel()
             for p in trainer.network.projections])
    exact = changes["exact"]
    relative = float(np.linalg.norm(changes["free_term_first"] - exact) / np.linalg.norm(exact))
    log(f"{spec.name} contrast: test errors {errors}, relative change difference {relative:.4f}")
    return {"samples": len(subset.x_train), "test_error": errors,
            "relative_change_difference": relative}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (the tests)")
    parser.add_argument("--nets", nargs="+", choices=list(NETS), default=list(NETS))
    parser.add_argument("--epochs", type=int, default=2, help="training epochs per backend")
    parser.add_argument("--rate-scale", type=float, default=0.5,
                        help="the spec's learning rates times this (one sample per update)")
    parser.add_argument("--train-samples", type=int, help="default: the whole training set")
    parser.add_argument("--test-samples", type=int, help="default: the whole test set")
    parser.add_argument("--speed-samples", type=int, default=60)
    parser.add_argument("--bit-exact-samples", type=int, default=30)
    parser.add_argument("--contrast-samples", type=int, default=300)
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--work", type=Path,
                        help="keep the training runs here (default: a temporary folder)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the training runs found in --work (a run of hours "
                             "that was stopped goes on from its last epoch)")
    args = parser.parse_args()
    if args.resume and args.work is None:
        parser.error("--resume continues the runs in --work: give --work")
    data = load_dataset("digits")
    if args.quick:
        args.nets, args.epochs, args.speed_samples, args.bit_exact_samples = (
            ["digits-small-world"], 1, 4, 2)
        args.contrast_samples = 4
        args.train_samples, args.test_samples = 12, 10
    data = data.subset(args.train_samples, args.test_samples)
    figures: dict = {"benchmark": "bench_loihi2_graph", "quick": args.quick,
                     "machine": machine(), "sections": args.sections,
                     "rate_scale": args.rate_scale, "nets": {}}
    if "bit_exact" in args.sections:
        figures["bit_exact"] = bit_exact(args.bit_exact_samples)
    with tempfile.TemporaryDirectory() as tmp:
        for net in args.nets:
            spec = one_sample_spec(NETS[net], args.rate_scale)
            work = Path(tmp) / net
            found: dict = {"model": str(NETS[net])}
            if "training" in args.sections:
                found["training"] = training(spec, data, (args.work or Path(tmp)) / net,
                                             args.epochs, args.resume)
            if "speed" in args.sections:
                found["loihi2_traffic_per_sample"] = loihi2_traffic(spec, data)
                found["samples_per_s"] = speed(spec, data, work, args.speed_samples)
            if "contrast" in args.sections:
                found["contrast"] = contrast_cost(spec, data, work, args.contrast_samples)
            figures["nets"][net] = found
    print_tables(figures)
    emit(figures)


def print_tables(figures: dict) -> None:
    """The tables of the sections that ran, per net."""
    for case, r in figures.get("bit_exact", {}).items():
        print(f"bit-exact {case:12s}: {r['bit_exact']} over {r['samples']} samples; "
              f"perturbations caught {r['perturbation_caught']}; "
              f"mirror mismatch {r['mirror_mismatch']}")
    for net, n in figures["nets"].items():
        if "contrast" in n:
            c = n["contrast"]
            print(f"\n{net}, loihi2 float, {c['samples']} samples: test error exact "
                  f"{100 * c['test_error']['exact']:.2f}%, free_term_first "
                  f"{100 * c['test_error']['free_term_first']:.2f}%; weight changes differ by "
                  f"{100 * c['relative_change_difference']:.1f}%")
        if "training" in n:
            print_training(net, n)


def print_training(net: str, n: dict) -> None:
    """The training and mirror lines of one net, and its traffic and speed when measured."""
    t = n["training"]
    print(f"\n{net}: {t['train_samples']} train / {t['test_samples']} test samples, "
          f"{t['epochs']} epochs, one sample per update")
    print(f"{'backend':14s} {'test error':>10s} {'- engine':>9s} {'train error':>11s}")
    for name, err in t["test_error"].items():
        diff = t["minus_engine_points"].get(name)
        print(f"{name:14s} {100 * err:9.2f}% {'' if diff is None else f'{diff:+8.2f}':>9s} "
              f"{100 * t['train_error'][name]:10.2f}%")
    print(f"loihi2 mirrors' mismatched synapses per epoch: {t['mirror_mismatch_per_epoch']}")
    if "samples_per_s" not in n:
        return
    traffic = n["loihi2_traffic_per_sample"]
    print(f"per sample: loihi2 graph {sum(traffic['events'].values()):.0f} messages, "
          f"{sum(traffic['synops'].values()):.0f} synops; cpu graph "
          f"{sum(t['cpu_graph_events_per_sample'].values()):.0f} messages, "
          f"{sum(t['cpu_graph_synops_per_sample'].values()):.0f} synops")
    print("samples/s: " + ", ".join(f"{k} {v:.2f}" for k, v in n["samples_per_s"].items()))

if __name__ == "__main__":
    main()
