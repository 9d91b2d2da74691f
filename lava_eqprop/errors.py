"""The exceptions lava_eqprop raises for bad input: each names what is wrong and where."""

from __future__ import annotations


class LavaEqpropError(Exception):
    """Base class of every error this package raises on purpose."""


class SpecError(LavaEqpropError, ValueError):
    """A model spec (TOML) or a network description is invalid.

    The message names the file (when there is one), the key, the value found and what is allowed.
    """


class NetworkError(LavaEqpropError, ValueError):
    """A network description is inconsistent (shapes, roles, masks, names)."""


class FileFormatError(LavaEqpropError, OSError):
    """An HDF5 file is not a lava-eqprop file, is of another format version, or is corrupt."""


class DataNotFoundError(LavaEqpropError, FileNotFoundError):
    """A data set could not be found; the message says what to download and where to put it."""


class DataFormatError(LavaEqpropError, ValueError):
    """A data file exists but does not have the expected format."""


class OutputError(LavaEqpropError, OSError):
    """A result could not be written (no space left, a file-size limit, no permission): the
    message names the file; the previous version of it is unchanged."""


class RunDirectoryError(LavaEqpropError):
    """A run directory cannot be used: another run holds it, or it holds files of another run."""


class LavaRunError(LavaEqpropError, RuntimeError):
    """A Lava process graph failed or stopped making progress; the message names the process."""


class SweepError(LavaEqpropError, RuntimeError):
    """A sweep could not run its points (a worker process died); the message says how to go on."""


class MappingError(LavaEqpropError, ValueError):
    """A network does not fit a chip: the message names the projection or population, the
    resource, the amount needed and the limit."""


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: raised in the main thread so that a run unwinds (Lava graphs
    torn down, partial files removed) exactly as it does on Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"signal {signum}")
        self.signum = signum
