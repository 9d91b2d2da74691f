"""Atomic file writes: a reader sees the old file or the complete new one, never a half.

The new content is written to a temporary file in the same directory, flushed and fsync'ed,
then renamed over the target with :func:`os.replace` (atomic on POSIX), and the directory is
fsync'ed so that the rename survives a crash. Each writer's temporary name is its own
(``.NAME.PID-TOKEN.tmp``), so two writers never touch each other's file. A write that fails
(no space left on the device, a file-size limit, no permission) removes its temporary file,
leaves the previous target as it was and raises :class:`~lava_eqprop.errors.OutputError` naming
the target; a process killed mid-write leaves at most a stray temporary file, which
:func:`remove_stale_temporaries` clears.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

from lava_eqprop.errors import LavaEqpropError, OutputError

_TEMPORARY = re.compile(r"^\..+\.\d+-[0-9a-f]{8}\.tmp$")


def temp_path_for(target: Path) -> Path:
    """This writer's temporary name for ``target``, in the same directory."""
    return target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``target`` atomically.

    An :class:`OSError` while writing or renaming becomes an :class:`OutputError`; any exception
    (Ctrl-C and SIGTERM included) removes the temporary file."""
    target = Path(target)
    tmp = temp_path_for(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
        _fsync_directory(target.parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, LavaEqpropError):
            raise
        reason = exc.strerror or str(exc)
        raise OutputError(f"could not write {target}: {reason}; the previous {target.name} "
                          "(if any) is unchanged") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _fsync_directory(directory: Path) -> None:
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_bytes_atomic(target: str | os.PathLike, data: bytes | memoryview) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(target: str | os.PathLike, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def remove_stale_temporaries(directory: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that killed writers left in ``directory`` (call it only while
    no other writer can be using the directory, e.g. holding its run lock); returns them."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    stale = [p for p in directory.iterdir() if _TEMPORARY.match(p.name)]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale
