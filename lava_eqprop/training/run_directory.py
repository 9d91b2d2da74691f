"""A training run's output directory: the files it holds, and the lock that keeps it to one run.

Files: ``checkpoint.h5`` (the commit point: everything else is derived from it), ``network.h5``,
``summary.json``, ``errors.png``, ``updates.png``, and the lock file ``.lock``.

Guarantees, with how they are kept:

* **One run per directory.** A run holds an exclusive ``flock`` on ``.lock`` while it trains;
  a second run is refused with :class:`~lava_eqprop.errors.RunDirectoryError` naming the holder's
  process id. The kernel drops the lock when its holder dies, however it dies (SIGKILL
  included), so a stale lock never blocks a later run.
* **Nothing is overwritten silently.** A new run refuses a directory that holds a checkpoint
  (``--resume`` continues it) or any result file (left by another run, or by hand).
* **Nothing changes under a run's feet.** A run remembers the checkpoint it read (inode, size,
  modification time) and, once it holds the lock, refuses to go on if the file changed since.
* **No stale temporaries.** Killed writers' temporary files are removed when the lock is taken.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from lava_eqprop.errors import RunDirectoryError
from lava_eqprop.io.atomic import remove_stale_temporaries

CHECKPOINT_FILE = "checkpoint.h5"
NETWORK_FILE = "network.h5"
SUMMARY_FILE = "summary.json"
PLOT_FILES = ("errors.png", "updates.png")
RESULT_FILES = (NETWORK_FILE, SUMMARY_FILE) + PLOT_FILES
LOCK_FILE = ".lock"

FileState = tuple[int, int, int] | None


class RunDirectory:
    """The output directory of one training run (see the module docstring)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise RunDirectoryError(f"{self.path} is not a directory: --out must name a "
                                    "directory (it is created if missing)")

    @property
    def checkpoint(self) -> Path:
        return self.path / CHECKPOINT_FILE

    def checkpoint_state(self) -> FileState:
        """(inode, size, modification time in ns) of the checkpoint, or None if there is none."""
        try:
            st = self.checkpoint.stat()
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_size, st.st_mtime_ns

    def check_unused(self) -> None:
        """Refuse a directory that holds another run's checkpoint or results."""
        if self.checkpoint.exists():
            raise RunDirectoryError(f"{self.checkpoint} already exists: pass --resume to "
                                    "continue that run, or choose another --out")
        found = [name for name in RESULT_FILES if (self.path / name).exists()]
        if found:
            raise RunDirectoryError(f"{self.path} already holds {', '.join(found)} but no "
                                    f"{CHECKPOINT_FILE}: choose another --out, or remove those "
                                    "files to train there")

    @contextlib.contextmanager
    def lock(self, expected_checkpoint: FileState) -> Iterator[None]:
        """Hold the directory for one run; ``expected_checkpoint`` is the checkpoint state this
        run read (:meth:`checkpoint_state`), refused if another run changed it since."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise RunDirectoryError(f"cannot use {self.path}: {exc.strerror}") from exc
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                    raise
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
                raise RunDirectoryError(f"{self.path} is in use by another lava-eqprop run "
                                        f"(process {holder}): wait for it to finish, or choose "
                                        "another --out") from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            if self.checkpoint_state() != expected_checkpoint:
                raise RunDirectoryError(f"{self.checkpoint} changed since this run read it: "
                                        f"another run used {self.path} meanwhile")
            remove_stale_temporaries(self.path)
            yield
        finally:
            os.close(fd)   # closing the descriptor releases the lock
