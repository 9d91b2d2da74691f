"""Lava's worker processes die with the process that started them, however it dies.

Lava 0.10 forks one OS process per process model and runtime service, plus the server of its
shared-memory manager. If the host is killed outright (SIGKILL, the out-of-memory killer) no
Python code runs in it, and the forked children (each a full Python process, blocked in a
channel read) would live on, and so would the ``/dev/shm`` segments of their channels.

Inside :func:`children_die_with_this_thread`, every process forked by the calling thread asks
the kernel, right after the fork, for SIGKILL when its parent dies
(``prctl(PR_SET_PDEATHSIG)``). SIGKILL rather than SIGTERM: the children are forks of the host
and inherit its Python signal handlers, which would raise inside Lava's loops instead of ending
the process. The shared memory then goes too: every segment is registered with
multiprocessing's resource tracker, which unlinks whatever is still registered once the last
process holding its pipe has exited.

Linux only; elsewhere the context manager does nothing. The kernel sends the signal when the
*thread* that forked exits, not the whole process, so that thread must live as long as the
children are needed (a ``with`` block in that thread guarantees it).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

PR_SET_PDEATHSIG = 1        # from <linux/prctl.h>

_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
_tying_threads: set[int] = set()      # idents of the threads inside children_die_with_this_thread
_parent_pid = os.getpid()


def _tie_to_parent() -> None:
    """Run in the child right after ``fork``: die when the forking thread's process dies."""
    if threading.get_ident() not in _tying_threads:
        return
    _tying_threads.clear()                      # the child's forks: only if it enters the block
    _libc.prctl(PR_SET_PDEATHSIG, ctypes.c_ulong(signal.SIGKILL))
    if os.getppid() != _parent_pid:             # the parent died before prctl took effect
        os._exit(1)


if _libc is not None:
    os.register_at_fork(after_in_child=_tie_to_parent)


@contextmanager
def children_die_with_this_thread() -> Iterator[None]:
    """Processes forked by this thread inside the block are SIGKILLed when it dies (Linux)."""
    global _parent_pid
    ident = threading.get_ident()
    _parent_pid = os.getpid()
    _tying_threads.add(ident)
    try:
        yield
    finally:
        _tying_threads.discard(ident)
