"""Make lava-nc 0.10.0 importable on Python 3.11, without editing Lava's files.

lava-nc 0.10.0 (the last release) declares ``Requires-Python <3.11``. On 3.11 exactly one
thing was seen to break: ``lava/magma/compiler/var_model.py`` gives three dataclasses
(``CoreEncoder``, ``ChipEncoder``, ``AxonEncoder``) fields whose default is a *dataclass
instance*, ``ByteEncoder()``. Since Python 3.11, ``dataclasses`` rejects any unhashable
default ("mutable default ... use default_factory"), so importing any Lava process fails.

:func:`install` puts a finder at the front of ``sys.meta_path`` that loads that one module
from its source with every ``x: ByteEncoder = ByteEncoder()`` rewritten to
``x: ByteEncoder = field(default_factory=ByteEncoder)``: the same value per instance, no
longer shared. Nothing else in Lava is changed; the cached ``.pyc`` of that module is
bypassed (it holds the unpatched code).

The rest of lava_eqprop never imports Lava directly: backends call :func:`import_lava`. The
environment that tools/setup_env.sh builds also calls :func:`install` at interpreter start (a
``.pth`` start-up file), so that any script there may import Lava first.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import re
import sys
from types import ModuleType

from lava_eqprop.errors import LavaEqpropError

PATCHED_MODULE = "lava.magma.compiler.var_model"

_BAD_DEFAULT = re.compile(
    r"^(?P<field>[ \t]+\w+:[ \t]*ByteEncoder)[ \t]*=[ \t]*ByteEncoder\(\)[ \t]*$", re.MULTILINE)
_GOOD_DEFAULT = r"\g<field> = __import__('dataclasses').field(default_factory=ByteEncoder)"


class LavaNotInstalledError(LavaEqpropError, ImportError):
    """Lava (``lava-nc``) is not importable in this environment."""


def how_to_install_lava() -> str:
    """What installs lava-nc 0.10.0 for this Python: pip through the ``lava`` extra on 3.10;
    on 3.11, which its metadata excludes, the project's set-up script."""
    if sys.version_info < (3, 11):
        return "pip install 'lava-eqprop[lava]' (or lava-nc==0.10.0)"
    return ("lava-nc 0.10.0 declares Python < 3.11, so pip will not install it here: run "
            "tools/setup_env.sh (make setup) of a lava-eqprop clone, which installs it with "
            "--no-deps --ignore-requires-python, or use Python 3.10")


def patch_var_model_source(source: str) -> tuple[str, int]:
    """Return ``source`` with each ``ByteEncoder()`` field default made a ``default_factory``.

    Returns the new source and the number of fields rewritten (8 in lava-nc 0.10.0, 0 for a
    version that no longer has the problem).
    """
    return _BAD_DEFAULT.subn(_GOOD_DEFAULT, source)


class _PatchedSourceLoader(importlib.machinery.SourceFileLoader):
    """Loads one module from source, through :func:`patch_var_model_source`."""

    def get_code(self, fullname: str):  # noqa: ANN201 - signature of the base class
        source = importlib.util.decode_source(self.get_data(self.path))
        patched, _ = patch_var_model_source(source)
        return compile(patched, self.path, "exec", dont_inherit=True)


class _VarModelFinder(importlib.abc.MetaPathFinder):
    """Finds ``lava.magma.compiler.var_model`` as usual, then swaps in the patching loader."""

    def find_spec(self, fullname, path, target=None):  # noqa: ANN001, ANN201
        if fullname != PATCHED_MODULE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return spec
        spec.loader = _PatchedSourceLoader(fullname, spec.origin)
        return spec


def install() -> None:
    """Install the import-time fix (idempotent; harmless where Lava needs no fix)."""
    if not any(isinstance(finder, _VarModelFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _VarModelFinder())


def import_lava() -> ModuleType:
    """Install the fix and import ``lava``; raise a clear error if lava-nc is missing."""
    install()
    try:
        importlib.import_module(PATCHED_MODULE)
        return importlib.import_module("lava")
    except ModuleNotFoundError as exc:
        if exc.name is not None and exc.name.split(".")[0] == "lava":
            raise LavaNotInstalledError(
                f"the Lava backend needs lava-nc, which is not installed: "
                f"{how_to_install_lava()}") from None
        raise
