"""Lava settings from a spec: the fixed-point weight grid is placed once and kept."""

import dataclasses

import numpy as np
import pytest

from lava_eqprop.chips.config import load_chip
from lava_eqprop.chips.fixed_point import choose_weight_exponent
from lava_eqprop.io.hdf5 import load_network, save_network
from lava_eqprop.lava_backend.settings import settings_from_spec
from lava_eqprop.spec.model_spec import load_spec

pytestmark = pytest.mark.lava


def test_weight_exponents_are_placed_once_and_travel_with_the_network(tiny_spec_path, tmp_path):
    """A chip fixes each projection's exponent when the network is placed. Weights that grow
    afterwards must saturate on that grid, not move it (a moving grid coarsens the learning
    steps mid-training); a saved network carries the grid to a resumed or later run; another
    weight width places a new grid."""
    spec = load_spec(tiny_spec_path())
    network = spec.build_network()
    placed = settings_from_spec(spec, network, precision="fixed").weight_exponents
    assert placed == {p.name: choose_weight_exponent(p.weight, 8, 2.0) for p in network.projections}
    for proj in network.projections:
        proj.weight *= 8.0
        assert choose_weight_exponent(proj.weight, 8, 2.0) == placed[proj.name] + 3
    assert settings_from_spec(spec, network, precision="fixed").weight_exponents == placed
    save_network(network, tmp_path / "net.h5", spec.text)
    reloaded = load_network(tmp_path / "net.h5")
    assert settings_from_spec(spec, reloaded, precision="fixed").weight_exponents == placed
    wider = settings_from_spec(spec, reloaded, precision="fixed", weight_bits=12).weight_exponents
    assert wider == {p.name: choose_weight_exponent(p.weight, 12, 2.0) for p in network.projections}


def test_a_placed_exponent_saturates_grown_weights(tiny_spec_path):
    """The synapse quantises with the exponent it is given: weights beyond its range clip to
    the largest mantissa."""
    from lava_eqprop.lava_backend.procs.plastic_synapse.process import PlasticSynapse

    arithmetic = dataclasses.asdict(load_chip("loihi2"))
    weight = np.array([[0.5, -3.0], [0.01, 1.0]])
    synapse = PlasticSynapse(batch=1, weight=weight, arithmetic=arithmetic, weight_exponent=-7)
    assert np.array_equal(synapse.weight.init, [[64, -128], [1, 127]])
    free = PlasticSynapse(batch=1, weight=weight, arithmetic=arithmetic)
    assert free.proc_params["weight_exponent"] == choose_weight_exponent(weight, 8, 2.0) == -4
