"""Atomic file writes: write a temporary file beside the target, then rename it.

A reader never sees a half-written file, and a run that is stopped leaves the previous
version in place. Temporary files are named ``.<target>.<random>.tmp``: a run that is
interrupted (Ctrl-C, SIGTERM) deletes its own; one killed outright (SIGKILL, power loss)
can leave one behind, and :func:`remove_stale_temporaries` clears those at the next run,
only in the folders of a run (never recursing, never following links; see
:mod:`dealernet._outdir`).

A write that fails for want of space or permission raises :class:`WriteError`, a clear
message naming the file, never a bare ``OSError``; :func:`watching` lets the output folder
record every file written (its manifest) without each writer returning its paths.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

from dealernet._errors import DealernetError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class WriteError(DealernetError, OSError):
    """A file could not be written: the disk is full, read-only, or not ours to write."""

    def __init__(self, target: Path, cause: OSError) -> None:
        self.target = Path(target)
        self.cause = cause
        what = _WHY.get(cause.errno or 0, "cannot write {target} ({reason})")
        reason = cause.strerror or str(cause)
        super().__init__(what.format(target=target, reason=reason))


#: errno -> what went wrong, for :class:`WriteError`; others stay a plain ``OSError``.
_WHY: dict[int, str] = {
    errno.ENOSPC: "the disk is full while writing {target}",
    errno.EROFS: "the file system is read-only: cannot write {target}",
    errno.EACCES: "no permission to write {target}",
    errno.EPERM: "not permitted to write {target}",
    errno.EFBIG: "{target} would be larger than this file system allows",
    errno.ENOTDIR: "cannot write {target}: a folder on its path is a file",
    errno.EISDIR: "cannot write {target}: a folder of that name is in the way",
    errno.ENAMETOOLONG: "cannot write {target}: the name is too long for this file system",
}
if hasattr(errno, "EDQUOT"):
    _WHY[errno.EDQUOT] = "the disk quota is used up while writing {target}"

#: Called as ``watcher(event, target)``: ``"start"`` before a file is written, ``"done"``
#: once it replaced the target. Process-wide (not a context variable), so writes in worker
#: threads are seen too.
Watcher = Callable[[str, Path], None]
_WATCHERS: list[Watcher] = []


@contextlib.contextmanager
def watching(watcher: Watcher) -> Iterator[None]:
    """Call ``watcher`` for every atomic write in this block (the manifest of a run)."""
    _WATCHERS.append(watcher)
    try:
        yield
    finally:
        _WATCHERS.remove(watcher)


def _tell(event: str, target: Path) -> None:
    for watcher in list(_WATCHERS):
        watcher(event, target)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path in ``target``'s folder that replaces ``target`` on success.

    Raises
    ------
    WriteError
        When the disk is full, read-only or the folder not writable: ``target`` is then
        as it was before.
    """
    target = Path(target)
    _tell("start", target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; outputs are for sharing
    except OSError as exc:
        raise _write_error(target, exc) from exc
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, DealernetError):
            raise _write_error(target, exc) from exc
        raise
    _tell("done", target)


def _write_error(target: Path, exc: OSError) -> OSError:
    """A :class:`WriteError` for the failures a user can act on, else ``exc`` itself."""
    if isinstance(exc, DealernetError) or (exc.errno or 0) not in _WHY:
        return exc
    return WriteError(target, exc)


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
#: Suffixes of the files dealernet writes (its temporary files end ``<name><suffix>.XXXXXXXX.tmp``).
_OUR_SUFFIXES = (".html", ".csv", ".json", ".geojson", ".gpkg", ".xlsx", ".parquet", ".pdf", ".png")
#: The probe file the output folder writes to see that a folder is writable.
PROBE_PREFIX = ".dealernet-probe."


#: A GeoPackage is written beside its temporary file under a ``.gpkg`` name (GDAL wants the
#: extension), with SQLite's side files while it is open: ``.dealernet.gpkg.a1B2c3D4.gpkg``
#: and ``...gpkg-journal``. A killed run leaves them as well.
_STAGED_GPKG = re.compile(r"^\..+\.gpkg\.[A-Za-z0-9_]{8}\.gpkg(-journal|-wal|-shm)?$")


@contextlib.contextmanager
def staged_gpkg(tmp: Path) -> Iterator[Path]:
    """A ``.gpkg`` path beside the temporary file ``tmp`` for GDAL to write
    (:data:`_STAGED_GPKG`), removed with SQLite's side files when the block ends; on
    success the caller has renamed it onto ``tmp``."""
    staged = tmp.with_suffix(".gpkg")
    try:
        yield staged
    finally:
        for side in ("", "-journal", "-wal", "-shm"):
            staged.with_name(staged.name + side).unlink(missing_ok=True)


def is_our_temporary(name: str) -> bool:
    """Whether ``name`` is a temporary file of ours: the pattern, of a file we would write."""
    if _STAGED_GPKG.match(name):
        return True
    if not _TEMPORARY.match(name):
        return False
    if name.startswith(PROBE_PREFIX):
        return True
    target = name[1:].rsplit(".", 2)[0]
    return target.lower().endswith(_OUR_SUFFIXES)


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete temporary files a killed run of ours left in ``folder``; returns them.

    Only ``folder`` itself is looked at, not the folders inside it, and nothing through a
    symbolic link: a run's folders are listed by the caller
    (:func:`dealernet._outdir.OutputFolder.open`). A file is ours only when its name is our
    pattern for a file we write (``.network.html.a1B2c3D4.tmp``), so a user's
    ``.thesis.docx.a1B2c3D4.tmp`` stays.
    """
    folder = Path(folder)
    if folder.is_symlink() or not folder.is_dir():
        return []
    removed = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if is_our_temporary(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed
