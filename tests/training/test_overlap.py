"""The input layer's update overlapped with the relaxation (training/overlap.py) trains the
same network as the plain sequential loop: the reference is the trainer with the overlap off,
which computes every product in order on one thread."""

import numpy as np
import pytest

from lava_eqprop.data import load_dataset
from lava_eqprop.engine.loss import get_loss
from lava_eqprop.engine.relaxation import Dynamics, Relaxer
from lava_eqprop.network.generators import layered
from lava_eqprop.spec import load_spec
from lava_eqprop.training import overlap
from lava_eqprop.training.trainer import Trainer

LOSS = get_loss("half_squared_error")


def train(spec_path, out, overlap_on, epochs=2):
    spec = load_spec(spec_path)
    data = load_dataset("digits").subset(spec.data.train_samples, spec.data.test_samples)
    trainer = Trainer(spec, data, out, progress=False, log=lambda _: None, overlap=overlap_on)
    used = trainer.input_overlap(trainer.optimizer.foldable_rates())
    history = trainer.train(epochs)
    return trainer.network, history, used


@pytest.mark.parametrize("persistent,estimator", [("false", "one_sided"), ("true", "symmetric")])
def test_overlapped_training_is_the_sequential_training(tiny_spec_path, tmp_path, monkeypatch,
                                                        persistent, estimator):
    monkeypatch.setattr(overlap, "pays_off", lambda moved, kept: True)   # tiny: it would not
    spec = tiny_spec_path(persistent=persistent, estimator=estimator)
    plain, plain_history, none = train(spec, tmp_path / "plain", False)
    fast, fast_history, used = train(spec, tmp_path / "fast", True)
    assert none is None and used is not None and used.names == {"input-h1"}
    for proj in plain.projections:          # float64: only the order of one sum differs
        assert np.max(np.abs(fast.projection(proj.name).weight - proj.weight)) < 1e-10
    for pop in plain.free:
        assert np.max(np.abs(fast.population(pop.name).bias - pop.bias)) < 1e-10
    for a, b in zip(plain_history, fast_history):
        assert a["train_error"] == b["train_error"] and a["test_error"] == b["test_error"]
        assert np.allclose(a["layer_rms_dw"], b["layer_rms_dw"], rtol=1e-8)
        assert np.allclose(a["layer_mean_abs_dw"], b["layer_mean_abs_dw"], rtol=1e-8)
        assert min(a["layer_rms_dw"]) > 0


def test_no_overlap_where_it_would_not_be_exact_or_pay(tiny_spec_path, tmp_path, monkeypatch):
    spec = tiny_spec_path()
    assert train(spec, tmp_path / "small", True, epochs=0)[2] is None      # does not pay
    monkeypatch.setattr(overlap, "pays_off", lambda moved, kept: True)
    assert train(spec, tmp_path / "plain", True, epochs=0)[2] is not None
    momentum = tiny_spec_path(momentum=0.9, name="momentum.toml")        # update not rank-B
    assert train(momentum, tmp_path / "momentum", True, epochs=0)[2] is None


def test_it_pays_where_the_input_products_dominate():
    relaxer = Relaxer(layered([784, 512, 10], rng=np.random.default_rng(0)), Dynamics(), LOSS)
    args = dict(folded_rates=True, l1=0.0, augment=False, estimator="one_sided")
    assert overlap.overlappable(relaxer.network, relaxer, batch=50, steps=40, **args) == ["input-h1"]
    assert overlap.overlappable(relaxer.network, relaxer, batch=4, steps=40, **args) == []
    deep = layered([784, 500, 500, 500, 10], rng=np.random.default_rng(0))   # Gammell et al.
    relaxer = Relaxer(deep, Dynamics(), LOSS)
    assert overlap.overlappable(deep, relaxer, batch=20, steps=108, **args) == []
