"""The command line as a careful user meets it, in real processes: signals, two runs on one
directory, a write that cannot complete, a closed pipe, bad option values. Each ends in exit
status 0 or 2 (143 for SIGTERM) with at most one line on stderr, never a traceback, and leaves
the run directory resumable."""

import os
import resource
import signal
import subprocess
import sys
import time

import pytest

from lava_eqprop.io.hdf5 import load_checkpoint
from tests.conftest import TINY_DIGITS

CLI = [sys.executable, "-m", "lava_eqprop"]


def spec_file(tmp_path, epochs=3, train_samples=1000):
    path = tmp_path / "tiny.toml"
    text = TINY_DIGITS.format(persistent="false", estimator="one_sided", momentum=0.0)
    path.write_text(text.replace("epochs = 3", f"epochs = {epochs}")
                    .replace("train_samples = 1000", f"train_samples = {train_samples}"))
    return path


def train_command(spec, out, *extra):
    return CLI + ["train", str(spec), "--out", str(out), "--quiet", *extra]


def assert_one_line_no_traceback(stderr: str):
    assert "Traceback" not in stderr, stderr
    assert stderr.count("\n") == 1, stderr


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def wait_for(path, proc, seconds=60):
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.05)


def test_sigterm_ends_a_run_cleanly_and_it_resumes(tmp_path):
    spec, out = spec_file(tmp_path, epochs=200), tmp_path / "run"
    proc = subprocess.Popen(train_command(spec, out), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    wait_for(out / "checkpoint.h5", proc)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    assert_one_line_no_traceback(stderr)
    assert "terminated" in stderr and "--resume" in stderr
    assert leftovers(out) == []
    epoch = load_checkpoint(out / "checkpoint.h5").epoch
    resumed = subprocess.run(train_command(spec, out, "--resume", "--epochs", str(epoch + 1)),
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert load_checkpoint(out / "checkpoint.h5").epoch == epoch + 1


def test_two_runs_on_one_directory_one_is_refused(tmp_path):
    spec, out = spec_file(tmp_path, epochs=2), tmp_path / "run"
    procs = [subprocess.Popen(train_command(spec, out), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert sorted(code for code, _ in results) == [0, 2], results
    refused = next(err for code, err in results if code == 2)
    assert_one_line_no_traceback(refused)
    assert "in use by another lava-eqprop run" in refused or "pass --resume" in refused \
        or "changed since this run read it" in refused
    assert load_checkpoint(out / "checkpoint.h5").epoch == 2
    assert leftovers(out) == []


def limit_file_size(max_bytes):
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # EFBIG instead of a signal
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))
    return apply


def test_a_checkpoint_that_cannot_be_written_is_one_error_and_the_old_one_stays(tmp_path):
    """A file-size limit stands in for a full disk: the write fails part-way (EFBIG where a
    full disk gives ENOSPC), through the same path."""
    spec, out = spec_file(tmp_path, epochs=2), tmp_path / "run"
    first = subprocess.run(train_command(spec, out, "--epochs", "1"), capture_output=True,
                           text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    before = (out / "checkpoint.h5").read_bytes()
    limited = subprocess.run(train_command(spec, out, "--resume"), capture_output=True, text=True,
                             timeout=120, preexec_fn=limit_file_size(len(before) // 2))
    assert limited.returncode == 2, limited.stderr
    assert_one_line_no_traceback(limited.stderr)
    assert f"could not write {out / 'checkpoint.h5'}: File too large" in limited.stderr
    assert (out / "checkpoint.h5").read_bytes() == before
    assert leftovers(out) == []


@pytest.fixture
def small_filesystem(tmp_path):
    """A 2 MiB tmpfs (needs the privilege to mount; skipped without it)."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                          capture_output=True)
    if made.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root)")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_is_one_error_and_the_run_resumes_once_there_is_room(tmp_path,
                                                                        small_filesystem):
    spec, out = spec_file(tmp_path, epochs=2), small_filesystem / "run"
    first = subprocess.run(train_command(spec, out, "--epochs", "1"), capture_output=True,
                           text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    before = (out / "checkpoint.h5").read_bytes()
    filler = small_filesystem / "filler"
    free = os.statvfs(small_filesystem).f_bavail * os.statvfs(small_filesystem).f_frsize
    filler.write_bytes(b"\0" * (free - len(before) // 2))
    full = subprocess.run(train_command(spec, out, "--resume"), capture_output=True, text=True,
                          timeout=120)
    assert full.returncode == 2, full.stderr
    assert_one_line_no_traceback(full.stderr)
    assert f"could not write {out / 'checkpoint.h5'}: No space left on device" in full.stderr
    assert (out / "checkpoint.h5").read_bytes() == before
    assert leftovers(out) == []
    filler.unlink()
    again = subprocess.run(train_command(spec, out, "--resume"), capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr
    assert load_checkpoint(out / "checkpoint.h5").epoch == 2


def test_a_closed_pipe_ends_quietly(tmp_path):
    proc = subprocess.Popen(CLI + ["info", "models/hopfield_resnet13.toml"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()                   # the reader went away, as `| head -0` does
    stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == 128 + signal.SIGPIPE
    assert stderr == ""


BAD_OPTIONS = [
    ("train", ["--watchdog", "0"]), ("train", ["--watchdog", "-1"]),
    ("train", ["--watchdog", "nan"]), ("train", ["--lava-batch", "0"]),
    ("train", ["--lava-batch", "-1"]), ("train", ["--event-threshold", "-1"]),
    ("train", ["--event-threshold", "nan"]), ("train", ["--weight-bits", "1"]),
    ("train", ["--weight-bits", "64"]), ("train", ["--weight-bits", "0"]),
    ("train", ["--weight-bits", "-3"]), ("train", ["--stats-every", "0"]),
    ("train", ["--epochs", "0"]), ("train", ["--epochs", "-1"]),
    ("train", ["--train-samples", "-5"]), ("train", ["--test-samples", "-360"]),
    ("train", ["--epochs", "two"]), ("run", ["--samples", "0"]), ("run", ["--steps", "-3"]),
    ("crosscheck", ["--epsilon", "1.5"]), ("crosscheck", ["--beta", "inf"]),
    ("stability", ["--tol", "0"]), ("map", ["--chips", "0"]),
]


@pytest.mark.parametrize("verb, options", BAD_OPTIONS, ids=lambda v: " ".join(v)
                         if isinstance(v, list) else v)
def test_bad_option_values_are_refused_by_name(verb, options, capsys):
    from lava_eqprop.cli.main import main

    target = "network.h5" if verb == "run" else "models/digits.toml"
    with pytest.raises(SystemExit) as exit_:
        main([verb, target, *options])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"argument {options[0]}: " in err, err
