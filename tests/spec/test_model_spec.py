"""Model specs: every shipped spec loads and builds; bad specs fail naming file, key and choices."""

from pathlib import Path

import numpy as np
import pytest

from lava_eqprop.errors import SpecError
from lava_eqprop.spec import load_spec

MODELS = sorted((Path(__file__).parents[2] / "models").glob("*.toml"))

GOOD = """
[model]
name = "t"
[data]
dataset = "digits"
[network]
layers = [64, 16, 10]
[dynamics]
free_steps = 5
nudged_steps = 2
[learning]
beta = 0.5
learning_rate = 0.1
batch_size = 8
epochs = 1
"""


def test_the_shipped_models_are_all_there():
    names = {p.stem for p in MODELS}
    assert {"digits", "scellier_784-500-10", "scellier_784-500-500-10",
            "scellier_784-500-500-500-10", "gammell_layered_global",
            "gammell_small_world"} <= names


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_shipped_model_loads_and_builds(path):
    spec = load_spec(path)
    net = spec.build_network()
    inputs = spec.conv.input_shape if spec.conv else spec.network.layers[:1]
    assert net.inputs[0].size == np.prod(inputs)
    weight_lr, bias_lr = spec.learning_rates(net)
    assert set(weight_lr) == {p.name for p in net.projections if p.plastic}
    assert all(v > 0 for v in weight_lr.values()) and all(v > 0 for v in bias_lr.values())


def test_per_layer_rates_follow_scellier():
    spec = load_spec(next(p for p in MODELS if p.stem == "scellier_784-500-500-500-10"))
    weight_lr, bias_lr = spec.learning_rates(spec.build_network())
    assert weight_lr == {"input-h1": 0.128, "h1-h2": 0.032, "h2-h3": 0.008, "h3-output": 0.002}
    assert bias_lr == {"h1": 0.128, "h2": 0.032, "h3": 0.008, "output": 0.002}


def write(tmp_path, text):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("edit, fragments", [
    (lambda s: s + "[extra]\n", ["[extra]", "unknown section", "[model]"]),
    (lambda s: s.replace("layers =", "layerz ="), ["[network] layerz", "unknown key", "layers"]),
    (lambda s: s.replace('dataset = "digits"', 'dataset = "imagenet"'),
     ["[data] dataset", "'imagenet' is not allowed", "'mnist'"]),
    (lambda s: s.replace("free_steps = 5", 'free_steps = "5"'),
     ["[dynamics] free_steps", "expected integer"]),
    (lambda s: s.replace("free_steps = 5", "free_steps = 0"),
     ["[dynamics] free_steps", "a number > 0"]),
    (lambda s: s.replace("beta = 0.5\n", ""), ["[learning] beta", "required"]),
    (lambda s: s.replace("layers = [64, 16, 10]", "layers = [64]"),
     ["[network] layers", "at least 2 positive"]),
    (lambda s: s.replace("learning_rate = 0.1",
                         "learning_rate = 0.1\nlayer_learning_rates = [0.1, 0.1]"),
     ["[learning]", "exactly one of learning_rate"]),
    (lambda s: s.replace("learning_rate = 0.1", "layer_learning_rates = [0.1]"),
     ["layer_learning_rates", "has 1 rates", "2 layer pairs"]),
    (lambda s: s.replace("[network]", '[network]\ntopology = "small_world"'),
     ["[network.small_world]", "required when topology"]),
    (lambda s: s.replace("[dynamics]", "[network.small_world]\np = 0.1\n[dynamics]"),
     ["[network.small_world]", "only allowed with topology"]),
    (lambda s: s.replace("beta = 0.5", "beta = 3.0"), ["[learning] beta", "would not converge"]),
    (lambda s: s.replace("[model]", "[model"), ["not valid TOML"]),
    (lambda s: s.replace('name = "t"', "name = 3"), ["[model] name", "expected string"]),
])
def test_bad_spec_names_file_key_and_allowed_values(tmp_path, edit, fragments):
    assert_refused(write(tmp_path, edit(GOOD)), fragments)


def assert_refused(path, fragments):
    """Loading ``path`` fails with a message that starts with the path and names each fragment."""
    with pytest.raises(SpecError) as err:
        load_spec(path)
    message = str(err.value)
    assert message.startswith(str(path))
    for fragment in fragments:
        assert fragment in message


def test_good_spec_and_missing_file(tmp_path):
    spec = load_spec(write(tmp_path, GOOD))
    assert spec.eval_steps == 5 and spec.learning.loss == "half_squared_error"
    with pytest.raises(SpecError, match="no such file"):
        load_spec(tmp_path / "nope.toml")


DIRECTED = GOOD.replace("layers = [64, 16, 10]", 'topology = "directed"\nlayers = [64, 16, 10]\n'
                        'weight_init = "normal"\nweight_gain = 0.05\n'
                        "[network.directed]\nedges = [[0, 64], [64, 80], [80, 64]]")


def test_directed_spec_builds_its_edges_and_complete_spec_every_pair(tmp_path):
    spec = load_spec(write(tmp_path, DIRECTED))
    assert spec.build_network().num_connections == 3
    complete_text = (DIRECTED.replace('"directed"', '"complete_directed"')
                     .replace("[network.directed]\nedges = [[0, 64], [64, 80], [80, 64]]", ""))
    complete = load_spec(write(tmp_path, complete_text))
    n = 64 + 16 + 10
    assert complete.build_network().num_connections == n * (n - 1) - 64 * (n - 1)
    sparse = load_spec(write(tmp_path, DIRECTED.replace("edges = [[0, 64], [64, 80], [80, 64]]",
                                                        "connections = 500")))
    assert sparse.build_network().num_connections == 500


@pytest.mark.parametrize("edit, fragments", [
    (lambda s: s.replace("[[0, 64], [64, 80], [80, 64]]", "[[64, 0]]"),
     ["[network.directed]", "enters an input"]),
    (lambda s: s.replace("edges =", "adjacency = [[1]]\nedges ="),
     ["[network.directed]", "exactly one of edges"]),
    (lambda s: s.replace("edges =", "connections = 5\nedges ="),
     ["[network.directed]", "exactly one of edges"]),
    (lambda s: s.replace("edges = [[0, 64], [64, 80], [80, 64]]", "connections = 100000"),
     ["[network.directed]", "connections = 100000, but"]),
    (lambda s: s.replace("edges = [[0, 64], [64, 80], [80, 64]]", "adjacency = [[0, 1], [0, 0]]"),
     ["[network.directed]", "adjacency has shape (2, 2)"]),
    (lambda s: s.replace('weight_init = "normal"', 'weight_init = "glorot_uniform"'),
     ["[network] weight_init", "N(0, weight_gain"]),
    (lambda s: s.replace("layers = [64, 16, 10]", "layers = [64, 16, 16, 10]"),
     ["[network] layers", "[inputs, hidden, outputs]"]),
    (lambda s: s.replace('topology = "directed"', 'topology = "complete_directed"'),
     ["[network.directed]", "use topology = 'directed'"]),
    (lambda s: GOOD.replace("beta = 0.5", 'beta = 0.5\nestimator = "asymmetric"'),
     ["[learning] estimator", "needs topology"]),
    (lambda s: GOOD.replace("beta = 0.5", "beta = 0.5\nprune_threshold = 0.01"),
     ["[learning] prune_threshold", "needs topology"]),
    (lambda s: s.replace("[learning]", "leak = 3.0\n[learning]"),
     ["[learning] beta", "would not converge"]),
])
def test_bad_directed_spec_is_named(tmp_path, edit, fragments):
    assert_refused(write(tmp_path, edit(DIRECTED)), fragments)
