"""A stop signal that arrives while Lava forks its workers still stops the run.

Ctrl-C raises KeyboardInterrupt, and the command line raises
:class:`~lava_eqprop.errors.Terminated` (a KeyboardInterrupt) on SIGTERM and SIGHUP, wherever
the main thread happens to be. During ``fork`` that can be an at-fork callback (``logging``
registers one); CPython does not propagate what such a callback raises but reports it through
:func:`sys.unraisablehook` ("Exception ignored in ...", with a traceback) and carries on, so the
run would go on as if no signal had come. Lava forks a dozen times while it starts a graph, so
this happens to a signal sent then.

Inside :func:`reraise_swallowed_interrupts` (main thread only: signal handlers run there), a
KeyboardInterrupt reported that way is kept rather than printed and raised again when the block
ends. Other unraisable exceptions are reported as before.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def reraise_swallowed_interrupts() -> Iterator[None]:
    """Raise, at the end of the block, the first KeyboardInterrupt that was swallowed in it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    swallowed: list[BaseException] = []
    report = sys.unraisablehook

    def keep_interrupts(unraisable) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            swallowed.append(unraisable.exc_value)
        else:
            report(unraisable)

    sys.unraisablehook = keep_interrupts
    try:
        yield
    finally:
        sys.unraisablehook = report
    if swallowed:
        raise swallowed[0]
