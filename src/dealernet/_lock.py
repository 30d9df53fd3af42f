"""A lock on an output folder, so two runs never write one folder at once.

An exclusive, non-blocking OS lock (``flock``; ``msvcrt.locking`` on Windows) on a small
file that holds the pid of the run that has it. The system drops the lock when the process
ends however it ends, so a lock file left by a killed run never blocks the next one; two
handles in one process exclude each other as two processes do.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path


class Locked(Exception):
    """The lock is held by another run; ``pid`` is its process id when it can be read."""

    def __init__(self, path: Path, pid: int | None) -> None:
        super().__init__(f"{path} is locked by pid {pid}")
        self.path = path
        self.pid = pid


class FolderLock:
    """The lock file ``path``: :meth:`acquire` it or learn who has it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, label: str = "") -> None:
        """Take the lock at once, or raise :class:`Locked`; ``OSError`` when the file cannot
        be made (an unwritable folder)."""
        for _ in range(5):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            if not _try_lock(fd):
                holder = _read_holder(fd)
                os.close(fd)
                raise Locked(self.path, holder)
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:  # not a file the previous holder deleted as we opened it
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()} {label}\n".encode())
                self._fd = fd
                return
            os.close(fd)
        raise Locked(self.path, None)  # pragma: no cover - lost five races in a row

    def release(self, *, delete: bool = False) -> None:
        """Drop the lock; ``delete`` also removes the lock file (a folder we made for it)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            if delete:
                os.unlink(self.path)
            else:  # the file stays for the next run, without a pid that is no longer ours
                os.ftruncate(self._fd, 0)
        with contextlib.suppress(OSError):
            os.close(self._fd)  # closing the last handle drops the lock
        self._fd = None


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            os.lseek(fd, 1 << 20, os.SEEK_SET)  # lock a byte past the pid, which stays readable
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:  # a file system without locks (some network shares): go unlocked
        return True
    return True


def _read_holder(fd: int) -> int | None:
    """The pid written in the lock file by the run that holds it, if it can be read."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 200).decode("utf-8", "replace")
    except OSError:
        return None
    words = text.split()
    return int(words[0]) if words and words[0].isdigit() else None
