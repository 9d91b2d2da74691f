"""The PyTorch accelerator against the NumPy engine on a small conv net with skips (float64):
free and nudged states agree to 1e-10 and EP updates to 1e-10 of their largest entry, for every schedule, pooling kind and
estimator the conv nets use; a training epoch ends with the same weights. Skipped where torch
is not installed; the missing-torch error is tested either way."""

import sys
from pathlib import Path

import numpy as np
import pytest

from lava_eqprop.engine import (
    Dynamics,
    EPSettings,
    Relaxer,
    SolverSettings,
    ep_update,
    get_loss,
    solve_phase,
)
from lava_eqprop.network.conv_nets import ConvLayer, Gains, Skip, conv_network
from lava_eqprop.torch_backend import TorchBackendError, require_torch

LOSS = get_loss("half_squared_error")
TOL = 1e-10


def small_net(seed=0):
    """Max and average pooling, stride 2, padding, a learned and an identity skip, a dense
    head, channel biases: every kind the torch backend implements."""
    layers = [ConvLayer("a", 3, 3, padding=1), ConvLayer("b", 3, 3, padding=1, pool="max"),
              ConvLayer("c", 4, 3, stride=2, padding=1), ConvLayer("d", 4, 3, padding=1),
              ConvLayer("e", 4, 3, padding=1, pool="avg")]
    skips = [Skip("b", "c"), Skip("c", "e"), Skip("c", "d", "identity")]
    return conv_network((1, 9, 9), layers, 3, rng=np.random.default_rng(seed), skips=skips,
                        gains=Gains(1.0, 0.7, 1.0), bias_init="fan_in_uniform", name="small")


def data(n=5, seed=1):
    rng = np.random.default_rng(seed)
    return 3 * rng.random((n, 81)), np.eye(3)[rng.integers(0, 3, n)]


def both(net, dynamics):
    from lava_eqprop.torch_backend.relaxation import TorchRelaxer

    return Relaxer(net, dynamics, LOSS), TorchRelaxer(net, dynamics, LOSS, device="cpu")


@pytest.mark.parametrize("schedule", ["synchronous", "odd_even", "colouring"])
def test_free_and_nudged_states_agree(schedule):
    pytest.importorskip("torch")
    net = small_net()
    x, y = data()
    ref, tor = both(net, Dynamics(1.0 if schedule != "synchronous" else 0.5, schedule))
    states = []
    for relaxer in (ref, tor):
        clamped = relaxer.clamp({"input": x})
        state = relaxer.zero_state(clamped)
        relaxer.run(state, clamped, 40)
        free = {name: relaxer.arrays.to_numpy(state[name]).copy() for name in relaxer.free_names}
        relaxer.run(state, clamped, 10, beta=0.5, target=y)
        states.append((free, {name: relaxer.arrays.to_numpy(state[name]) for name in relaxer.free_names}))
    for pop in net.free:
        assert np.abs(states[0][0][pop.name]).max() > 0.05     # the net is not dead
        for phase in (0, 1):
            np.testing.assert_allclose(states[1][phase][pop.name], states[0][phase][pop.name],
                                       atol=TOL, err_msg=f"{schedule}: {pop.name}")


@pytest.mark.parametrize("solver", ["euler", "block", "accelerated"])
def test_the_solvers_stop_at_the_same_steps_and_states(solver):
    pytest.importorskip("torch")
    net = small_net()
    x, y = data()
    reports, states = [], []
    for relaxer in both(net, Dynamics(0.5, "synchronous")):
        clamped = relaxer.clamp({"input": x})
        state = relaxer.zero_state(clamped)
        settings = SolverSettings(solver, 1e-8)
        reports.append([solve_phase(relaxer, state, clamped, 400, settings),
                        solve_phase(relaxer, state, clamped, 400, settings, 0.5, y)])
        states.append({name: relaxer.arrays.to_numpy(state[name]) for name in relaxer.free_names})
    for ref, tor in zip(*reports):
        assert ref.unsettled == 0 and np.all(ref.steps < 400)
        if solver == "accelerated":     # the restart test's sign near the fixed point is rounding
            assert np.abs(tor.steps - ref.steps).max() <= 2
        else:
            np.testing.assert_array_equal(tor.steps, ref.steps)
    for name in states[0]:
        np.testing.assert_allclose(states[1][name], states[0][name], atol=1e-7)


@pytest.mark.parametrize("estimator, nudge", [("symmetric", "joint"), ("one_sided", "split")])
def test_ep_updates_agree(estimator, nudge):
    pytest.importorskip("torch")
    net = small_net()
    x, y = data()
    settings = EPSettings(beta=0.3, free_steps=30, nudged_steps=8, estimator=estimator)
    results = []
    for relaxer in both(net, Dynamics(0.5, "odd_even", nudge)):
        result = ep_update(relaxer, relaxer.clamp({"input": x}), y, settings,
                           np.random.default_rng(0))
        results.append(result.to_numpy())
    ref, tor = results
    for name, dw in ref.weight_updates.items():
        scale = np.abs(dw).max()
        assert scale > 1e-4, name                               # a real update to compare
        np.testing.assert_allclose(tor.weight_updates[name], dw, atol=TOL * scale, err_msg=name)
    for name, db in ref.bias_updates.items():
        np.testing.assert_allclose(tor.bias_updates[name], db, atol=TOL, err_msg=name)
    for name in ref.free_state.free:
        np.testing.assert_allclose(tor.free_state[name], ref.free_state[name], atol=TOL)


def test_missing_torch_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)     # import torch now raises ImportError
    with pytest.raises(TorchBackendError, match=r"pip install 'lava-eqprop\[torch\]'"):
        require_torch()


def test_unavailable_cuda_is_a_clear_error():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    from lava_eqprop.torch_backend import torch_device

    with pytest.raises(TorchBackendError, match="no CUDA GPU"):
        torch_device("cuda")


def test_a_training_epoch_ends_with_the_same_weights(tmp_path):
    """One epoch of the depth-study net (2 convs, a skip; Nesterov, clipping, weight decay,
    cosine rate, carried state) on 64 digits: engine and --device cpu, float64."""
    pytest.importorskip("torch")
    from lava_eqprop.data import load_dataset
    from lava_eqprop.spec import load_spec
    from lava_eqprop.training.trainer import Trainer

    text = (Path(__file__).parents[2] / "models" / "depth_digits_resnet.toml").read_text()
    text = text.replace("[8, 8, 8, 8, 8, 8, 8, 8]", "[4, 4]").replace(
        "[1, 1, 1, 1, 1, 1, 1, 1]", "[1, 1]").replace(
        '[["input", "c2", "conv"], ["c2", "c4", "conv"], ["c4", "c6", "conv"], '
        '["c6", "c8", "conv"]]', '[["input", "c2", "conv"]]').replace(
        'dtype = "float32"', 'dtype = "float64"').replace("epochs = 10", "epochs = 1")
    spec_path = tmp_path / "spec.toml"
    spec_path.write_text(text)
    data = load_dataset("digits").subset(64, 32)
    runs = {}
    for device in (None, "cpu"):
        trainer = Trainer(load_spec(spec_path), data, tmp_path / str(device), progress=False,
                          log=lambda _: None, device=device)
        runs[device] = (trainer.train(), trainer.network)
    (ref_history, ref_net), (tor_history, tor_net) = runs[None], runs["cpu"]
    for key in ("train_error", "test_error", "train_loss"):
        assert tor_history[-1][key] == pytest.approx(ref_history[-1][key], rel=1e-9, abs=1e-12)
    initial = load_spec(spec_path).build_network()
    for ref, tor, start in zip(ref_net.projections, tor_net.projections, initial.projections):
        assert np.abs(ref.weight - start.weight).max() > 1e-4, ref.name    # it learnt
        np.testing.assert_allclose(tor.weight, ref.weight, atol=1e-9, err_msg=ref.name)
    for ref, tor in zip(ref_net.populations, tor_net.populations):
        np.testing.assert_allclose(tor.bias, ref.bias, atol=1e-9, err_msg=ref.name)
