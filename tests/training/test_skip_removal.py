"""Removing a small-world net's skips during training: which projections are skips, the fade's
factors against the linear fall they stand for, the removal inside training against the same
run without it with the skips removed by hand, momentum, resume, and the spec's refusals."""

import numpy as np
import pytest

import lava_eqprop as le
from lava_eqprop.errors import SpecError
from lava_eqprop.training.skip_removal import SkipRemoval, live_skips, skip_projections

SHORT = {"data.train_samples": 240, "data.test_samples": 120, "learning.epochs": 3}


def small_world(**keys):
    return le.load_spec("models/digits_small_world.toml").with_keys(SHORT | keys)


def test_skips_are_the_projections_between_non_neighbouring_layers():
    net = small_world().build_network()
    order = [p.name for p in net.populations]
    names = {p.name for p in skip_projections(net)}
    assert names and names == {p.name for p in net.projections
                               if abs(order.index(p.post) - order.index(p.pre)) >= 2}
    assert live_skips(net) == sum(int(p.mask.sum()) for p in skip_projections(net)
                                  if p.mask is not None)


@pytest.mark.parametrize("over", [1, 2, 3, 5])
def test_a_fade_multiplies_to_a_linear_fall_and_ends_at_zero(over):
    removal = SkipRemoval("fade", after=2, over=over)
    scale, scales = 1.0, []
    for epoch in range(1, 2 + over + 2):
        factor = removal.factor(epoch)
        assert (factor is None) == (epoch < 2 or epoch > 1 + over)
        scale *= 1.0 if factor is None else factor
        scales.append(scale)
    assert scales[:1] == [1.0]
    assert scales[1:1 + over] == pytest.approx([(over - 1 - j) / over for j in range(over)])
    assert removal.last_epoch == 1 + over and scales[-1] == 0.0
    once = SkipRemoval("at_once", after=2, over=7)
    assert [once.factor(e) for e in (1, 2, 3)] == [None, 0.0, None] and once.last_epoch == 2


def hand_removed(network):
    """The network with every skip's weight zeroed, written independently of the module."""
    order = [p.name for p in network.populations]
    for proj in network.projections:
        if abs(order.index(proj.post) - order.index(proj.pre)) >= 2:
            proj.weight[...] = 0.0
    return network


def test_removal_at_once_matches_the_run_without_it_with_the_skips_removed_by_hand():
    """The epoch that removes the skips reports the test error of the trained net without
    them (evaluated here by the API), and no skip grows back while the net left fine-tunes."""
    spec = small_world(**{"learning.remove_skips": "at_once", "learning.remove_skips_after": 2})
    run = le.train(spec, progress=False)
    kept = le.train(small_world(), epochs=2, progress=False)
    assert [r["test_error"] for r in run.history[:1]] == [kept.history[0]["test_error"]]
    assert run.history[0]["skip_connections"] > 0 == run.history[1]["skip_connections"]
    assert run.history[2]["skip_connections"] == 0
    alone = le.evaluate(hand_removed(kept.network), samples=SHORT["data.test_samples"])
    assert run.history[1]["test_error"] == alone.error != kept.history[1]["test_error"]
    for proj in skip_projections(run.network):
        assert not proj.mask.any() and not proj.weight.any()
    layers = {p.name for p in run.network.layer_projections()}
    assert all(run.network.projection(n).weight.any() for n in layers)


def test_a_fade_halves_the_skips_then_removes_them_and_momentum_does_not_regrow_them():
    keys = {"learning.momentum": 0.9, "learning.remove_skips": "fade",
            "learning.remove_skips_after": 1, "learning.remove_skips_over": 2}
    run = le.train(small_world(**keys), epochs=1, progress=False)
    kept = le.train(small_world(**{"learning.momentum": 0.9}), epochs=1, progress=False)
    for proj in skip_projections(run.network):
        np.testing.assert_array_equal(proj.weight, 0.5 * kept.network.projection(proj.name).weight)
    full = le.train(small_world(**keys), progress=False)
    assert [r["skip_connections"] > 0 for r in full.history] == [True, False, False]
    assert not any(p.weight.any() for p in skip_projections(full.network))


def test_a_run_interrupted_after_the_removal_resumes_to_the_same_net(tmp_path):
    spec = small_world(**{"learning.remove_skips": "at_once", "learning.remove_skips_after": 1})
    whole = le.train(spec, progress=False)
    le.train(spec, epochs=2, out=tmp_path / "run", progress=False)
    resumed = le.train(spec, out=tmp_path / "run", resume=True, progress=False)
    assert [r["test_error"] for r in resumed.history] == [r["test_error"] for r in whole.history]
    for proj in whole.network.projections:
        np.testing.assert_array_equal(resumed.network.projection(proj.name).weight, proj.weight)


@pytest.mark.parametrize("keys, message", [
    ({"learning.remove_skips": "at_once", "learning.remove_skips_after": 1},
     r"\[learning\] remove_skips: .*needs topology = 'small_world', not 'layered'"),
])
def test_removal_on_a_layered_net_is_refused(keys, message):
    spec = le.load_spec("models/digits_deep_layered.toml")
    with pytest.raises(SpecError, match=message):
        spec.with_keys(keys)


@pytest.mark.parametrize("keys, message", [
    ({"learning.remove_skips": "at_once"}, r"remove_skips_after: .*at least 1"),
    ({"learning.remove_skips": "fade", "learning.remove_skips_after": 2,
      "learning.remove_skips_over": 3}, r"remove_skips_after: .*end after epoch 4, past the "
                                        r"last of the 3 epochs"),
    ({"learning.remove_skips_after": 2}, r"remove_skips_after: set, but remove_skips is 'none'"),
    ({"learning.remove_skips": "gone"}, r"remove_skips"),
])
def test_bad_removal_settings_are_refused_naming_the_key(keys, message):
    with pytest.raises(SpecError, match=message):
        small_world(**keys)
