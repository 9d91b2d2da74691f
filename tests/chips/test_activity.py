"""Messages and synaptic operations counted on the engine: at θ = 0 against the hand count;
at θ > 0 against the Lava graph's own counters, sample by sample the same dynamics."""

import dataclasses

import numpy as np
import pytest

from lava_eqprop.chips.activity import engine_activity, spec_activity
from lava_eqprop.engine.loss import get_loss
from lava_eqprop.engine.relaxation import Dynamics
from lava_eqprop.network.generators import layered
from lava_eqprop.spec import load_spec
from lava_eqprop.spec.model_spec import load_spec_dataset


def _digits(samples: int):
    spec = load_spec("models/digits.toml")
    data = load_spec_dataset(spec).subset(train=samples)
    x = data.x_train.reshape(len(data.x_train), -1).astype(float)
    return spec, spec.build_network(), x, np.eye(data.num_classes)[data.y_train]


@pytest.mark.parametrize("schedule, groups", [("synchronous", 1), ("odd_even", 2)])
def test_dense_messages_are_every_free_neuron_every_step(schedule, groups):
    """θ = 0: per sample, each free neuron sends once per step of the dynamics (which takes g
    time steps in a schedule of g groups), the input once at load, each free neuron once at
    load and restore; each message costs its neuron's synapses out
    (784-30-20-10: each of h1's 30 reaches h2's 20, none back into the clamped input; each
    of h2's 20 reaches 30 + 10; each output 20; each input that changed, h1's 30)."""
    net = layered([784, 30, 20, 10], rng=np.random.default_rng(0))
    spec = load_spec("models/digits.toml")
    ep = dataclasses.replace(spec.ep_settings(), free_steps=4, nudged_steps=3)
    x = np.random.default_rng(1).uniform(0, 1, (2, 784))
    x[:, :10] = 0.0                                     # 10 inputs that never send
    a = engine_activity(net, Dynamics(schedule=schedule), get_loss("half_squared_error"), ep,
                        5, x, np.eye(10)[[3, 7]], 0.0)
    train = a["training"]
    assert train.steps == {"load": 1, "free": 4 * groups, "nudged": 2 * 3 * groups,
                           "restore": 1}
    for phase, time_steps in train.steps.items():
        steps = time_steps // groups if phase in ("free", "nudged") else time_steps
        assert train.events["h1"][phase] == 30 * steps
        assert train.synops[phase] == steps * (30 * 20 + 20 * (30 + 10) + 10 * 20) + (
            (784 - 10) * 30 if phase == "load" else 0)
    assert train.events["input"] == {"load": 784, "free": 0, "nudged": 0, "restore": 0}
    assert a["inference"].steps == {"load": 1, "free": 5 * groups, "nudged": 0, "restore": 0}
    assert not a["inference"].learns and train.learns


@pytest.mark.lava
@pytest.mark.parametrize("threshold", [0.05])
def test_event_counts_equal_the_lava_graphs(threshold):
    """The digits net at θ = 0.05: the Lava graph (weights held, samples in its schedule's
    order) and the engine count the same messages per population and phase, and the same
    synaptic operations; the free phase sends far fewer messages than at θ = 0."""
    from lava_eqprop.lava_backend.activity import measure_activity
    from lava_eqprop.lava_backend.settings import settings_from_spec

    spec, net, x, targets = _digits(3)
    settings = dataclasses.replace(settings_from_spec(spec, net, batch=1,
                                                      event_threshold=threshold),
                                   weight_rates={}, bias_rates={})
    lava = measure_activity(net, settings, spec.ep_settings(), spec.eval_steps, x, targets)
    order = np.random.default_rng(0).permutation(len(x))     # measure_activity's, seed 0
    engine = spec_activity(spec, net, x[order], targets[order], threshold)
    inference = spec_activity(spec, net, x, targets, threshold)
    for mode, ours in (("training", engine["training"]), ("inference", inference["inference"])):
        assert ours.steps == lava[mode].steps
        assert ours.events.keys() == lava[mode].events.keys()
        for name, by_phase in lava[mode].events.items():
            assert ours.events[name] == pytest.approx(by_phase), (mode, name)
        assert ours.synops == pytest.approx(lava[mode].synops)
    assert lava["inference"].events["h1"]["free"] < 0.2 * 64 * spec.eval_steps
