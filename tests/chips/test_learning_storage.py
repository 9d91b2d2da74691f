"""What the loihi2 training graph stores (``lava-eqprop map --target loihi2``), against counts
worked by hand: per synapse a 9-bit weight and a 9-bit tag (Lava's W_WEIGHTS_S, W_TAG_1_S), a
sparse one also ⌈log₂ source size⌉ index bits; per copy and source neuron a 7-bit x1; per
learning neuron three 7-bit y traces and four 24-bit state variables (loihi2's config)."""

import json

import numpy as np
import pytest

from lava_eqprop.chips.config import load_chip_config
from lava_eqprop.chips.learning_storage import learning_storage, synapse_bits
from lava_eqprop.chips.mapping import map_network
from lava_eqprop.cli.main import main
from lava_eqprop.errors import MappingError
from lava_eqprop.network.generators import layered, small_world
from lava_eqprop.network.network import Network, Population, Projection

pytestmark = pytest.mark.lava     # the widths are Lava's constants


@pytest.fixture(scope="module")
def loihi2():
    return load_chip_config("loihi2")


def _masked_net() -> Network:
    """input(4) → h1(3) → output(2) and a skip input → output, all masked."""
    masks = {
        ("input", "h1"): np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]], bool),   # 5
        ("h1", "output"): np.array([[1, 0, 1], [0, 1, 0]], bool),                      # 3
        ("input", "output"): np.array([[1, 0, 0, 0], [0, 0, 0, 1]], bool),             # 2
    }
    pops = [Population("input", (4,), role="input"), Population("h1", (3,)),
            Population("output", (2,), role="output")]
    projs = [Projection(f"{pre}-{post}", pre, post, 0.5 * m, mask=m)
             for (pre, post), m in masks.items()]
    return Network("masked", pops, projs)


def test_a_layered_3_2_2_net_counted_by_hand(loihi2):
    net = layered([3, 2, 2], rng=np.random.default_rng(0))
    storage = learning_storage(net, loihi2).summary()
    assert storage["widths"] == {"weight_bits": 9, "tag_bits": 9, "trace_bits": 7,
                                 "state_bits": 24}
    # input-h1: forward only, 2 x 3 synapses, x1 of 3 inputs
    assert storage["projections"]["input-h1"] == {
        "process": "LearningDense", "copies": 1, "synapses": 6, "weight_bits": 54,
        "tag_bits": 54, "index_bits": 0, "x1_trace_bits": 21, "total_bits": 129}
    # h1-output: W (2, 2) and its mirror, x1 of h1's 2 and of output's 2 neurons
    assert storage["projections"]["h1-output"] == {
        "process": "LearningDense", "copies": 2, "synapses": 8, "weight_bits": 72,
        "tag_bits": 72, "index_bits": 0, "x1_trace_bits": 28, "total_bits": 172}
    neuron = {"neurons": 2, "y_trace_bits": 2 * 3 * 7, "state_bits": 2 * 4 * 24,
              "total_bits": 42 + 192}
    assert storage["populations"] == {"h1": neuron, "output": neuron}
    assert storage["total"] == {
        "copies": 3, "synapses": 14, "weight_bits": 126, "tag_bits": 126, "index_bits": 0,
        "x1_trace_bits": 49, "neurons": 4, "y_trace_bits": 84, "state_bits": 384,
        "synaptic_variable_bits": 252, "total_bits": 252 + 49 + 84 + 384}


def test_a_masked_net_counted_from_its_masks(loihi2):
    projections = learning_storage(_masked_net(), loihi2).summary()["projections"]
    # 5 synapses, 2 index bits over 4 inputs, x1 of 4 inputs
    assert projections["input-h1"] == {
        "process": "LearningSparse", "copies": 1, "synapses": 5, "weight_bits": 45,
        "tag_bits": 45, "index_bits": 10, "x1_trace_bits": 28, "total_bits": 128}
    # 3 synapses per copy; forward indexes h1 (2 bits), backward indexes output (1 bit)
    assert projections["h1-output"] == {
        "process": "LearningSparse", "copies": 2, "synapses": 6, "weight_bits": 54,
        "tag_bits": 54, "index_bits": 3 * 2 + 3 * 1, "x1_trace_bits": 35, "total_bits": 152}
    assert projections["input-output"] == {
        "process": "LearningSparse", "copies": 1, "synapses": 2, "weight_bits": 18,
        "tag_bits": 18, "index_bits": 4, "x1_trace_bits": 28, "total_bits": 68}


@pytest.mark.parametrize("make", [
    lambda rng: layered([7, 5, 3], rng=rng),
    lambda rng: small_world(layered([8, 6, 6, 3], rng=rng), 0.3, rng=rng),
    lambda rng: _masked_net(),
])
def test_synapses_and_synaptic_memory_agree_with_the_masks_and_the_mapping(make, loihi2):
    net = make(np.random.default_rng(5))
    total = learning_storage(net, loihi2).totals()
    copies = [1 if net.population(p.pre).clamped else 2 for p in net.projections]
    stored = [p.mask.sum() if p.mask is not None else p.weight.size for p in net.projections]
    assert total["synapses"] == sum(c * n for c, n in zip(copies, stored))
    assert total["copies"] == sum(copies)
    mapping = map_network(net, loihi2, weight_bits=synapse_bits())
    assert sum(c.synaptic_memory_bits for c in mapping.cores) == total["synaptic_variable_bits"]


def test_unrolled_convs_and_a_fixed_identity_skip_are_counted(loihi2):
    """tests/nets.py's conv net: a 3x3 conv with padding 1 over a 1x6x6 input into 2 channels
    connects 16 valid taps per axis, 16² per channel (512 synapses, forward only, indices of
    ⌈log₂ 36⌉ = 6 bits); the identity skip b~c (2x3x3) is a fixed Sparse pair of 18 synapses
    each, without tags or traces."""
    from tests.nets import conv_net

    projections = learning_storage(conv_net(np.random.default_rng(0)),
                                   loihi2).summary()["projections"]
    assert projections["input-a"] == {
        "process": "LearningSparse", "copies": 1, "synapses": 512, "weight_bits": 512 * 9,
        "tag_bits": 512 * 9, "index_bits": 512 * 6, "x1_trace_bits": 36 * 7,
        "total_bits": 512 * 24 + 36 * 7}
    assert projections["b~c"] == {
        "process": "Sparse", "copies": 2, "synapses": 36, "weight_bits": 36 * 9, "tag_bits": 0,
        "index_bits": 36 * 5, "x1_trace_bits": 0, "total_bits": 36 * 14}


@pytest.mark.parametrize("change, why", [
    (lambda p: Projection(p.name, p.pre, p.post, p.weight, symmetric=False), "directed"),
    (lambda p: Projection(p.name, p.post, p.post, np.zeros((2, 2))), "lateral"),
])
def test_projections_the_graph_does_not_build_are_refused_by_name(change, why, loihi2):
    net = layered([3, 2, 2], rng=np.random.default_rng(0))
    projs = [change(p) if p.name == "h1-output" else p for p in net.projections]
    with pytest.raises(MappingError, match=f"projection 'h1-output': .*{why}"):
        learning_storage(Network(net.name, net.populations, projs), loihi2)


def test_a_chip_without_learning_widths_is_refused():
    net = layered([3, 2, 2], rng=np.random.default_rng(0))
    with pytest.raises(MappingError, match=r"'cpu' has no \[arithmetic\] and \[learning\]"):
        learning_storage(net, load_chip_config("cpu"))


def test_map_target_loihi2_prints_and_returns_the_storage(capsys):
    assert main(["map", "models/digits.toml", "--chip", "loihi2", "--target", "loihi2",
                 "--json"]) == 0
    out = capsys.readouterr().out
    assert "loihi2 training graph, in bits" in out
    assert "input-h1      LearningDense         1      4096     36864     36864" in out
    storage = json.loads(out.strip().splitlines()[-1])["chips"]["loihi2"]["learning_storage"]
    # 64-64-10: input-h1 64 x 64 forward only; h1-output 10 x 64 twice
    assert storage["projections"]["h1-output"]["total_bits"] == 2 * 640 * 18 + (64 + 10) * 7
    assert storage["total"]["synaptic_variable_bits"] == (4096 + 1280) * 18
    assert storage["total"]["state_bits"] == 74 * 4 * 24
    memory = storage["synaptic_memory"]
    assert memory["cores"] == 2 and memory["share"] == pytest.approx(
        (4096 + 1280) * 18 / (2 * 128 * 8192))


def test_map_default_target_is_unchanged_and_refusals_are_one_line(capsys):
    assert main(["map", "models/digits.toml", "--chip", "loihi2", "--json"]) == 0
    out = capsys.readouterr().out
    assert "training graph" not in out and "target loihi2" not in out
    assert "learning_storage" not in json.loads(out.strip().splitlines()[-1])["chips"]["loihi2"]
    assert main(["map", "models/digits.toml", "--chip", "cpu", "--target", "loihi2"]) == 2
    assert "has no [arithmetic] and [learning] section" in capsys.readouterr().err
    assert main(["map", "models/digits.toml", "--target", "loihi2", "--weights", "shared"]) == 2
    assert "drop --weights shared" in capsys.readouterr().err
