"""Spec values that are well-typed TOML but make no sense are refused on load, naming the file
and the key: run names that are not plain file names, a path for the embedded data set,
non-finite and out-of-range numbers, and nets too large for the machine's memory."""

from pathlib import Path

import numpy as np
import pytest

from lava_eqprop.errors import SpecError
from lava_eqprop.spec import footprint, load_spec
from tests.spec.test_model_spec import GOOD, MODELS, assert_refused, write

GIB = 2 ** 30


@pytest.mark.parametrize("name", ["../../../x", "", " ", ".hidden", "..", "a/b", "a\\\\b",
                                  "tab\\tname", "nul\\u0000", "x" * 256])
def test_a_run_name_must_be_a_plain_file_name(tmp_path, name):
    assert_refused(write(tmp_path, GOOD.replace('name = "t"', f'name = "{name}"')),
                   ["[model] name", "plain file name", "runs/<name>"])


@pytest.mark.parametrize("name", ["digits-64 v2", "réseau_1", "a..b"])
def test_plain_run_names_are_allowed(tmp_path, name):
    assert load_spec(write(tmp_path, GOOD.replace('name = "t"', f'name = "{name}"'))).name == name


def test_a_path_for_the_embedded_digits_is_refused(tmp_path):
    assert_refused(write(tmp_path, GOOD.replace('dataset = "digits"',
                                                'dataset = "digits"\npath = "data/mnist"')),
                   ["[data] path", "'data/mnist'", "ships with scikit-learn"])


CONV = (Path(__file__).parents[2] / "models" / "conv_mnist.toml").read_text()


@pytest.mark.parametrize("text, old, new, fragments", [
    (GOOD, "beta = 0.5", "beta = nan", ["[learning] beta", "finite"]),
    (GOOD, "free_steps = 5", "free_steps = 5\nepsilon = inf", ["[dynamics] epsilon", "finite"]),
    (GOOD, "learning_rate = 0.1", "learning_rate = nan", ["[learning] learning_rate", "finite"]),
    (GOOD, "learning_rate = 0.1", "layer_learning_rates = [0.1, inf]",
     ["[learning] layer_learning_rates", "numbers > 0"]),
    (GOOD, "free_steps = 5", "free_steps = true", ["[dynamics] free_steps", "expected integer"]),
    (GOOD, "batch_size = 8", "batch_size = 8\nseed = 1180591620717411303424",
     ["[learning] seed", "too large", "64 bits"]),
    (GOOD, "free_steps = 5", "free_steps = 1000000000000000000000000000000",
     ["[dynamics] free_steps", "too large"]),
    (GOOD, 'dataset = "digits"', 'dataset = "digits"\naugment = ["crop"]\ncrop_padding = 8',
     ["[data] crop_padding", "= 8", "[0, 7]", "8x8 pixels"]),
    (GOOD, 'dataset = "digits"', 'dataset = "digits"\ncrop_padding = 4611686018427387904',
     ["[data] crop_padding", "[0, 7]"]),
    (GOOD, "layers = [64, 16, 10]", "layers = [64, 0, 10]",
     ["[network] layers", "expected a list of positive integers"]),
    (GOOD, "layers = [64, 16, 10]", "layers = [64, 16, 10]\n[network.conv]\nclasses = 1",
     ["[network.conv]", "only allowed with topology"]),
    (GOOD, 'name = "t"', "name = {first = 1}", ["[model] name", "expected string"]),
    (CONV, "kernels = [5, 5]", "kernels = [5, 0]",
     ["[network.conv] kernels", "expected a list of positive integers"]),
    (CONV, "gains = [0.5, 0.5, 0.5]", "gains = [inf, 0.5, 0.5]",
     ["[network.conv] gains", "three positive numbers"]),
])
def test_numbers_that_make_no_sense_are_refused(tmp_path, text, old, new, fragments):
    assert old in text
    assert_refused(write(tmp_path, text.replace(old, new, 1)), fragments)


def test_positive_integer_lists_say_so_without_a_zero_minimum(tmp_path):
    with pytest.raises(SpecError) as err:
        load_spec(write(tmp_path, CONV.replace("kernels = [5, 5]", "kernels = [5, -5]")))
    assert "at least 0" not in str(err.value)


@pytest.fixture
def memory_of_64_gib(monkeypatch):
    monkeypatch.setattr(footprint, "physical_memory", lambda: 64 * GIB)


@pytest.mark.parametrize("text, old, new, where", [
    (GOOD, "layers = [64, 16, 10]", "layers = [64, 1000000000, 10]", "[network] layers"),
    (GOOD, "layers = [64, 16, 10]", 'topology = "small_world"\nlayers = [64, 100000, 100000, 10]'
     "\n[network.small_world]\np = 0.1", "[network] layers"),
    (CONV, "channels = [32, 64]", "channels = [1000000000000, 64]", "[network.conv]"),
    (CONV, "classes = 10", "classes = 1000000000000000000", "[network.conv]"),
    (CONV, "input_shape = [1, 28, 28]", "input_shape = [1, 10000000, 10000000]",
     "[network.conv]"),
])
def test_a_net_larger_than_memory_is_refused_before_allocation(tmp_path, memory_of_64_gib, text,
                                                               old, new, where):
    assert old in text
    assert_refused(write(tmp_path, text.replace(old, new, 1)),
                   [where, "the network needs at least", "this machine has 64.0 GiB"])


def test_the_memory_check_has_no_effect_where_the_net_fits(tmp_path, monkeypatch):
    spec_path = write(tmp_path, GOOD)
    monkeypatch.setattr(footprint, "physical_memory", lambda: 1000)
    assert_refused(spec_path, ["[network] layers", "needs at least"])
    monkeypatch.setattr(footprint, "physical_memory", lambda: None)
    assert load_spec(spec_path).name == "t"


EXACT = [p for p in MODELS if any(t in p.read_text() for t in ('"layered"', '"conv"',
                                                                '"hopfield_resnet"'))]


@pytest.mark.parametrize("path", EXACT, ids=[p.stem for p in EXACT])
def test_the_footprint_counts_what_the_generators_allocate(path):
    spec = load_spec(path)
    net = spec.build_network()
    counted = footprint.network_footprint(spec.network, spec.conv)
    assert counted.parameters == (sum(np.size(p.weight) for p in net.projections)
                                  + sum(np.size(p.bias) for p in net.populations))
    assert counted.neurons == sum(p.size for p in net.populations)
