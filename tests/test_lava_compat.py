"""The Python 3.11 fix for lava-nc 0.10.0, applied at import time (docs/backends.md).

Lava graphs run in subprocesses with a timeout: a Lava child that fails can hang the runtime.
"""

import importlib.util
import subprocess
import sys
import textwrap

import pytest

from lava_eqprop.lava_compat import (
    PATCHED_MODULE,
    START_METHOD_MODULE,
    patch_start_method_source,
    patch_var_model_source,
)

LAVA = importlib.util.find_spec("lava") is not None
needs_lava = pytest.mark.skipif(not LAVA, reason="lava-nc is not installed")


def test_patch_rewrites_only_the_bad_defaults():
    source = textwrap.dedent("""
        @dataclass
        class CoreEncoder:
            x: ByteEncoder = ByteEncoder()
            y: ByteEncoder = ByteEncoder()
            other: int = 0
        z = ByteEncoder()
    """)
    patched, count = patch_var_model_source(source)
    assert count == 2
    assert "x: ByteEncoder = __import__('dataclasses').field(default_factory=ByteEncoder)" in patched
    assert "other: int = 0" in patched and "\nz = ByteEncoder()" in patched
    assert patch_var_model_source(patched) == (patched, 0)


def test_start_method_patch_rewrites_only_the_call():
    source = "import multiprocessing as mp\nif x:\n    mp.set_start_method('fork')\ny = 1\n"
    patched, count = patch_start_method_source(source)
    assert count == 1 and "set_start_method" not in patched
    assert "    __import__('lava_eqprop.lava_compat', fromlist=['use_fork']).use_fork()\n" in patched
    assert patched.endswith("y = 1\n") and patch_start_method_source(patched) == (patched, 0)


@needs_lava
def test_lavas_start_method_call_is_there_to_patch():
    """The installed Lava has the one call the patch replaces (else the patch is stale)."""
    with open(importlib.util.find_spec(START_METHOD_MODULE).origin, encoding="utf-8") as f:
        assert patch_start_method_source(f.read())[1] == 1


@needs_lava
@pytest.mark.lava
@pytest.mark.parametrize("before, error", [
    ("multiprocessing.get_start_method()", None),     # fixed to fork, as a spawn would do
    ("multiprocessing.get_context('spawn').Process(target=print).start()", None),
    ("multiprocessing.set_start_method('spawn')", "start method is already 'spawn'"),
])
def test_lava_imports_after_the_start_method_was_fixed_and_refuses_another(before, error):
    """Starting a process fixes the default start method (CPython), after which Lava's own
    set_start_method('fork') raised "context has already been set"; with the fix Lava imports
    and runs, and a start method other than fork is refused in one clear error."""
    code = f"""
        import multiprocessing
        {before}
        from lava_eqprop.lava_compat import import_lava
        from lava_eqprop.errors import LavaEqpropError
        import_lava()
        try:
            import lava.proc.dense.process
        except LavaEqpropError as exc:
            print("refused:", exc)
        else:
            print("start method:", multiprocessing.get_start_method())
    """
    rc, out, err = run_python(code)
    assert rc == 0, err
    last = out.strip().splitlines()[-1]
    assert (last.startswith("refused: ") and error in last) if error else \
        last == "start method: fork"


def run_python(code, timeout=120):
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


@needs_lava
@pytest.mark.lava
@pytest.mark.skipif(sys.version_info < (3, 11), reason="the failure only exists on Python >= 3.11")
def test_lava_needs_the_fix_on_311_which_the_environment_installs_at_start_up():
    """Without site's start-up files (``-S``) a plain ``import lava...`` fails on 3.11; in the
    environment the set-up builds, its start-up file installs the fix, so any script imports
    Lava first; Lava's own files are never changed."""
    import sysconfig

    bare = subprocess.run([sys.executable, "-S", "-c",
                           f"import sys; sys.path.append({sysconfig.get_paths()['purelib']!r}); "
                           "import lava.magma.core.process.process"],
                          capture_output=True, text=True, timeout=120)
    assert bare.returncode != 0 and "mutable default" in bare.stderr
    rc, _, err = run_python("import lava.proc.dense.process; import sys; "
                            "assert 'lava_eqprop.lava_compat' in sys.modules")
    assert rc == 0, ("run tools/setup_env.sh (make setup): it installs the start-up file "
                     f"lava_eqprop_lava_compat.pth; {err}")
    origin = importlib.util.find_spec(PATCHED_MODULE).origin
    with open(origin, encoding="utf-8") as f:
        assert "ByteEncoder = ByteEncoder()" in f.read()


@needs_lava
@pytest.mark.lava
@pytest.mark.parametrize("steps", [5, 8])
def test_tiny_lava_graph_runs_through_the_package(steps):
    """LIF (bias 1.5 > threshold: spikes every step) → Dense(×2) → LIF (integrates, never fires).

    Dense delivers last step's spikes (one step of delay), so after n steps the second
    neuron's voltage is 2·(n − 1); the unbiased neuron stays silent.
    """
    code = f"""
        import numpy as np
        from lava_eqprop.lava_compat import import_lava
        import_lava()
        from lava.proc.lif.process import LIF
        from lava.proc.dense.process import Dense
        from lava.magma.core.run_configs import Loihi2SimCfg
        from lava.magma.core.run_conditions import RunSteps
        src = LIF(shape=(2,), bias_mant=np.array([1.5, 0.0]), vth=1.0, du=0.0, dv=0.0)
        dense = Dense(weights=np.array([[2.0, 0.0], [0.0, 3.0]]))
        dst = LIF(shape=(2,), vth=1000.0, du=1.0, dv=0.0)
        src.s_out.connect(dense.s_in)
        dense.a_out.connect(dst.a_in)
        try:
            dst.run(condition=RunSteps(num_steps={steps}), run_cfg=Loihi2SimCfg(select_tag="floating_pt"))
            print(repr(dst.v.get().tolist()))
        finally:
            dst.stop()
    """
    rc, out, err = run_python(code)
    assert rc == 0, err
    assert eval(out.strip().splitlines()[-1]) == [2.0 * (steps - 1), 0.0]


@pytest.mark.parametrize("argv", [["compile", "models/digits.toml"],
                                  ["train", "models/digits.toml", "--backend", "lava",
                                   "--epochs", "1", "--out", "{tmp}/run"]])
def test_without_lava_the_lava_verbs_end_in_one_line_saying_how_to_install_it(argv, tmp_path):
    """Lava hidden (``sys.modules['lava'] = None``): exit status 2 and one line naming lava-nc
    and what installs it on this Python, not a traceback."""
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code = ("import sys; sys.modules['lava'] = None; from lava_eqprop.cli.main import main; "
            f"sys.exit(main({argv!r}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "needs lava-nc" in lines[0], proc.stderr
    assert ("setup_env.sh" in lines[0]) == (sys.version_info >= (3, 11))
