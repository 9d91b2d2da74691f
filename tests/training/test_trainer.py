"""The trainer: learning on digits, exact resume from checkpoints, outputs."""

import json

import numpy as np
import pytest

import lava_eqprop as le
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


def test_a_solver_with_a_tolerance_learns_and_reports_its_phases(tiny_spec_path, tmp_path):
    """Accelerated block sweeps to R ≤ 1e-6: summary.json's counters per phase are consistent
    with the caps and the tolerance, and the net learns as with fixed steps."""
    spec = load_spec(tiny_spec_path(estimator="symmetric")).with_overrides(
        {"dynamics": {"solver": "accelerated", "tol": 1e-6, "free_steps": 200,
                      "nudged_steps": 100, "eval_steps": 200}})
    data = load_dataset("digits").subset(spec.data.train_samples, spec.data.test_samples)
    lines = []
    history = Trainer(spec, data, tmp_path / "run", progress=False, log=lines.append).train()
    assert history[-1]["test_error"] < 0.15
    for record in history:
        phases = record["relaxation"]
        assert set(phases) == {"free", "nudged", "test"}
        assert phases["free"]["phases"] == 1000 and phases["nudged"]["phases"] == 2000
        assert phases["test"]["phases"] == 200
        for name, cap in (("free", 200), ("nudged", 100), ("test", 200)):
            s = phases[name]
            assert 1 <= s["mean_steps"] <= s["max_steps"] <= cap
            assert s["unsettled"] == 0 and s["max_residual"] <= 1e-6
        assert record["mean_free_steps"] == phases["free"]["mean_steps"]
    assert not any(line.startswith("warning") for line in lines)


def test_samples_unsettled_at_the_cap_are_counted_and_warned_about(tiny_spec_path, tmp_path):
    spec = load_spec(tiny_spec_path()).with_overrides(
        {"dynamics": {"tol": 1e-9, "free_steps": 2, "nudged_steps": 2}})
    data = load_dataset("digits").subset(spec.data.train_samples, spec.data.test_samples)
    lines = []
    history = Trainer(spec, data, tmp_path / "run", progress=False, log=lines.append).train(1)
    free = history[0]["relaxation"]["free"]
    assert free["unsettled"] == 1000 and free["max_steps"] == 2 and free["max_residual"] > 1e-9
    warnings = [line for line in lines if line.startswith("warning: epoch 1")]
    assert any("1000 of 1000 free phases reached the cap of 2 steps" in w for w in warnings)
    assert any("[dynamics] nudged_steps" in w for w in warnings)


def test_the_nudged_phases_may_keep_the_papers_fixed_euler_steps(tiny_spec_path, tmp_path):
    """solver = accelerated with nudged_solver = euler and nudged_tol = 0: the free phases
    stop on the residual, every nudged phase runs its fixed steps (with the nudged phases
    stopped on the same tol some stop early), and the nudged phases are Euler's own: the
    first batch's update equals the one computed by hand from the accelerated free state and
    nudged_steps Euler steps."""
    import numpy as np

    from lava_eqprop.engine.estimators import contrast, ep_update
    from lava_eqprop.engine.loss import get_loss
    from lava_eqprop.engine.solvers import SolverSettings, solve_phase
    from lava_eqprop.training.relaxers import make_relaxer

    dynamics = {"solver": "accelerated", "nudged_solver": "euler", "tol": 1e-2,
                "free_steps": 200, "nudged_steps": 5}
    spec = load_spec(tiny_spec_path()).with_overrides({"dynamics": dynamics | {"nudged_tol": 0}})
    data = load_dataset("digits").subset(spec.data.train_samples, spec.data.test_samples)
    history = Trainer(spec, data, tmp_path / "run", progress=False, log=lambda line: None).train(1)
    phases = history[0]["relaxation"]
    assert phases["nudged"]["mean_steps"] == phases["nudged"]["max_steps"] == 5
    assert phases["nudged"]["tol"] == 0 and phases["free"]["tol"] == 1e-2
    stopping = load_spec(tiny_spec_path()).with_overrides({"dynamics": dynamics})
    early = Trainer(stopping, data, tmp_path / "early", progress=False,
                    log=lambda line: None).train(1)[0]["relaxation"]["nudged"]
    assert early["tol"] == 1e-2 and early["mean_steps"] < 5
    assert phases["free"]["mean_steps"] < 200 and phases["free"]["unsettled"] == 0
    network = spec.build_network()
    relaxer = make_relaxer(network, spec.dynamics_settings(), get_loss(spec.learning.loss),
                           np.float64)
    x = data.x_train[:8].reshape(8, -1).astype(float)
    y = np.eye(10)[data.y_train[:8]]
    clamped = relaxer.clamp({"input": x})
    settings = spec.ep_settings()
    result = ep_update(relaxer, clamped, y, settings, np.random.default_rng(0))
    free = relaxer.zero_state(clamped)
    solve_phase(relaxer, free, clamped, 200, SolverSettings("accelerated", 1e-2))
    nudged = free.copy()
    relaxer.run(nudged, clamped, 5, beta=result.betas[0], target=y)
    for name in relaxer.free_names:
        np.testing.assert_allclose(result.free_state[name], free[name], atol=1e-12)
    assert result.reports[1].steps.max() == 5
    weights, _ = contrast(relaxer, nudged, free, 1.0 / (result.betas[0] * 8))
    for name, w in weights.items():
        np.testing.assert_allclose(result.weight_updates[name], w, atol=1e-12)


def test_blocks_are_refused_for_a_nudged_phase_without_a_fixed_point():
    """Gammell et al.'s split nudge at ε = 0.5, β = ±1, c = 2: the β = −1 step multiplies the
    output by 1, so block solvers are refused for its nudged phases, naming the fix."""
    spec = load_spec("models/gammell_small_world.toml")
    with pytest.raises(SpecError, match=r"nudged_solver: with β = -1 the output's step factor "
                                        r"is 1: .* nudged_solver = 'euler'"):
        spec.with_overrides({"dynamics": {"solver": "accelerated", "tol": 1e-4}})
    fine = spec.with_overrides({"dynamics": {"solver": "accelerated", "tol": 1e-4,
                                             "nudged_solver": "euler"}})
    assert fine.ep_settings().nudged_solver.name == "euler"


def test_a_lateral_projection_stays_exactly_symmetric_in_float32_training(tmp_path):
    """The rewiring's pool "any" adds a lateral projection; trained in float32 its W stays
    W = Wᵀ exactly (the stacked EP contrast is symmetric only up to rounding), so the
    checkpoint reloads and the run resumes."""
    spec = le.load_spec("models/gammell_small_world.toml").with_keys(
        {"data.dataset": "digits", "data.train_samples": 200, "data.test_samples": 60,
         "network.layers": [64, 16, 10], "network.small_world.pool": "any",
         "dynamics.free_steps": 40, "dynamics.eval_steps": 40, "learning.epochs": 2})
    lateral = [p.name for p in spec.build_network().projections if p.pre == p.post]
    assert lateral
    le.train(spec, epochs=1, out=tmp_path / "run", progress=False)
    run = le.train(spec, out=tmp_path / "run", resume=True, progress=False)
    for name in lateral:
        weight = run.network.projection(name).weight
        assert weight.any() and np.array_equal(weight, weight.T)
