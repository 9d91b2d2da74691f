"""TOML reading on every supported Python: the standard library's ``tomllib`` (3.11 and later)
or its backport ``tomli`` (3.10), which has the same interface."""

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["tomllib"]
