"""The trainer: learning on digits, exact resume from checkpoints, outputs."""

import json

import numpy as np
import pytest

from lava_eqprop.data import load_dataset
from lava_eqprop.errors import RunDirectoryError, SpecError
from lava_eqprop.spec import load_spec
from lava_eqprop.training.trainer import Trainer


def make_trainer(spec_path, out, resume=False):
    spec = load_spec(spec_path)
    data = load_dataset("digits").subset(spec.data.train_samples, spec.data.test_samples)
    return Trainer(spec, data, out, resume=resume, progress=False, log=lambda _: None)


def test_training_on_digits_learns(tiny_spec_path, tmp_path):
    trainer = make_trainer(tiny_spec_path(estimator="symmetric"), tmp_path / "run")
    history = trainer.train()
    assert len(history) == 3
    assert history[-1]["test_error"] < 0.15          # chance is 0.9; this run gives about 0.07
    assert history[-1]["train_error"] < history[0]["train_error"]
    for record in history:
        assert set(record["mean_abs_dw"]) == {"input-h1", "h1-output"}
        assert record["layer_mean_abs_dw"] == [record["mean_abs_dw"]["input-h1"],
                                               record["mean_abs_dw"]["h1-output"]]
        assert all(v > 0 for v in record["layer_mean_abs_dw"])
        # RMS ≥ mean |ΔW| (Cauchy-Schwarz), with equality only for constant magnitudes
        assert all(r >= m for r, m in zip(record["layer_rms_dw"], record["layer_mean_abs_dw"]))
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["epochs"] == history and summary["layers"] == ["input-h1", "h1-output"]
    for name in ("errors.png", "updates.png"):
        assert (tmp_path / "run" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def strip_times(history):
    keys = ("seconds", "eval_seconds", "samples_per_second")
    return [{k: v for k, v in r.items() if k not in keys} for r in history]


@pytest.mark.parametrize("persistent, momentum", [("false", 0.0), ("true", 0.5)])
def test_resume_continues_exactly(tiny_spec_path, tmp_path, persistent, momentum):
    spec_path = tiny_spec_path(persistent=persistent, momentum=momentum)
    straight = make_trainer(spec_path, tmp_path / "a")
    straight.train(2)
    first = make_trainer(spec_path, tmp_path / "b")
    first.train(1)
    resumed = make_trainer(spec_path, tmp_path / "b", resume=True)
    assert resumed.epoch == 1
    resumed.train(2)
    for pa, pb in zip(straight.network.projections, resumed.network.projections):
        np.testing.assert_array_equal(pa.weight, pb.weight)
    for pa, pb in zip(straight.network.populations, resumed.network.populations):
        np.testing.assert_array_equal(pa.bias, pb.bias)
    assert strip_times(straight.history) == strip_times(resumed.history)


def test_existing_run_is_never_overwritten(tiny_spec_path, tmp_path):
    spec_path = tiny_spec_path()
    make_trainer(spec_path, tmp_path / "run").train(1)
    with pytest.raises(RunDirectoryError, match="pass --resume"):
        make_trainer(spec_path, tmp_path / "run")
    other = tiny_spec_path(estimator="symmetric", name="other.toml")
    with pytest.raises(SpecError, match="different model spec"):
        make_trainer(other, tmp_path / "run", resume=True)


def test_resume_with_other_data_is_refused(tiny_spec_path, tmp_path):
    spec_path = tiny_spec_path(persistent="true")
    make_trainer(spec_path, tmp_path / "run").train(1)
    spec = load_spec(spec_path)
    fewer = load_dataset("digits").subset(500, spec.data.test_samples)
    with pytest.raises(SpecError, match="other data .*train: 1000 in the checkpoint, 500 now"):
        Trainer(spec, fewer, tmp_path / "run", resume=True, progress=False, log=lambda _: None)


def test_data_must_fit_the_network(tiny_spec_path, tmp_path):
    path = tiny_spec_path()
    path.write_text(path.read_text().replace("layers = [64, 32, 10]", "layers = [60, 32, 10]"))
    with pytest.raises(SpecError, match=r"starts with 60 inputs but data set 'digits' has 64"):
        make_trainer(path, tmp_path / "run")
