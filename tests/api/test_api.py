"""The Python API (lava_eqprop.train, predict, evaluate, load/save, load_spec from a table):
each call against the trainer and engine it wraps, run independently, or against a second
path to the same result."""

import subprocess
import sys

import numpy as np
import pytest

import lava_eqprop as le
from lava_eqprop.errors import RunDirectoryError, SpecError
from lava_eqprop.io.hdf5 import load_network as load_network_file
from lava_eqprop.network.generators import layered
from lava_eqprop.spec import load_spec_dataset
from lava_eqprop.toml_compat import tomllib
from lava_eqprop.training.trainer import Trainer
from tests.conftest import TINY_DIGITS

TABLE = tomllib.loads(TINY_DIGITS.format(persistent="false", estimator="one_sided", momentum=0.0))


def weights(network):
    return {p.name: p.weight.copy() for p in network.projections}


def test_importing_the_package_loads_nothing_else():
    """No numpy, matplotlib, logging set-up or Lava on ``import lava_eqprop``."""
    code = ("import sys, logging, lava_eqprop; "
            "print(sorted(m.split('.')[0] for m in sys.modules "
            "if m.split('.')[0] in ('numpy', 'matplotlib', 'lava', 'h5py', 'tqdm'))); "
            "print(len(logging.getLogger().handlers), len(logging.getLogger('lava_eqprop').handlers))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "0 0"]


def test_train_in_memory_equals_the_trainer_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = le.load_spec(TABLE)
    run = le.train(spec, epochs=2, progress=False)
    assert list(tmp_path.iterdir()) == []
    reference = Trainer(spec, load_spec_dataset(spec).subset(1000, 200), tmp_path / "ref",
                        progress=False, log=lambda line: None)
    history = reference.train(2)
    assert [r["test_error"] for r in run.history] == [r["test_error"] for r in history]
    for name, w in weights(reference.network).items():
        np.testing.assert_array_equal(weights(run.network)[name], w)
    assert run.out is None and run.test_error == history[-1]["test_error"]


def test_a_network_of_ones_own_is_trained_as_a_copy():
    spec = le.load_spec(TABLE)
    mine = spec.build_network()
    before = weights(mine)
    from_network = le.train(mine, spec=spec, epochs=1, progress=False)
    from_spec = le.train(spec, epochs=1, progress=False)
    for name, w in before.items():
        np.testing.assert_array_equal(mine.projection(name).weight, w)   # untouched
        np.testing.assert_array_equal(from_network.network.projection(name).weight,
                                      from_spec.network.projection(name).weight)
    assert from_network.network.spec_text == spec.text


def test_a_hand_built_network_needs_a_spec_and_says_how():
    net = layered([64, 16, 10], rng=np.random.default_rng(0))
    for call in (lambda: le.train(net), lambda: le.predict(net, np.zeros((2, 64)))):
        with pytest.raises(SpecError, match=r"spec="):
            call()


def test_a_spec_from_a_table_keeps_its_toml_and_guards_the_resume(tmp_path):
    spec = le.load_spec(TABLE)
    assert tomllib.loads(spec.text) == TABLE
    le.train(spec, epochs=1, out=tmp_path / "run", progress=False)
    # the stored network runs on its own (the CLI's `run` needs the stored spec)
    net = load_network_file(tmp_path / "run" / "network.h5")
    assert net.spec_text == spec.text
    other = {**TABLE, "learning": {**TABLE["learning"], "beta": 0.25}}
    with pytest.raises(SpecError, match=r"beta"):
        le.train(other, epochs=2, out=tmp_path / "run", resume=True, progress=False)
    with pytest.raises(RunDirectoryError, match=r"resume"):
        le.train(spec, epochs=2, out=tmp_path / "run", progress=False)
    resumed = le.train(spec, epochs=2, out=tmp_path / "run", resume=True, progress=False)
    assert [r["epoch"] for r in resumed.history] == [1, 2]


def test_resume_needs_a_run_directory():
    with pytest.raises(RunDirectoryError, match=r"out="):
        le.train(TABLE, resume=True)


def test_predict_and_evaluate_match_the_engine_and_survive_a_round_trip(tmp_path):
    spec = le.load_spec(TABLE)
    run = le.train(spec, epochs=1, progress=False)
    data = le.load_data(spec).subset(test=200)
    result = le.evaluate(run.network, data)
    labels = le.predict(run.network, data.x_test)
    np.testing.assert_array_equal(result.predictions, labels)
    assert result.error == pytest.approx(np.mean(labels != data.y_test))
    assert result.error == pytest.approx(run.history[-1]["test_error"])
    le.save_network(run.network, tmp_path / "n.h5")
    np.testing.assert_array_equal(le.predict(le.load_network(tmp_path / "n.h5"), data.x_test),
                                  labels)


def test_data_as_arrays_and_their_errors():
    spec = le.load_spec(TABLE)
    digits = le.load_data(spec)
    arrays = (digits.x_train[:300], digits.y_train[:300], digits.x_test[:100],
              digits.y_test[:100])
    run = le.train(spec, epochs=1, data=arrays, progress=False)
    same = le.train(spec, epochs=1, data=digits.subset(300, 100), progress=False)
    assert run.test_error == same.test_error
    with pytest.raises(SpecError, match=r"y_test must hold integer labels in \[0, 9\]"):
        le.train(spec, data=(*arrays[:3], arrays[3] + 10), progress=False)
    with pytest.raises(SpecError, match=r"one label per row of x_train"):
        le.train(spec, data=(arrays[0], arrays[1][:5], *arrays[2:]), progress=False)


@pytest.mark.parametrize("kwargs, message", [
    (dict(backend="gpu"), r"backend='gpu': the backends are engine, lava"),
    (dict(backend="lava", lava={"targt": "loihi2"}), r"no option 'targt'"),
    (dict(backend="lava", lava={"precision": "half"}), r"precision .* one of float, fixed"),
    (dict(backend="lava", lava={"contrast": "free_term_first"}), r"needs target loihi2"),
    (dict(lava={"target": "loihi2"}), r"lava= holds the options"),
    (dict(backend="lava", device="cpu"), r"device= runs the engine"),
])
def test_bad_options_are_named(kwargs, message):
    with pytest.raises(SpecError, match=message):
        le.train(TABLE, epochs=1, progress=False, **kwargs)


def test_a_table_that_is_not_toml_is_named():
    with pytest.raises(SpecError, match=r"cannot be written as TOML"):
        le.load_spec({**TABLE, "learning": {**TABLE["learning"], "beta": object()}})
    with pytest.raises(SpecError, match=r"\[learning\] beta"):
        le.load_spec({**TABLE, "learning": {**TABLE["learning"], "beta": "big"}})


def test_predict_names_a_wrong_input_shape():
    run = le.train(TABLE, epochs=1, progress=False, train_samples=50)
    with pytest.raises(SpecError, match=r"expected one sample of 64 inputs"):
        le.predict(run.network, np.zeros((3, 63)))
