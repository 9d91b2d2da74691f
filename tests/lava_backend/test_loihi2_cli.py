"""The loihi2 target from the command line: training equals the engine's, inference gives the
engine's predictions, compile lists the stock synapses, refusals are one line (exit 2).

The spec is models/digits.toml with what the loihi2 graph trains: the one-sided estimator and
one sample per update (the file as it is, with batches of 16, is refused)."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from lava_eqprop.cli.main import main
from lava_eqprop.io.hdf5 import load_network
from lava_eqprop.spec.model_spec import load_spec

pytestmark = pytest.mark.lava
DIGITS = Path(__file__).resolve().parents[2] / "models" / "digits.toml"
TOL = 1e-9
SAMPLES = ["--epochs", "1", "--train-samples", "60", "--test-samples", "30", "--quiet"]


def one_sided_digits(tmp_path: Path) -> Path:
    text = DIGITS.read_text()
    path = tmp_path / "digits_one_sided.toml"
    path.write_text(text.replace('estimator = "symmetric"', 'estimator = "one_sided"')
                    .replace("batch_size = 16", "batch_size = 1"))
    return path


@pytest.mark.timeout(120)
def test_loihi2_train_run_and_compile_from_the_cli(tmp_path, capsys):
    spec = one_sided_digits(tmp_path)
    lava, engine = tmp_path / "lava", tmp_path / "engine"
    assert main(["train", str(spec), "--backend", "lava", "--target", "loihi2", *SAMPLES,
                 "--out", str(lava)]) == 0
    assert main(["train", str(spec), *SAMPLES, "--out", str(engine)]) == 0
    trained, reference = load_network(lava / "network.h5"), load_network(engine / "network.h5")
    for proj in reference.projections:
        np.testing.assert_allclose(trained.projection(proj.name).weight, proj.weight,
                                   rtol=0, atol=TOL, err_msg=proj.name)
    for pop in reference.free:
        np.testing.assert_allclose(trained.population(pop.name).bias, pop.bias, rtol=0, atol=TOL)
    initial = load_spec(spec).build_network()
    moved = max(np.abs(p.weight - initial.projection(p.name).weight).max()
                for p in trained.projections)
    assert moved > 1e-2, "the epoch did not learn: the comparison would be empty"
    records = [json.loads((d / "summary.json").read_text())["epochs"][0] for d in (lava, engine)]
    assert records[0]["backend"]["target"] == "loihi2"
    assert records[0]["train_error"] == records[1]["train_error"]
    assert records[0]["test_error"] == records[1]["test_error"]

    capsys.readouterr()
    errors = []
    for backend in (["--backend", "lava", "--target", "loihi2"], []):
        assert main(["run", str(lava / "network.h5"), "--samples", "30", "--json",
                     *backend]) == 0
        errors.append(json.loads(capsys.readouterr().out.strip().splitlines()[-1])["test_error"])
    assert errors[0] == errors[1]

    graph_file = tmp_path / "g.json"
    assert main(["compile", str(spec), "--target", "loihi2", "--out", str(graph_file)]) == 0
    graph = json.loads(graph_file.read_text())
    synapses = [p for p in graph["processes"]
                if p["class"] == "lava.proc.dense.process.LearningDense"]
    assert len(synapses) == 3 and {p["kind"] for p in synapses} == {"synapse"}
    assert {p["kind"] for p in graph["processes"]} == {"neuron", "synapse", "io", "control"}
    assert {"from": "data.s_out", "to": "input-h1.forward.s_in",
            "shape": [64]} in graph["connections"]


def test_loihi2_predictions_are_the_engines():
    """lava_predict on the loihi2 target: every label equals the engine's argmax."""
    from lava_eqprop.data.datasets import load_dataset
    from lava_eqprop.engine.loss import get_loss
    from lava_eqprop.lava_backend.inference import lava_predict
    from lava_eqprop.lava_backend.settings import settings_from_spec
    from lava_eqprop.training.evaluate import predict
    from lava_eqprop.training.relaxers import make_relaxer

    spec = load_spec(DIGITS)
    network = spec.build_network()
    x = load_dataset("digits").subset(1, 20).x_test.reshape(20, -1).astype(float)
    settings = settings_from_spec(spec, network, training=False, target="loihi2")
    labels, counters = lava_predict(network, settings, x, 20, 10)
    relaxer = make_relaxer(network, spec.dynamics_settings(), get_loss(spec.learning.loss),
                           np.float64, None)
    assert len(set(labels)) > 2 and counters == {}
    assert np.array_equal(labels, predict(relaxer, x, 20))


REFUSED = {
    "batch_size": (["train", str(DIGITS), "--backend", "lava", "--target", "loihi2"],
                   r"\[learning\] batch_size: several samples is not supported by the "
                   "lava-loihi2"),
    "fixed": (["train", "{spec}", "--backend", "lava", "--target", "loihi2", "--precision",
               "fixed", "--weight-bits", "10"],
              r"projection 'input-h1': its weights on the grid .* would leave \[-256, 255\]"),
    "batch": (["compile", "{spec}", "--target", "loihi2", "--lava-batch", "4"],
              "the loihi2 graph runs one sample at a time"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_loihi2_refusals_are_one_line(case, tmp_path, capsys):
    argv, words = REFUSED[case]
    spec = str(one_sided_digits(tmp_path))
    argv = [a.replace("{spec}", spec) for a in argv] + ["--out", str(tmp_path / "out")]
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert re.search(words, err), err
