"""Plots: PNG files written without a display, and no global side effect on import."""

import os
import subprocess
import sys

from lava_eqprop.plots import plot_errors, plot_updates

HISTORY = [{"epoch": e, "train_error": 0.5 / e, "test_error": 0.6 / e,
            "test_error_persistent": None, "layer_mean_abs_dw": [1e-3 / e, 1e-4 / e],
            "layer_rms_dw": [2e-3 / e, 2e-4 / e]} for e in (1, 2, 3)]


def test_plots_are_pngs(tmp_path):
    plot_errors(HISTORY, tmp_path / "errors.png", title="t")
    plot_updates(HISTORY, tmp_path / "updates.png", title="t", labels=["a-b", "b-c"])
    for name in ("errors.png", "updates.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_importing_the_plots_leaves_the_backend_alone():
    """A notebook's inline backend (here: svg, chosen by the environment) stays in force."""
    code = ("import matplotlib; before = matplotlib.get_backend(); import lava_eqprop.plots; "
            "import lava_eqprop.training.trainer; print(before, matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=os.environ | {"MPLBACKEND": "svg"}).stdout.split()
    assert out == ["svg", "svg"]
