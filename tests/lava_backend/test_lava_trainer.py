"""Training in Lava through the trainer and the CLI: same files, same numbers as the engine."""

import json

import numpy as np
import pytest

from lava_eqprop.cli.main import main
from lava_eqprop.data.datasets import load_dataset
from lava_eqprop.errors import SpecError
from lava_eqprop.io.hdf5 import load_network
from lava_eqprop.spec.model_spec import load_spec

pytestmark = pytest.mark.lava

# A one-block Hopfield-ResNet on digits in what Lava trains: synchronous updates, plain SGD,
# centered EP; per-channel biases (learnt by the populations, summed over each channel)
TINY_CONV = """
[model]
name = "tiny-conv"
[data]
dataset = "digits"
[network]
topology = "conv"
activation = "clipped_relu"
output_activation = "hard_sigmoid"
weight_init = "fan_in_uniform"
bias_init = "fan_in_uniform"
seed = 2
[network.conv]
input_shape = [1, 8, 8]
classes = 10
channels = [3, 3]
paddings = [1, 1]
strides = [1, 2]
skips = [["input", "c2", "conv"]]
gains = [0.6, 0.7, 0.8]
[dynamics]
epsilon = 0.5
free_steps = 12
nudged_steps = 6
[learning]
beta = 0.2
estimator = "symmetric"
learning_rate = 0.05
batch_size = 16
epochs = 1
seed = 3
dtype = "float64"
"""


@pytest.mark.parametrize("net", ["dense", "conv"])
def test_lava_epoch_equals_engine_epoch(net, tiny_spec_path, tmp_path):
    """One epoch of float Lava training = one engine epoch (same seed: same batches and β
    signs), to 1e-6 relative in every weight and bias change; train errors identical. The
    conv net has shared kernels, a skip conv, stride 2 and channel biases."""
    from lava_eqprop.lava_backend.trainer import LavaTrainer
    from lava_eqprop.training.trainer import Trainer

    if net == "conv":
        (tmp_path / "conv.toml").write_text(TINY_CONV)
    spec = load_spec(tiny_spec_path() if net == "dense" else tmp_path / "conv.toml")
    data = load_dataset("digits").subset(240, 60)
    engine = Trainer(spec, data, tmp_path / "engine", progress=False, log=lambda m: None)
    initial = {p.name: p.weight.copy() for p in engine.network.projections}
    initial_bias = {p.name: p.bias.copy() for p in engine.network.free}
    engine_record = engine.train(1)[0]
    lava = LavaTrainer(spec, data, tmp_path / "lava", progress=False, log=lambda m: None,
                       lava_options={"watchdog_seconds": 60})
    lava_record = lava.train(1)[0]
    for proj in engine.network.projections:
        d_engine = proj.weight - initial[proj.name]
        d_lava = lava.network.projection(proj.name).weight - initial[proj.name]
        assert np.max(np.abs(d_lava - d_engine)) <= 1e-6 * np.max(np.abs(d_engine)), proj.name
    for pop in engine.network.free:
        d_engine = pop.bias - initial_bias[pop.name]
        d_lava = lava.network.population(pop.name).bias - initial_bias[pop.name]
        assert np.max(np.abs(d_engine)) > 0, pop.name
        assert np.max(np.abs(d_lava - d_engine)) <= 1e-6 * np.max(np.abs(d_engine)), pop.name
    assert lava_record["train_error"] == engine_record["train_error"]
    assert lava_record["test_error"] == engine_record["test_error"]
    assert lava_record["synops_per_sample"]["free"] > 0
    summary = json.loads((tmp_path / "lava" / "summary.json").read_text())
    assert summary["epochs"][0]["backend"]["name"] == "lava"
    assert (tmp_path / "lava" / "errors.png").exists() and (tmp_path / "lava" / "updates.png").exists()


@pytest.mark.parametrize("edit, key", [
    (("persistent = false", "persistent = true"), r"\[dynamics\] persistent"),
    (('dataset = "digits"', 'dataset = "digits"\naugment = ["flip"]'), r"\[data\] augment")])
def test_what_the_graph_cannot_do_is_refused_by_name(tiny_spec_path, tmp_path, edit, key):
    """Persistent particles and augmentation would be silently ignored by the graph."""
    from lava_eqprop.lava_backend.trainer import LavaTrainer

    path = tiny_spec_path()
    path.write_text(path.read_text().replace(*edit))
    with pytest.raises(SpecError, match=key + ": on is not supported by the lava-float backend"):
        LavaTrainer(load_spec(path), load_dataset("digits").subset(50, 10), tmp_path / "x",
                    progress=False)


def test_cli_train_compile_and_run_in_lava(tiny_spec_path, tmp_path, capsys):
    path = tiny_spec_path()
    out = tmp_path / "run"
    assert main(["train", str(path), "--backend", "lava", "--epochs", "1", "--out", str(out),
                 "--train-samples", "120", "--test-samples", "40", "--quiet"]) == 0
    assert load_network(out / "network.h5").projections
    assert main(["compile", str(path), "--out", str(tmp_path / "graph.json")]) == 0
    graph = json.loads((tmp_path / "graph.json").read_text())
    names = {p["name"] for p in graph["processes"]}
    assert {"controller", "data", "h1", "output", "input-h1", "h1-output", "readout"} <= names
    assert {"from": "h1-output.bwd_out", "to": "h1.a_in", "shape": [1, 32]} in graph["connections"]
    capsys.readouterr()
    assert main(["run", str(out / "network.h5"), "--backend", "lava", "--samples", "40",
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["backend"] == "lava" and result["samples"] == 40
    assert result["events_per_sample"]["free"] > 0
