"""Every benchmark script in tools/ runs in --quick mode and ends with one JSON object."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).parents[2] / "tools"


def run_tool(name, *args, timeout=600):
    proc = subprocess.run([sys.executable, str(TOOLS / name), "--quick", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=TOOLS.parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_bench_engine_quick():
    figures = run_tool("bench_engine.py")
    assert figures["engine_samples_per_s"][0] > 0 and figures["naive_samples_per_s"][0] > 0
    # the naive loop is an independent transcription of the same algorithm from the same
    # initial weights, sample order and beta signs: same test error up to float32 rounding
    assert abs(figures["engine_test_error"] - figures["naive_test_error"]) <= 0.01
    assert set(figures["profile_share"]) == {"clamp (input product)", "free phase", "nudged phase",
                                             "EP contrast (update product)", "SGD step"}
    assert abs(sum(figures["profile_share"].values()) - 1.0) < 1e-9
    assert figures["flops_per_sample"] == 2 * 784 * 512 * 2 + 40 * 4 * 512 * 10 + 4 * 512 * 10


@pytest.mark.slow
def test_reproduce_scellier_quick(tmp_path):
    figures = run_tool("reproduce_scellier.py", "--out", str(tmp_path))
    assert figures["epochs"] == 2
    assert figures["test_error_from_zero"][-1] < 0.5  # learning (chance is 0.9)
    assert figures["test_error_persistent"][-1] < 0.5
    assert (tmp_path / "summary.json").exists() and (tmp_path / "checkpoint.h5").exists()


@pytest.mark.slow
def test_reproduce_gammell_quick(tmp_path):
    figures = run_tool("reproduce_gammell.py", "--out", str(tmp_path))
    assert figures["epochs"] == 2
    for name in ("layered", "small_world"):
        assert len(figures["layer_mean_abs_dw"][name][0]) == 4  # four layer pairs
        assert figures["deepest_over_layer_mean_abs_dw"][name][-1] == 1.0
        assert (tmp_path / name / "spec.toml").exists()
    assert (tmp_path / "errors.png").exists() and (tmp_path / "updates.png").exists()
