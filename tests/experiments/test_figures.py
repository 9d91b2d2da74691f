"""A study's output (lava_eqprop.experiments.figures)."""

import json
from pathlib import Path

import numpy as np
import pytest

from lava_eqprop.experiments.figures import emit, log, machine


def test_emit_writes_one_json_line_with_numpy_values_and_paths(capsys):
    print("a table first")
    emit({"error": np.float32(0.25), "counts": np.arange(3), "png": Path("out/a.png"),
          "n": np.int64(7)})
    out = capsys.readouterr().out.strip().splitlines()
    assert json.loads(out[-1]) == {"error": 0.25, "counts": [0, 1, 2], "png": "out/a.png",
                                   "n": 7}


def test_emit_refuses_what_json_cannot_hold():
    with pytest.raises(TypeError, match="set"):
        emit({"x": {1, 2}})


def test_log_goes_to_stderr_and_machine_names_the_versions(capsys):
    log("progress")
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == "progress\n"
    assert set(machine()) == {"python", "numpy", "cpus", "processor"}
    assert machine()["numpy"] == np.__version__
