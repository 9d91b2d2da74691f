"""Run a compiled graph under a watchdog, stream its results, and always clean up.

Any graph with a ``network``, ``settings`` and a ``readout`` whose ``result_out`` reports to
the host (:class:`RunnableGraph`) runs here: the cpu target's
:class:`~lava_eqprop.lava_backend.graph.EPGraph` and the loihi2 target's
:class:`~lava_eqprop.lava_backend.loihi2.graph.Loihi2Graph`, both in Lava's Python simulation
on this machine's CPUs (host-side: this module is what a host program would do around a chip).

Lava 0.10 has no failure path of its own that a user can rely on: a process model that raises
leaves the others blocked in ``recv`` and the host waiting forever, and ``stop()`` on such a
runtime hangs too. :class:`GraphRun` therefore starts the run without blocking and polls:

* the readout's external pipe (one message per batch: progress, predictions, heartbeat);
* whether every Lava child process is still alive; a dead one is a failure, reported with its
  process name and the exception it sent back;
* how long since the last message; longer than ``settings.watchdog_seconds`` is a stuck run.

On failure every child is killed and the shared-memory manager shut down (no stray processes,
no ``/dev/shm`` segments), and a :class:`~lava_eqprop.errors.LavaRunError` names the process.
The same teardown runs for any exception leaving the ``with`` block or the start-up, such as
KeyboardInterrupt. The children are also tied to the host
(:mod:`~lava_eqprop.lava_backend.lifeline`): if it dies without running any code (SIGKILL),
they die with it and their shared memory is unlinked. A stop signal that arrives while Lava
forks is not lost (:mod:`~lava_eqprop.lava_backend.interrupts`).
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
from lava.magma.compiler.builders.py_builder import PyProcessBuilder
from lava.magma.core.run_conditions import RunSteps
from lava.magma.core.run_configs import Loihi2SimCfg

from lava_eqprop.errors import LavaRunError
from lava_eqprop.lava_backend.interrupts import reraise_swallowed_interrupts
from lava_eqprop.lava_backend.lifeline import children_die_with_this_thread
from lava_eqprop.lava_backend.settings import LavaSettings
from lava_eqprop.network.network import Network

CHANNEL_SLOTS = 2       # the graph runs in lock-step: 2 slots per channel is enough (less /dev/shm)
PIPE_SLOTS = 64
POLL_SECONDS = 0.002


class RunnableGraph(Protocol):
    """What :class:`GraphRun` needs of a compiled graph; the readout also anchors the runtime
    (every process is connected to it)."""

    network: Network
    settings: LavaSettings
    readout: Any

    @property
    def process_models(self) -> dict:
        """Process class → the model Lava must use for it instead of its own choice."""
        ...


class GraphRun:
    """A started graph. Use as a context manager; :meth:`run` may be called several times.

    Lava's processes are tied to the thread that enters the ``with`` block: they are killed when
    it exits, so enter and use a ``GraphRun`` in one thread."""

    def __init__(self, graph: RunnableGraph) -> None:
        self.graph = graph
        self._runtime = None
        self._failed = False
        self._earlier_children: set[mp.Process] = set()

    def __enter__(self) -> "GraphRun":
        self.graph.readout.result_out.flag_external_pipe(buffer_size=PIPE_SLOTS)
        anchor = self.graph.readout
        self._earlier_children = set(mp.active_children())
        try:
            with children_die_with_this_thread(), reraise_swallowed_interrupts():
                anchor.create_runtime(
                    run_cfg=Loihi2SimCfg(select_tag=self.graph.settings.tag,
                                         exception_proc_model_map=self.graph.process_models),
                    compile_config={"pypy_channel_size": CHANNEL_SLOTS})
        except BaseException as exc:       # KeyboardInterrupt too: tear down what was started
            self._runtime = anchor.runtime              # set once the graph is compiled
            if self._runtime is not None:
                self._kill()
                self._runtime = None
            if isinstance(exc, Exception):  # Lava raises bare Exceptions while compiling, starting
                raise LavaRunError(f"could not compile or start the graph of "
                                   f"{self.graph.network.name!r}: {type(exc).__name__}: {exc}"
                                   ) from exc
            raise
        self._runtime = anchor.runtime
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._runtime is None:
            return
        if self._failed or exc_type is not None:
            self._kill()
        else:
            self.graph.readout.stop()
        self._runtime = None

    # ---- running -----------------------------------------------------------------------
    def run(self, steps: int, on_result: Callable[[np.ndarray], None],
            expected: int | None = None) -> None:
        """Run ``steps`` time steps; call ``on_result`` with every readout message.

        ``expected`` is the number of readout messages this run must deliver. The host side of
        the readout's pipe is filled by a listener thread, so a message the readout sent on the
        last step can reach the host after the runtime reports the run done; with ``expected``
        the pipe is drained until every message is in (or the watchdog fires)."""
        runtime, pipe = self._runtime, self.graph.readout.result_out.external_pipe_csp_recv_port
        timeout = self.graph.settings.watchdog_seconds
        received = 0

        def drain() -> bool:
            nonlocal received
            got = False
            while pipe.probe():
                on_result(pipe.recv())
                received += 1
                got = True
            return got

        runtime.start(RunSteps(num_steps=steps, blocking=False))
        last = time.monotonic()
        while True:
            got = drain()
            if got:
                last = time.monotonic()
            if all(port.probe() for port in runtime.service_to_runtime):
                break
            if not got:
                self._check_alive()
                if time.monotonic() - last > timeout:
                    self._fail(f"no result for {timeout:g} s (watchdog_seconds): the graph is "
                               "stuck; " + self._where())
                time.sleep(POLL_SECONDS)
        self._finish(runtime)
        ended = time.monotonic()
        drain()
        while expected is not None and received < expected:
            if drain():
                continue
            if time.monotonic() - ended > timeout:
                self._fail(f"the readout delivered {received} of {expected} results")
            time.sleep(POLL_SECONDS)

    def _finish(self, runtime) -> None:
        try:
            runtime.wait()
        except RuntimeError as exc:
            self._check_alive()
            self._fail(f"the run ended with an error: {exc}")

    def get(self, var) -> np.ndarray:
        """Read a Var (only between runs; costs ~17 µs per element in Lava 0.10)."""
        return np.array(var.get())

    def get_entries(self, var) -> np.ndarray:
        """The stored entries of a sparse (csr) Var, explicit zeros included, in row-major
        order: the values its model sends, which ``Var.get`` cannot place when the Var's
        initial value had stored zeros (:mod:`~lava_eqprop.lava_backend.loihi2.sparse`)."""
        return np.array(self._runtime.get_var(var.id, None)).reshape(-1)

    # ---- failure -----------------------------------------------------------------------
    def _actors(self) -> list[tuple[str, object]]:
        """(process name, OS process) for every process model, in the runtime's order."""
        runtime = self._runtime
        procs = [proc for proc, builder in runtime._executable.proc_builders.items()
                 if isinstance(builder, PyProcessBuilder)]
        actors = runtime._messaging_infrastructure.actors
        return [(proc.name, actor) for proc, actor in zip(procs, actors)]

    def _check_alive(self) -> None:
        for name, actor in self._actors():
            if not actor.is_alive():
                error = actor.exception
                cause = (f"{type(error[0]).__name__}: {error[0]}" if error else
                         f"it exited with code {actor.exitcode}")
                self._fail(f"Lava process {name!r} failed: {cause}")

    def _where(self) -> str:
        alive = [name for name, actor in self._actors() if actor.is_alive()]
        return f"processes still running: {alive}"

    def _fail(self, message: str) -> None:
        self._failed = True
        raise LavaRunError(f"graph of {self.graph.network.name!r}: {message}")

    def _kill(self) -> None:
        """Kill every child, shut the shared memory down; never blocks on a stuck runtime.

        Also tears down a runtime whose start was cut short. Children that Lava started but does
        not list yet (the shared-memory server while it starts, say) are found among this
        process's children and killed too: at exit, multiprocessing would wait for them forever."""
        runtime = self._runtime
        infrastructure = runtime._messaging_infrastructure
        if infrastructure is not None:
            for actor in infrastructure.actors:
                if actor.is_alive():
                    actor.kill()
            for actor in infrastructure.actors:
                actor.join()
            smm = infrastructure.smm
            if smm is not None and hasattr(smm._manager, "shutdown"):    # its start completed
                smm.shutdown()
        if runtime._watchdog_manager is not None:
            runtime._watchdog_manager.stop()
        for child in set(mp.active_children()) - self._earlier_children:
            child.kill()
            child.join()
        runtime._is_running = runtime._is_started = False
