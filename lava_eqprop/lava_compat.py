"""Make lava-nc 0.10.0 importable on Python 3.11, and after other processes were started,
without editing Lava's files.

lava-nc 0.10.0 (the last release) declares ``Requires-Python <3.11``. On 3.11 exactly one
thing was seen to break: ``lava/magma/compiler/var_model.py`` gives three dataclasses
(``CoreEncoder``, ``ChipEncoder``, ``AxonEncoder``) fields whose default is a *dataclass
instance*, ``ByteEncoder()``. Since Python 3.11, ``dataclasses`` rejects any unhashable
default ("mutable default ... use default_factory"), so importing any Lava process fails.

A second module breaks on any Python once the process has started another process:
``lava/magma/runtime/message_infrastructure/multiprocessing.py`` calls
``multiprocessing.set_start_method('fork')`` at import, which raises "context has already
been set" as soon as the default start method is fixed, and CPython fixes it whenever a
process is spawned (a sweep's workers, a ``ProcessPoolExecutor``), even to the 'fork' Lava
asks for. That call is replaced by :func:`use_fork`.

:func:`install` puts a finder at the front of ``sys.meta_path`` that loads those two modules
from their source, patched:
- every ``x: ByteEncoder = ByteEncoder()`` rewritten to
  ``x: ByteEncoder = field(default_factory=ByteEncoder)``: the same value per instance, no
  longer shared;
- ``mp.set_start_method('fork')`` rewritten to a call of :func:`use_fork`.
Nothing else in Lava is changed; the cached ``.pyc`` of those modules is bypassed (it holds
the unpatched code).

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
from collections.abc import Callable
from types import ModuleType

from lava_eqprop.errors import LavaEqpropError

PATCHED_MODULE = "lava.magma.compiler.var_model"
START_METHOD_MODULE = "lava.magma.runtime.message_infrastructure.multiprocessing"

_BAD_DEFAULT = re.compile(
    r"^(?P<field>[ \t]+\w+:[ \t]*ByteEncoder)[ \t]*=[ \t]*ByteEncoder\(\)[ \t]*$", re.MULTILINE)
_GOOD_DEFAULT = r"\g<field> = __import__('dataclasses').field(default_factory=ByteEncoder)"
_SET_FORK = re.compile(r"^(?P<indent>[ \t]*)mp\.set_start_method\(['\"]fork['\"]\)[ \t]*$",
                       re.MULTILINE)
_USE_FORK = r"\g<indent>__import__('lava_eqprop.lava_compat', fromlist=['use_fork']).use_fork()"


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


def patch_start_method_source(source: str) -> tuple[str, int]:
    """Return ``source`` with its ``mp.set_start_method('fork')`` calls made calls of
    :func:`use_fork`, and how many (1 in lava-nc 0.10.0)."""
    return _SET_FORK.subn(_USE_FORK, source)


def use_fork() -> None:
    """Have 'fork' as this process's start method, as Lava's runtime needs: set it if none is
    fixed yet, accept it if it is; refuse another one in a clear error."""
    import multiprocessing

    current = multiprocessing.get_start_method(allow_none=True)
    if current is None:
        multiprocessing.set_start_method("fork")
    elif current != "fork":
        raise LavaEqpropError(
            f"Lava starts its processes by fork, but this process's multiprocessing start "
            f"method is already {current!r}: run Lava in a process that does not call "
            f"multiprocessing.set_start_method({current!r})")


PATCHES: dict[str, Callable[[str], tuple[str, int]]] = {
    PATCHED_MODULE: patch_var_model_source,
    START_METHOD_MODULE: patch_start_method_source,
}
"""The Lava modules loaded patched, and the patch of each one's source."""


class _PatchedSourceLoader(importlib.machinery.SourceFileLoader):
    """Loads one module from source, through its patch of :data:`PATCHES`."""

    def get_code(self, fullname: str):  # noqa: ANN201 - signature of the base class
        source = importlib.util.decode_source(self.get_data(self.path))
        patched, _ = PATCHES[fullname](source)
        return compile(patched, self.path, "exec", dont_inherit=True)


class _LavaPatchFinder(importlib.abc.MetaPathFinder):
    """Finds the modules of :data:`PATCHES` as usual, then swaps in the patching loader."""

    def find_spec(self, fullname, path, target=None):  # noqa: ANN001, ANN201
        if fullname not in PATCHES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return spec
        spec.loader = _PatchedSourceLoader(fullname, spec.origin)
        return spec


def install() -> None:
    """Install the import-time fixes (idempotent; harmless where Lava needs no fix)."""
    if not any(isinstance(finder, _LavaPatchFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _LavaPatchFinder())


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
