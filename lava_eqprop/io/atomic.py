"""Atomic file writes: a reader sees the old file or the complete new one, never a half.

The new content is written to a temporary file in the same directory, flushed and fsync'ed,
then renamed over the target with :func:`os.replace` (atomic on POSIX), and the directory is
fsync'ed so that the rename survives a crash. A process killed mid-write leaves at most a stray
``.tmp`` file, which the next write of the same target removes.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


def temp_path_for(target: Path) -> Path:
    return target.with_name(f".{target.name}.tmp")


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``target`` atomically."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(target)
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_text_atomic(target: str | os.PathLike, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
