"""The reactor's scratch space: one directory per running reactor process, swept at start-up.

Downloads and audio chunks live in ``<work_dir or temp>/voxpersona-reactor/<pid>-<random>/``.
A running reactor holds an exclusive ``flock`` on the ``.lock`` file in its directory; the
kernel drops the lock when the process dies, however it dies (SIGKILL, OOM killer). A starting
reactor removes every directory whose lock it can take: what a killed reactor left behind. A
directory being created (no lock file yet) is left alone until it is a minute old.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time
from pathlib import Path

from voxpersona.logging import get_logger

log = get_logger(__name__)

ROOT_NAME = "voxpersona-reactor"
LOCK_NAME = ".lock"
UNLOCKED_GRACE_SECONDS = 60.0


def _try_lock(path: Path) -> int | None:
    """An fd holding the exclusive lock on ``path``, or None when a live process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _abandoned(directory: Path, now: float) -> bool:
    """Owned by no live process (takes the lock only to test it; removal follows at once)."""
    lock = directory / LOCK_NAME
    if not lock.exists():
        return now - directory.stat().st_mtime > UNLOCKED_GRACE_SECONDS
    fd = _try_lock(lock)
    if fd is None:
        return False
    os.close(fd)
    return True


def sweep(root: Path, *, now: float | None = None) -> list[str]:
    """Remove the directories of reactors that are no longer running; return their names."""
    removed: list[str] = []
    moment = time.time() if now is None else now
    for directory in sorted(root.iterdir()):
        if not directory.is_dir() or directory.is_symlink():
            continue
        try:
            if not _abandoned(directory, moment):
                continue
        except FileNotFoundError:  # another starting reactor swept it first
            continue
        shutil.rmtree(directory, ignore_errors=True)
        removed.append(directory.name)
    return removed


class Workspace:
    """This process's scratch directory, locked while it runs. Use as a context manager."""

    def __init__(self, base: Path | None = None) -> None:
        self.root = (base or Path(tempfile.gettempdir())) / ROOT_NAME
        self.path: Path | None = None
        self._lock_fd: int | None = None

    def __enter__(self) -> Path:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        removed = sweep(self.root)
        if removed:
            log.warning("workspace.swept", root=str(self.root), directories=removed)
        path = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=self.root))
        fd = _try_lock(path / LOCK_NAME)
        assert fd is not None  # a directory we have just created
        self.path, self._lock_fd = path, fd
        return path

    def __exit__(self, *exc_info: object) -> None:
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
        if self._lock_fd is not None:
            os.close(self._lock_fd)
        self.path, self._lock_fd = None, None
