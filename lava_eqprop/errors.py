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


class LavaRunError(LavaEqpropError, RuntimeError):
    """A Lava process graph failed or stopped making progress; the message names the process."""


class MappingError(LavaEqpropError, ValueError):
    """A network does not fit a chip: the message names the projection or population, the
    resource, the amount needed and the limit."""
