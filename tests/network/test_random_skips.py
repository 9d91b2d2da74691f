"""Random layer-skipping skips of a conv net (the conv form of Gammell et al.'s small world):
the candidates against an enumeration written here, the count and the probability, the draw's
independence from the weights, equal parameters with the learned ResNet skips, the refusals."""

import numpy as np
import pytest

import lava_eqprop as le
from lava_eqprop.errors import SpecError

PLAIN = "models/depth_digits_plain.toml"
RESNET = "models/depth_digits_resnet.toml"


def skips_of(network):
    return {(p.pre, p.post) for p in network.projections if "~" in p.name}


def expected_candidates(spec):
    """Every (pre, post) with post at least two populations after pre, input first; the
    depth nets' layers are all 8x8, so a stride-1 1x1 conv maps each pair."""
    names = ["input"] + [f"c{k + 1}" for k in range(len(spec.conv.channels))]
    return {(names[i], names[j]) for i in range(len(names)) for j in range(i + 2, len(names))}


def test_p_one_takes_every_candidate_and_p_zero_none():
    spec = le.load_spec(PLAIN)
    every = spec.with_keys({"network.conv.random_skip_p": 1.0}).build_network()
    assert skips_of(every) == expected_candidates(spec) and len(skips_of(every)) == 28
    for proj in every.projections:
        if "~" in proj.name:
            channels_in = 1 if proj.pre == "input" else 8
            assert proj.kind == "conv" and proj.weight.shape == (8, channels_in, 1, 1)
            assert proj.geometry.stride == 1 and proj.plastic


def test_a_count_draws_that_many_distinct_pairs_set_by_the_seed_alone():
    spec = le.load_spec(PLAIN)
    drawn = {seed: skips_of(spec.with_keys({"network.conv.random_skips": 4,
                                            "network.seed": seed}).build_network())
             for seed in range(6)}
    assert all(len(s) == 4 and s <= expected_candidates(spec) for s in drawn.values())
    assert len({frozenset(s) for s in drawn.values()}) > 1
    again = spec.with_keys({"network.conv.random_skips": 4, "network.seed": 3}).build_network()
    assert skips_of(again) == drawn[3]


def test_the_probability_is_the_share_of_candidates_taken():
    """Over 40 seeds × 28 candidates, the share taken at p = 0.25 is within 4 σ of p."""
    spec = le.load_spec(PLAIN)
    taken = [len(skips_of(spec.with_keys({"network.conv.random_skip_p": 0.25,
                                          "network.seed": seed}).build_network()))
             for seed in range(40)]
    n = 40 * 28
    assert abs(sum(taken) / n - 0.25) <= 4 * np.sqrt(0.25 * 0.75 / n)


def test_the_draw_leaves_the_weights_and_matches_the_resnets_parameters():
    """The chain and head weights are those of the plain net of the same seed; four random
    skips add the parameters of the ResNet's four skips to within one percent (a skip from
    the one-channel input has 8, one between conv layers 64)."""
    plain = le.load_spec(PLAIN).build_network()
    small = le.load_spec(PLAIN).with_keys({"network.conv.random_skips": 4}).build_network()
    resnet = le.load_spec(RESNET).build_network()
    for proj in plain.projections:
        np.testing.assert_array_equal(small.projection(proj.name).weight, proj.weight)

    def parameters(net):
        return sum(p.weight.size for p in net.projections if p.plastic)
    added = parameters(small) - parameters(plain)
    assert added == 4 * 64 - 56 * sum(pre == "input" for pre, _ in skips_of(small))
    assert parameters(resnet) - parameters(plain) == 3 * 64 + 8
    assert abs(parameters(small) - parameters(resnet)) <= 0.01 * parameters(resnet)


@pytest.mark.parametrize("keys, message", [
    ({"network.conv.random_skips": 29}, r"\[network.conv\].*29 asked for, but only 28 pairs"),
    ({"network.conv.random_skips": 2, "network.conv.random_skip_p": 0.1},
     r"random_skip_p: give random_skips .* not both"),
    ({"network.conv.random_skip_p": 1.5}, r"random_skip_p"),
])
def test_bad_random_skips_are_refused_naming_the_key(keys, message):
    with pytest.raises(SpecError, match=message):
        le.load_spec(PLAIN).with_keys(keys)


def test_a_hopfield_resnet_takes_no_random_skips():
    with pytest.raises(SpecError, match=r"random_skips: a hopfield_resnet's blocks"):
        le.load_spec("models/hopfield_resnet13.toml").with_keys(
            {"network.conv.random_skips": 2})
