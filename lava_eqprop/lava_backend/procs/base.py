"""The base class of lava-eqprop's Lava processes."""

from lava.magma.core.process.process import AbstractProcess


class EPProcess(AbstractProcess):
    """An AbstractProcess that may refuse its parameters before Lava registers it.

    Each process validates its parameters in ``__init__`` before calling Lava's, so that a bad
    value is a ValueError naming the process, never a failure inside a running graph (which
    would hang it). Lava's ``__del__`` reads ``_runtime``, which only Lava's ``__init__`` sets:
    the class default keeps a refused process from raising again while it is collected.
    """

    _runtime = None
