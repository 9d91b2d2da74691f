"""Every benchmark script in tools/ runs in --quick mode and ends with one JSON object."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lava_eqprop as le
from lava_eqprop.engine.stability import VERDICTS
from lava_eqprop.training.pruning import existing
from lava_eqprop.training.skip_removal import remove_skips

TOOLS = Path(__file__).parents[2] / "tools"


def run_tool(name, *args, timeout=600):
    proc = subprocess.run([sys.executable, str(TOOLS / name), "--quick", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=TOOLS.parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_bench_engine_quick():
    figures = run_tool("bench_engine.py")
    assert figures["engine_samples_per_s"][0] > 0 and figures["naive_samples_per_s"][0] > 0
    # the naive loop is an independent transcription of the same algorithm from the same
    # initial weights, sample order and beta signs: same test error up to float32 rounding
    assert abs(figures["engine_test_error"] - figures["naive_test_error"]) <= 0.01
    assert set(figures["profile_share"]) == {"clamp (input product)", "free phase", "nudged phase",
                                             "EP contrast (update product)", "SGD step"}
    assert abs(sum(figures["profile_share"].values()) - 1.0) < 1e-9
    assert figures["flops_per_sample"] == 2 * 784 * 512 * 2 + 40 * 4 * 512 * 10 + 4 * 512 * 10


@pytest.mark.slow
def test_reproduce_scellier_quick(tmp_path):
    figures = run_tool("reproduce_scellier.py", "--out", str(tmp_path))
    assert figures["epochs"] == 2
    assert figures["test_error_from_zero"][-1] < 0.5  # learning (chance is 0.9)
    assert figures["test_error_persistent"][-1] < 0.5
    assert (tmp_path / "summary.json").exists() and (tmp_path / "checkpoint.h5").exists()


@pytest.mark.slow
def test_reproduce_conv_mnist_quick(tmp_path):
    figures = run_tool("reproduce_conv_mnist.py", "--out", str(tmp_path))
    for name in ("conv", "dense"):
        run = figures[name]
        assert run["epochs"] == 1 and run["samples_per_second"][0] > 0
        assert run["test_error"][-1] < 0.85  # learning: chance is 0.9, 256 test samples
        assert (tmp_path / name / "summary.json").exists()
    assert figures["conv"]["device"] == "numpy"


@pytest.mark.slow
def test_reproduce_gammell_quick(tmp_path):
    figures = run_tool("reproduce_gammell.py", "--out", str(tmp_path))
    assert figures["epochs"] == 2
    for name in ("layered", "small_world"):
        assert len(figures["layer_mean_abs_dw"][name][0]) == 4  # four layer pairs
        assert figures["deepest_over_layer_mean_abs_dw"][name][-1] == 1.0
        assert (tmp_path / name / "spec.toml").exists()
    assert (tmp_path / "errors.png").exists() and (tmp_path / "updates.png").exists()


@pytest.mark.slow
def test_gammell_p_sweep_quick(tmp_path):
    figures = run_tool("gammell_p_sweep.py", "--out", str(tmp_path))
    layered, rewired = figures["results"]["0.0"], figures["results"]["0.5"]
    for run in (layered, rewired):
        assert len(run["train_error"]) == 1 and len(run["ratio_last_epoch"]) == 4
        assert run["ratio_last_epoch"][-1] == 1.0
    # rewiring moves connections into skip pairs and keeps their number
    assert "input-h3" not in layered["connections"] and rewired["connections"]["input-h3"] > 0
    assert sum(rewired["connections"].values()) == sum(layered["connections"].values())
    # Gammell et al.'s claim, even after 600 samples: skips lift the first layer's updates
    assert rewired["ratio_last_epoch"][0] < layered["ratio_last_epoch"][0]
    assert (tmp_path / "ratios.png").exists() and (tmp_path / "specs" / "p0.5.toml").exists()
    assert (tmp_path / "results.json").exists() and (tmp_path / "points" / "p0" / "network.h5").exists()


@pytest.mark.slow
@pytest.mark.lava
def test_bench_lava_quick():
    figures = run_tool("bench_lava.py")
    rates = figures["samples_per_s"]
    assert set(rates) == {"engine", "lava_float_batch1", "lava_float_batch16", "lava_fixed_batch1",
                          "lava_fixed_batch16"} and min(rates.values()) > 0
    dense, sparse = figures["events_per_sample"]["0.0"], figures["events_per_sample"]["0.05"]
    # digits.toml, 64-64-10 with 30 free and 2 x 10 nudged steps: at θ = 0 every free neuron
    # (64 + 10) sends every step; forward and backward h1-output ops (640 each) per step
    assert dense["free"] == 74 * 30 and dense["nudged"] == 74 * 20
    assert figures["synops_per_sample"]["0.0"]["free"] == 30 * 2 * 640
    assert sparse["free"] < dense["free"] and sparse["nudged"] < dense["nudged"]
    assert figures["accuracy_cost_pp"]["0.0"] == 0.0


@pytest.mark.slow
@pytest.mark.lava
def test_bitdepth_study_quick(tmp_path):
    figures = run_tool("bitdepth_study.py", "--out", str(tmp_path))
    assert figures["bits"] == [4, 8, 16]
    for name in ("digits", "layered", "small_world"):
        assert len(figures["test_error_fixed"][name]) == 3
        assert all(0 <= e <= 1 for e in figures["test_error_fixed"][name])
        spec = {"digits": "digits", "layered": "digits_deep_layered", "small_world": "digits_small_world"}[name]
        assert (tmp_path / "points" / f"fixed-8bit_base-{spec}" / "summary.json").exists()
    assert set(figures["targets"]) == {f"8-bit within 1.0 pp of the engine ({name})"
                                       for name in ("digits", "layered", "small_world")}
    assert (tmp_path / "bitdepth.png").exists()


@pytest.mark.slow
@pytest.mark.lava
def test_chip_study_quick(tmp_path):
    figures = run_tool("chip_study.py", "--out", str(tmp_path))
    for chip in ("loihi1", "loihi2"):
        summary = figures["maps"]["digits"][chip]
        assert summary["cores"] == 3 and summary["utilisation"]["neurons"]["max"] <= 1.0
        off, on = (figures["estimates"]["digits"][chip][t] for t in ("0", "0.01"))
        for mode in ("training", "inference"):
            assert on[mode]["messages"] < off[mode]["messages"]
            assert on[mode]["energy_pj"]["total"] < off[mode]["energy_pj"]["total"]
            assert abs(sum(off[mode]["energy_share"].values()) - 1) < 1e-9
            # 64 + 64 + 10 neurons, each updated every step: active at 81 pJ, the rest at 52
            e = off[mode]
            assert e["energy_pj"]["neuron_updates"] == pytest.approx(
                e["messages"] * 81 + (138 * e["steps"] - e["messages"]) * 52)
        assert off["inference"]["energy_pj"]["learning"] == 0
        assert off["training"]["synaptic_updates"] == 64 * 64 + 2 * 64 * 10


def test_map_conv_nets_quick():
    """conv_mnist on the three configurations: shared kernels take fewer cores than unrolled,
    every row fits its systems, and the event threshold cuts messages and energy."""
    figures = run_tool("map_conv_nets.py")
    rows = {(r["chip"], r["weights"]): r for r in figures["rows"]}
    assert set(rows) == {("loihi1", "unrolled"), ("loihi2", "unrolled"), ("loihi2", "shared")}
    assert rows["loihi2", "shared"]["cores"] < rows["loihi2", "unrolled"]["cores"]
    for r in rows.values():
        assert all(r["fits"].values()) and r["binding"]
        for mode in ("training", "inference"):
            dense, sparse = r["per_sample"]["0"][mode], r["per_sample"]["0.01"][mode]
            assert sparse["messages"] < dense["messages"]
            assert sparse["energy_uj"] < dense["energy_uj"]


def test_reproduce_farinha_quick():
    figures = run_tool("reproduce_farinha.py")
    assert set(figures["results"]) == {"XOR", "NOT"}
    for task, row in figures["results"].items():
        assert set(row) == {"deep", "deep_pruned", "deep_pruned_l1", "leaky", "leaky_0.1",
                            "asymmetric_ep"}
        for variant, r in row.items():
            assert 0 <= r["success"] <= r["seeds"] == 3
            assert sum(r["stability"].values()) == 3
            assert set(r["stability"]) <= {"certified stable", "empirically stable",
                                           "multistable", "not stable"}
            if "pruned" in variant:
                assert r["connections_mean"] <= r["connections_start"]
            else:
                assert r["connections_mean"] == r["connections_start"]


@pytest.mark.slow
def test_bench_conv_quick():
    figures = run_tool("bench_conv.py")
    # the naive per-pixel loop is an independent transcription of the same sweep
    assert figures["engine_vs_naive_max_abs_difference"] < 1e-4
    # one sweep of the MNIST conv net: the 32->64 5x5 conv on its 8x8 output both ways (both
    # ends free), the 1->32 conv towards its free post only, the head both ways; 2 per MAC
    conv2 = 8 * 8 * 64 * 32 * 25
    conv1 = 24 * 24 * 32 * 1 * 25
    head = 64 * 4 * 4 * 10
    assert figures["sweep_mflop_per_sample"] * 1e6 == 2 * (2 * conv2 + conv1 + 2 * head)
    assert figures["engine_ms_per_sweep_sample"] > 0 and figures["resnet13_seconds_per_epoch"] > 0
    assert figures["resnet13_sweeps_per_sample"] == 120 + 2 * 50


def test_directed_digits_quick(tmp_path):
    figures = run_tool("directed_digits.py", "--out", str(tmp_path))
    results = figures["results"]
    assert results["sparse_directed"]["weights"] == results["layered_64"]["weights"] == 4736
    for name, r in results.items():
        removed = [row["removed"] for row in r["sparsity"]]
        live = [row["live"] for row in r["sparsity"]]
        # removing the smallest weights leaves the complementary share of the live ones
        assert live[0] == r["live_connections"] and all(a > b for a, b in zip(live, live[1:]))
        assert live[-1] <= round((1 - removed[-1]) * r["weights"]) + 1
        assert r["stability"] in VERDICTS
        assert r["stability"] in (tmp_path / name / "stability.txt").read_text()
    assert (tmp_path / "directed_digits.png").exists()


@pytest.mark.slow
def test_depth_study_quick(tmp_path):
    figures = run_tool("depth_study.py", "--out", str(tmp_path))
    assert set(figures["curves"]) == {"1_blocks_skips", "1_blocks_plain"}
    for curve in figures["curves"].values():
        assert len(curve["train_loss"]) == 1 and 0 < curve["train_loss"][0] < 10
    assert (tmp_path / "depth_study.png").exists()


@pytest.mark.slow
@pytest.mark.lava
def test_bench_loihi2_graph_quick():
    figures = run_tool("bench_loihi2_graph.py")
    for case in ("layered", "small-world"):
        exact = figures["bit_exact"][case]
        assert exact["bit_exact"] and exact["differences"] == 0
        assert all(exact["perturbation_caught"].values()) and exact["mirror_mismatch"] == 0
    net = figures["nets"]["digits-small-world"]
    training = net["training"]
    assert set(training["test_error"]) == {"engine-float", "loihi2-fixed", "cpu-fixed"}
    assert all(0 <= e <= 1 for e in training["test_error"].values())
    assert len(training["mirror_mismatch_per_epoch"]) == 1
    # 64-32-32-32-10 with 40 free and 2 x 10 nudged steps, symmetric: 1 + 40 + 20 + 1 steps, in
    # each of which the 64 inputs and the 106 free neurons send; each step every synapse of
    # every copy receives one payload, and the cpu graph's counters see the same free neurons
    traffic = net["loihi2_traffic_per_sample"]
    assert traffic["events"] == {"load": 170, "free": 170 * 40, "nudged": 170 * 20,
                                 "restore": 170}
    from lava_eqprop.spec import load_spec

    network = load_spec(TOOLS.parent / "models" / "digits_small_world.toml").build_network()
    synapses = sum(int(p.mask.sum()) * (1 if p.pre == "input" else 2)
                   for p in network.projections)
    assert traffic["synops"] == {"load": synapses, "free": 40 * synapses,
                                 "nudged": 20 * synapses, "restore": synapses}
    assert training["cpu_graph_events_per_sample"]["free"] == 106 * 40
    assert set(net["samples_per_s"]) == {"engine", "cpu-float", "cpu-fixed", "loihi2-float",
                                         "loihi2-fixed"}
    assert min(net["samples_per_s"].values()) > 0
    contrast = net["contrast"]
    assert set(contrast["test_error"]) == {"exact", "free_term_first"}
    assert contrast["relative_change_difference"] > 0    # the nudged phase saw moved weights


@pytest.mark.slow
def test_bench_relaxation_quick():
    """Each solver's means are within the cap, the block solvers settle every sample, and on
    the digits small-world nets the accelerated sweeps need fewer steps than Euler's."""
    figures = run_tool("bench_relaxation.py")
    steps, details = figures["steps_to_tolerance"], figures["details"]
    assert set(steps) == {"digits-small-world", "digits-small-world-trained", "digits-deep"}
    assert set(steps["digits-deep"]) == {"euler", "adaptive"}
    for net in ("digits-small-world", "digits-small-world-trained"):
        assert set(steps[net]) == {"euler", "block", "accelerated"}
        for solver in ("block", "accelerated"):
            for phase in ("free", "nudged"):
                r = details[net][solver][phase]
                assert r["unsettled"] == 0 and r["max_residual"] <= figures["tol"]
                assert 1 <= r["mean_steps"] <= r["max_steps"] <= figures["cap"]
        best = figures["best_over_euler"][net]
        assert best["solver"] == "accelerated" and best["steps_share"] < 1 / 3


@pytest.mark.slow
def test_time_to_accuracy_quick(tmp_path):
    """Both runs train the same spec; the solver run's counters show it stopped on the
    residual, within its caps, and the comparison's figures follow from the histories."""
    figures = run_tool("time_to_accuracy.py", "--out", str(tmp_path))
    r = figures["results"]["digits"]
    base, fast = r["train_error"]["baseline"], r["train_error"]["solver"]
    assert len(base) == len(fast) == 2 and base[-1] < base[0] and fast[-1] < fast[0]
    assert r["max_train_error_gap"] == pytest.approx(max(abs(a - b) for a, b in zip(base, fast)))
    assert r["time_share"] == pytest.approx(r["seconds"]["solver"] / r["seconds"]["baseline"])
    for record in r["relaxation"]["solver"]:
        assert record["free"]["tol"] == 1e-4 and record["free"]["max_steps"] <= 500
        assert record["free"]["mean_steps"] < 40          # the baseline's fixed free steps
    for record in r["relaxation"]["baseline"]:
        assert record["free"]["mean_steps"] == record["free"]["max_steps"] == 40
    assert (tmp_path / "digits" / "specs" / "solver.toml").exists()
    assert (tmp_path / "digits" / "points" / "solver" / "checkpoint.h5").exists()
    assert (tmp_path / "digits" / "errors.png").exists()


@pytest.mark.slow
@pytest.mark.lava
def test_bench_loihi2_graph_training_resumes_from_its_work_folder(tmp_path):
    """A second run with --resume finds every training run done and reports the same errors
    from their checkpoints, without training again."""
    args = ("--sections", "training", "--work", str(tmp_path))
    first = run_tool("bench_loihi2_graph.py", *args)
    second = run_tool("bench_loihi2_graph.py", *args, "--resume")
    for name in ("test_error", "train_error", "mirror_mismatch_per_epoch"):
        assert second["nets"]["digits-small-world"]["training"][name] == \
            first["nets"]["digits-small-world"]["training"][name]
    for run in ("engine", "loihi2-fixed", "cpu-fixed"):
        assert (tmp_path / "digits-small-world" / run / "checkpoint.h5").exists()


@pytest.mark.slow
def test_bench_sweep_quick():
    figures = run_tool("bench_sweep.py")
    assert figures["points"] == 4 and figures["same_results"]
    assert set(figures["seconds"]) == {"1", "2"} and figures["speedup"]["1"] == 1.0


@pytest.mark.slow
def test_gammell_depth_quick_and_its_resume(tmp_path):
    """The depth section trains the three nets per depth (the per-layer rates shrink the
    vanishing of the deep layered net), the p sweep its two values; a resume trains nothing
    again and reports the same errors; the plots are written; --only keeps the named points
    and refuses a name that is none, listing those there are; the skip census counts the
    connections the rewiring moved; --seeds trains a p with another seed, another draw;
    --fixed-nudged-steps runs every nudged step; --all-training-images refuses the digits."""
    first = run_tool("gammell_depth.py", "--out", str(tmp_path))
    nets = first["depth"]["nets"]
    assert set(nets) == {f"w16-d{d}-{v}" for d in (1, 3)
                         for v in ("layered", "per_layer", "small_world")}
    assert (nets["w16-d3-per_layer"]["deepest_over_first"][0]
            < nets["w16-d3-layered"]["deepest_over_first"][0])
    assert all(len(n["test_error"]) == 1 and len(n["layer_rms_dw"][0]) in (2, 4)
               for n in nets.values())
    sweep = first["p_sweep"]["nets"]
    assert set(sweep) == {"p0", "p0.1"}
    # rewiring moves connections and keeps their number: the skips are the connections the
    # layered net 64-16-16-16-10 lost between neighbouring layers
    layered = le.load_network(tmp_path / "p_sweep" / "points" / "p0" / "network.h5")
    rewired = le.load_network(tmp_path / "p_sweep" / "points" / "p0.1" / "network.h5")
    neighbours = [sum(int(existing(q).sum()) for q in net.projections if q.kind == "dense"
                      and abs(net.index(q.post) - net.index(q.pre)) == 1)
                  for net in (layered, rewired)]
    assert sweep["p0"]["skips"] == {"skips": 0, "hidden_to_output": 0, "input_to_output": 0}
    assert sweep["p0.1"]["skips"]["skips"] == neighbours[0] - neighbours[1] > 0
    assert (sweep["p0.1"]["skips"]["hidden_to_output"] + sweep["p0.1"]["skips"]["input_to_output"]
            <= sweep["p0.1"]["skips"]["skips"])
    rates = json.loads((tmp_path / "depth" / "rates.json").read_text())
    assert len(rates["w16-d3"]) == 4            # geometric mean: the global rate 0.05
    assert np.exp(np.mean(np.log(rates["w16-d3"]))) == pytest.approx(0.05, rel=1e-9)
    for plot in ("depth_test_error.png", "depth_rms.png", "p_sweep.png"):
        assert (tmp_path / plot).stat().st_size > 0
    stamp = (tmp_path / "depth" / "points" / "w16-d3-layered" / "checkpoint.h5").stat().st_mtime_ns
    again = run_tool("gammell_depth.py", "--out", str(tmp_path), "--resume")
    assert again["depth"]["nets"]["w16-d3-layered"]["test_error"] == \
        nets["w16-d3-layered"]["test_error"]
    assert stamp == (tmp_path / "depth" / "points" / "w16-d3-layered" / "checkpoint.h5"
                     ).stat().st_mtime_ns
    only = run_tool("gammell_depth.py", "--out", str(tmp_path), "--resume",
                    "--only", "w16-d3-per_layer", "p0.1")
    assert set(only["depth"]["nets"]) == {"w16-d3-per_layer"}
    assert set(only["p_sweep"]["nets"]) == {"p0.1"}
    assert only["depth"]["nets"]["w16-d3-per_layer"]["test_error"] == \
        nets["w16-d3-per_layer"]["test_error"]
    seeded = run_tool("gammell_depth.py", "--out", str(tmp_path), "--resume", "--sections",
                      "p_sweep", "--seeds", "1", "2", "--only", "p0.1-seed2")
    assert set(seeded["p_sweep"]["nets"]) == {"p0.1-seed2"}
    assert seeded["p_sweep"]["nets"]["p0.1-seed2"]["seed"] == 2
    assert seeded["p_sweep"]["nets"]["p0.1-seed2"]["skips"] != sweep["p0.1"]["skips"]
    fixed = run_tool("gammell_depth.py", "--out", str(tmp_path / "fixed"), "--sections",
                     "p_sweep", "--only", "p0.1", "--fixed-nudged-steps")
    assert fixed["shared_keys"]["dynamics.nudged_tol"] == 0
    assert fixed["p_sweep"]["nets"]["p0.1"]["mean_nudged_steps"] == [8.0]     # the family's 8
    wrong = subprocess.run([sys.executable, str(TOOLS / "gammell_depth.py"), "--quick",
                            "--out", str(tmp_path), "--only", "w16-d5-layered"],
                           capture_output=True, text=True, timeout=60)
    assert wrong.returncode != 0 and "no point named w16-d5-layered" in wrong.stderr
    assert "w16-d3-layered" in wrong.stderr
    digits = subprocess.run([sys.executable, str(TOOLS / "gammell_depth.py"), "--quick",
                             "--out", str(tmp_path), "--all-training-images"],
                            capture_output=True, text=True, timeout=60)
    assert digits.returncode != 0 and "--all-training-images trains on MNIST" in digits.stderr


@pytest.mark.slow
def test_gammell_skip_removal_quick(tmp_path):
    """Each schedule leaves no skip from the epoch its removal ends; the small world keeps
    its skips and the layered net has none; the table's rows are the histories' last
    errors; the net with its skips removed at the end is the trained small world with its
    skips zeroed by hand (the same test error from zero, evaluated by the API)."""
    figures = run_tool("gammell_skip_removal.py", "--out", str(tmp_path))
    skips = figures["skip_connections"]
    assert figures["skip_connections_trained"] == skips["small_world"][-1] > 0
    assert all(s > 0 for s in skips["small_world"]) and not any(skips["layered"])
    assert [s > 0 for s in skips["at_once"]] == [True, True, True, False]
    assert [s > 0 for s in skips["at_once_finetune"]] == [True, False, False, False]
    assert [s > 0 for s in skips["fade"]] == [True, True, True, False]
    assert [s > 0 for s in skips["fade_finetune"]] == [True, False, False, False]
    rows = figures["final_test_error"]
    assert rows["fade, fine-tuned"] == figures["test_error"]["fade_finetune"][-1]
    assert rows["at_once, fine-tuned"] == figures["test_error"]["at_once_finetune"][-1]
    persistent = figures["final_test_error_persistent"]
    assert persistent["small_world"] == figures["test_error_persistent"]["small_world"][-1]
    trained = le.load_network(tmp_path / "points" / "small_world" / "network.h5")
    remove_skips(trained)
    spec = le.load_spec(tmp_path / "specs" / "small_world.toml")
    by_hand = le.evaluate(trained, spec=spec, samples=spec.data.test_samples)
    assert by_hand.error == pytest.approx(rows["at_once, no fine-tuning"], abs=1e-12)
    assert (tmp_path / "errors.png").stat().st_size > 0


@pytest.mark.slow
def test_small_world_conv_quick(tmp_path):
    """Plain, ResNet and random-skip nets train on one seed; the random net has the ResNet's
    number of skips, drawn among layers at least two apart, and its parameter count within
    one percent; the mean over one seed is that seed's curve. The nudge crosses 8 projections
    to the plain net's first conv, 5 to the ResNet's (c1 beside c2); the data's shortest path
    is 9 projections in the plain net, 5 in the ResNet."""
    figures = run_tool("small_world_conv.py", "--out", str(tmp_path))
    nets = figures["nets"]
    assert set(nets) == {"plain", "resnet", "random", "random_p"}
    assert nets["plain"]["skips"]["1"] == [] and len(nets["resnet"]["skips"]["1"]) == 4
    order = ["input"] + [f"c{k}" for k in range(1, 9)]
    drawn = nets["random"]["skips"]["1"]
    assert len(drawn) == 4 and all(order.index(b) - order.index(a) >= 2 for a, b in drawn)
    resnet_parameters = nets["resnet"]["parameters"]["1"]
    assert abs(nets["random"]["parameters"]["1"] - resnet_parameters) <= 0.01 * resnet_parameters
    assert nets["random"]["mean_test_error"] == nets["random"]["test_error"]["1"]
    assert nets["plain"]["farthest_hops"]["1"] == 8 and nets["resnet"]["farthest_hops"]["1"] == 5
    assert nets["plain"]["input_hops"]["1"] == 9 and nets["resnet"]["input_hops"]["1"] == 5
    assert (tmp_path / "small_world_conv.png").stat().st_size > 0


@pytest.mark.slow
def test_gammell_authors_nets_quick(tmp_path):
    """The redrawn initial nets have the "RMS W element" that the authors' logs print, to
    their six digits, at every logged p; the net trained keeps the layered net's 119,400
    connections, and its skips are the rewired ones; a resume trains nothing again; another
    training seed trains the same net anew."""
    figures = run_tool("gammell_authors_nets.py", "--out", str(tmp_path))
    checks = figures["redrawn_against_logs"]
    assert len(checks) == 8
    for check in checks.values():
        assert abs(check["rms_w_element"] - check["logged"]) <= 5e-7
    net = figures["nets"]["p0.000924"]
    assert net["skips"]["skips"] == net["rewired"] > 0 and net["seed"] == 1
    assert len(net["test_error_persistent"]) == 1 and 0 <= net["train_error"][0] <= 1
    trained = le.load_network(tmp_path / "p0.000924" / "network.h5")
    assert sum(int(existing(q).sum()) for q in trained.projections) == 119_400
    stamp = (tmp_path / "p0.000924" / "checkpoint.h5").stat().st_mtime_ns
    again = run_tool("gammell_authors_nets.py", "--out", str(tmp_path), "--resume")
    assert again["nets"]["p0.000924"]["test_error_persistent"] == net["test_error_persistent"]
    assert stamp == (tmp_path / "p0.000924" / "checkpoint.h5").stat().st_mtime_ns
    assert (tmp_path / "authors_nets.png").stat().st_size > 0
    seeded = run_tool("gammell_authors_nets.py", "--out", str(tmp_path), "--seeds", "2")
    assert seeded["nets"]["p0.000924-seed2"]["skips"] == net["skips"]        # the same net
    assert (tmp_path / "p0.000924-seed2" / "checkpoint.h5").exists()
