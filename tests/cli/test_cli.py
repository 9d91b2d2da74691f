"""The command line: every verb has --help; train, run and info work; errors are one line."""

import json
from pathlib import Path

import numpy as np
import pytest

from lava_eqprop.cli.main import build_parser, main


@pytest.mark.parametrize("verb", ["train", "run", "crosscheck", "compile", "map", "info", "export", "sweep"])
def test_every_verb_has_help(verb, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([verb, "--help"])
    assert exit_.value.code == 0
    assert "usage: lava-eqprop " + verb in capsys.readouterr().out


def test_verbs_are_registered():
    assert set(build_parser()._subparsers._group_actions[0].choices) == {
        "train", "run", "crosscheck", "compile", "map", "stability", "info", "export", "sweep"}


def test_train_run_info(tiny_spec_path, tmp_path, capsys):
    spec = tiny_spec_path()
    out = tmp_path / "run"
    assert main(["train", str(spec), "--out", str(out), "--epochs", "2", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "epoch   2" in text and "done: epoch 2" in text
    assert main(["train", str(spec), "--out", str(out), "--epochs", "3", "--resume", "--quiet"]) == 0
    assert "resumed from" in capsys.readouterr().out
    assert len(json.loads((out / "summary.json").read_text())["epochs"]) == 3
    assert main(["run", str(out / "network.h5"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["samples"] == 360 and 0 <= result["test_error"] < 0.3
    assert main(["info", str(out / "network.h5")]) == 0
    assert "input-h1" in capsys.readouterr().out


def test_errors_are_one_clear_line(tiny_spec_path, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(tiny_spec_path().read_text().replace('dataset = "digits"', 'dataset = "nope"'))
    assert main(["train", str(bad), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "[data] dataset" in err and "'nope' is not allowed" in err
    assert main(["run", str(tmp_path / "missing.h5")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_map_prints_the_partition_and_json(capsys):
    assert main(["map", "models/scellier_784-500-10.toml", "--chip", "loihi1", "--json"]) == 0
    out = capsys.readouterr().out
    assert "binding resource: synaptic memory" in out and "input-h1" in out
    summary = json.loads(out.strip().splitlines()[-1])["chips"]["loihi1"]
    assert summary["cores"] == sum(p["cores"] for p in summary["populations"].values())
    assert summary["utilisation"]["synaptic_memory_bits"]["max"] <= 1.0


def test_map_errors_are_one_line(capsys):
    assert main(["map", "models/scellier_784-500-10.toml", "--chip", "loihi1", "--system",
                 "nowhere"]) == 2
    assert "'nowhere' is not a system of loihi1" in capsys.readouterr().err
    assert main(["map", "models/conv_mnist.toml", "--chip", "loihi1", "--layout", "channels",
                 "--chips", "1"]) == 2
    assert "2 chips over" in capsys.readouterr().err


def test_map_estimates_energy_per_sample_and_says_when_inputs_are_random(tmp_path, capsys):
    """Without the data set's files the messages are counted on random inputs, and said so;
    the JSON carries energy and latency per training and inference sample per threshold, and
    the event threshold saves energy."""
    text = Path("models/scellier_784-500-10.toml").read_text().replace(
        "[data]\n", f"[data]\npath = {str(tmp_path / 'absent')!r}\n", 1)
    spec = tmp_path / "mnist_elsewhere.toml"
    spec.write_text(text)
    assert main(["map", str(spec), "--chip", "loihi2", "--json", "--samples", "2",
                 "--event-threshold", "0", "0.05"]) == 0
    captured = capsys.readouterr()
    assert "counting messages on random inputs: mnist was not found" in captured.err
    result = json.loads(captured.out.strip().splitlines()[-1])
    assert result["activity"] == {"counted_on": "engine", "inputs": "random", "samples": 2}
    estimates = result["chips"]["loihi2"]["estimates"]
    for mode in ("training", "inference"):
        dense, sparse = estimates["0"][mode], estimates["0.05"][mode]
        assert sparse["energy_pj"]["total"] < dense["energy_pj"]["total"]
        assert dense["latency_ns"]["total"] > 0
    assert estimates["0"]["training"]["energy_pj"]["learning"] > 0
    assert estimates["0"]["inference"]["energy_pj"]["learning"] == 0


@pytest.mark.lava
def test_map_can_count_the_messages_in_the_lava_graph(capsys):
    """--activity lava: the cpu graph's own counters feed the same estimate; at θ = 0 they
    equal the engine's count, so the energies agree."""
    estimates = {}
    for activity in ("lava", "engine"):
        assert main(["map", "models/digits.toml", "--chip", "loihi1", "--json", "--samples", "1",
                     "--activity", activity]) == 0
        result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert result["activity"]["counted_on"] == activity
        estimates[activity] = result["chips"]["loihi1"]["estimates"]["0"]
    for mode in ("training", "inference"):
        assert estimates["lava"][mode]["energy_pj"]["total"] == pytest.approx(
            estimates["engine"][mode]["energy_pj"]["total"])


def test_export_writes_a_nir_file_that_reads_back(tmp_path, capsys):
    pytest.importorskip("nir")
    from lava_eqprop.export.nir_graph import read_nir
    from lava_eqprop.io.hdf5 import load_network

    assert main(["train", "models/digits.toml", "--epochs", "1", "--train-samples", "100",
                 "--test-samples", "20", "--out", str(tmp_path / "run"), "--quiet"]) == 0
    assert main(["export", str(tmp_path / "run" / "network.h5"), str(tmp_path / "net.nir")]) == 0
    assert "NIR graph of 'digits-64-64-10'" in capsys.readouterr().out
    back = read_nir(tmp_path / "net.nir")
    stored = load_network(tmp_path / "run" / "network.h5")
    for a, b in zip(stored.projections, back.projections):
        np.testing.assert_array_equal(a.weight, b.weight)
    assert back.spec_text == stored.spec_text
    assert main(["export", str(tmp_path / "missing.h5"), str(tmp_path / "x.nir")]) == 2
