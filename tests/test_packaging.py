"""``pip install .`` (not editable) of a copy of the repository, used from another directory:
the API and the command line train, predict and map with only what the package ships (the
chip configs inside it); and the start-up hook of the set-up's environment lets any script
import Lava first.

The new environment takes its third-party packages from this one (a path file naming this
environment's site-packages) so that the test needs no network; lava_eqprop itself is built
into a wheel from the copy and installed into the new environment alone."""

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent("""
    import sys
    import lava_eqprop as le
    assert "site-packages" in le.__file__, le.__file__
    table = {"model": {"name": "pip-digits"}, "data": {"dataset": "digits"},
             "network": {"layers": [64, 16, 10], "seed": 1},
             "dynamics": {"epsilon": 1.0, "free_steps": 10, "nudged_steps": 4},
             "learning": {"beta": 0.5, "learning_rate": 0.05, "batch_size": 16, "epochs": 1,
                          "seed": 2}}
    run = le.train(table, epochs=1, train_samples=200, test_samples=50, progress=False,
                   out="run")
    net = le.load_network("run/network.h5")
    data = le.load_data(table)
    print("labels", len(le.predict(net, data.x_test[:5])))
    print("cores", le.map_network(net, "loihi2", activity=None)["chips"]["loihi2"]["cores"])
""")


def _copy_of_the_repository(target: Path) -> Path:
    """The files git tracks or would track (not .venv, not runs/), as a clone holds them."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_symlink() or source.is_file():
            dest = target / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest, follow_symlinks=False)
    return target


def test_pip_install_of_a_copy_works_from_another_directory(tmp_path):
    clone = _copy_of_the_repository(tmp_path / "clone")
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(wheels), str(clone)], check=True, capture_output=True)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; "
                                "print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "third_party.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wheel = next(wheels.glob("lava_eqprop-*.whl"))
    subprocess.run([python, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                    str(wheel)], check=True, capture_output=True)
    assert (site / "lava_eqprop" / "chips" / "configs" / "loihi2.toml").is_file()
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    api = subprocess.run([python, "-c", SCRIPT], cwd=work, capture_output=True, text=True,
                         env=env, timeout=300)
    assert api.returncode == 0, api.stderr
    assert "labels 5" in api.stdout and "cores 3" in api.stdout
    cli = venv / "bin" / "lava-eqprop"
    shutil.copy(clone / "models" / "digits.toml", work / "digits.toml")
    for argv, printed in ((["train", "digits.toml", "--epochs", "1", "--train-samples", "200",
                            "--test-samples", "50", "--out", "cli-run", "--quiet"], "done: epoch 1"),
                          (["run", "cli-run/network.h5", "--samples", "50"], "on 50 digits samples"),
                          (["map", "digits.toml", "--chip", "loihi2", "loihi1"], "on loihi1:")):
        done = subprocess.run([cli, *argv], cwd=work, capture_output=True, text=True, env=env,
                              timeout=300)
        assert done.returncode == 0, (argv, done.stderr)
        assert printed in done.stdout, (argv, done.stdout)
