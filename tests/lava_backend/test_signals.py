"""A Lava training run that is terminated or killed leaves no process and no shared memory.

The command line runs in a new session, so every process it starts (Lava's workers, the
shared-memory server, multiprocessing's resource tracker) carries its session id, even after
its parent died and it was adopted by another process. Its output goes to files: a surviving
child would hold a pipe open.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lava_eqprop.errors import Terminated

pytestmark = pytest.mark.lava

ROOT = Path(__file__).resolve().parents[2]
LAVA_PROCESSES = 8          # the host, the tracker, the memory server and the digits graph's models
CLEANUP_SECONDS = 20


def session_processes(session: int) -> dict[int, str]:
    """pid: command line, for every process of ``session`` that has not exited (zombies have)."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        state, _ppid, _pgrp, sid = stat[stat.rindex(")") + 2:].split()[:4]
        if int(sid) == session and state != "Z":
            found[int(pid)] = command[:80]
    return found


def wait_for_end(session: int, seconds: float) -> dict[int, str]:
    """Wait up to ``seconds`` for ``session`` to end; return what is left of it."""
    deadline = time.monotonic() + seconds
    while session_processes(session) and time.monotonic() < deadline:
        time.sleep(0.05)
    return session_processes(session)


def end_session(session: int) -> None:
    """Kill what is left of ``session``, but not multiprocessing's resource tracker: once the
    others are gone it unlinks their shared memory and exits."""
    for pid, command in session_processes(session).items():
        if "resource_tracker" not in command:
            os.kill(pid, signal.SIGKILL)
    wait_for_end(session, 10)


def shm_segments() -> set[str]:
    return set(os.listdir("/dev/shm"))


def mapped_segments() -> set[str]:
    """Segments some live process has mapped (they belong to runs that are still going)."""
    mapped = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            maps = Path(f"/proc/{pid}/maps").read_text()
        except OSError:
            continue
        mapped.update(line.split("/dev/shm/", 1)[1].split()[0]
                      for line in maps.splitlines() if "/dev/shm/" in line)
    return mapped


@pytest.fixture
def training(tmp_path):
    """Starts a Lava training (several seconds per epoch) and returns once its session has
    ``processes`` processes (by default: once the graph runs) and ``settle`` seconds passed;
    whatever a failing test leaves of it is killed afterwards."""
    started = []

    def start(processes: int = LAVA_PROCESSES, settle: float = 0.3) -> subprocess.Popen:
        command = [sys.executable, "-m", "lava_eqprop", "train", "models/digits.toml",
                   "--backend", "lava", "--out", str(tmp_path / "run"), "--epochs", "20",
                   "--train-samples", "200", "--test-samples", "50", "--quiet"]
        with open(tmp_path / "stdout", "wb") as out, open(tmp_path / "stderr", "wb") as err:
            proc = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err,
                                    start_new_session=True)
        started.append(proc)
        deadline = time.monotonic() + 60
        while len(session_processes(proc.pid)) < processes:
            assert proc.poll() is None, (tmp_path / "stderr").read_text()
            assert time.monotonic() < deadline, "the Lava graph did not start within 60 s"
            time.sleep(0.01)
        time.sleep(settle)
        return proc

    yield start
    for proc in started:
        end_session(proc.pid)


def assert_nothing_left(proc: subprocess.Popen, before: set[str]) -> None:
    """No process of the run's session within CLEANUP_SECONDS; no segment it created."""
    left = wait_for_end(proc.pid, CLEANUP_SECONDS)
    assert left == {}, f"processes still running {CLEANUP_SECONDS} s later: {left}"
    leaked = shm_segments() - before - mapped_segments()
    assert leaked == set(), f"{len(leaked)} /dev/shm segments left behind"


@pytest.mark.slow
@pytest.mark.parametrize("processes, settle", [(LAVA_PROCESSES, 0.3), (4, 0.0)],
                         ids=["mid-epoch", "while-the-graph-starts"])
def test_sigterm_stops_a_lava_run_cleanly(training, tmp_path, processes, settle):
    before = shm_segments()
    proc = training(processes, settle)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=CLEANUP_SECONDS) == 128 + signal.SIGTERM
    assert_nothing_left(proc, before)
    stderr = (tmp_path / "stderr").read_text()
    assert stderr.count("\n") == 1 and "terminated" in stderr, stderr


@pytest.mark.slow
def test_sigkill_of_a_lava_run_takes_its_workers_and_memory_along(training):
    before = shm_segments()
    proc = training()
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=CLEANUP_SECONDS) == -signal.SIGKILL
    assert_nothing_left(proc, before)


def test_children_forked_in_the_block_die_with_their_parent():
    script = ("import multiprocessing as mp, time\n"
              "from lava_eqprop.lava_backend.lifeline import children_die_with_this_thread\n"
              "with children_die_with_this_thread():\n"
              "    child = mp.get_context('fork').Process(target=time.sleep, args=(60,))\n"
              "    child.start()\n"
              "print(child.pid, flush=True)\n"
              "time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                              start_new_session=True)
    try:
        with parent.stdout:
            child = int(parent.stdout.readline())
        parent.kill()
        parent.wait()
        assert wait_for_end(parent.pid, 10) == {}, f"child {child} outlived its parent"
    finally:
        end_session(parent.pid)


def test_a_signal_swallowed_by_a_callback_is_raised_again(capsys):
    from lava_eqprop.lava_backend.interrupts import reraise_swallowed_interrupts

    class SignalledInCallback:       # CPython swallows what __del__ raises, as at-fork callbacks
        def __del__(self):
            signal.raise_signal(signal.SIGTERM)

    def terminate(signum, frame):
        raise Terminated(signum)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        with pytest.raises(Terminated), reraise_swallowed_interrupts():
            SignalledInCallback()
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert "Exception ignored" not in capsys.readouterr().err
