"""Atomic file writes: write a temporary file beside the target, then rename it.

A reader never sees a half-written file, and a run that is stopped leaves the previous
version in place. Temporary files are named ``.<target>.<random>.tmp``: a run that is
interrupted (Ctrl-C, SIGTERM) deletes its own; one killed outright (SIGKILL, power loss)
can leave one behind, and :func:`remove_stale_temporaries` clears those at the next run.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path in ``target``'s folder that replaces ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; outputs are for sharing
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_open(target: Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temporary file for writing; it replaces ``target`` when the block ends well."""
    binary = "b" in mode
    with (
        atomic_path(target) as tmp,
        open(
            tmp, mode, encoding=None if binary else encoding, newline=None if binary else ""
        ) as handle,
    ):
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


def write_text(target: Path, text: str) -> Path:
    """Write text atomically (UTF-8, ``\\n`` line endings)."""
    with atomic_open(target) as handle:
        handle.write(text)
    return Path(target)


def write_csv(frame: pd.DataFrame, target: Path, float_format: str | None = None) -> Path:
    """Write a table as UTF-8 CSV atomically, without the index."""
    with atomic_open(target) as handle:
        frame.to_csv(handle, index=False, lineterminator="\n", float_format=float_format)
    return Path(target)


#: Our temporary file names: ``.`` + target name + ``.`` + mkstemp's 8 random characters.
_TEMPORARY = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete temporary files a killed run of ours left under ``folder``; returns them."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = []
    for path in folder.rglob(".*.tmp"):
        if path.is_file() and _TEMPORARY.match(path.name):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed
