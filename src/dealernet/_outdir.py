"""The output folder (``--out``): where a run may write, one run at a time, and what is ours.

A run folder mixes our files with whatever a user keeps beside them, so dealernet never
decides by a file's name alone that it may delete it. Each command that writes a run
folder goes through :class:`OutputFolder`, which

- refuses places that are no run folder: ``/``, the home folder, a regular file, a path
  under a file, a folder that already holds files dealernet did not write, and a run
  folder whose ``data/``, ``owners/`` ... are symbolic links (we write nothing through a
  link);
- checks the folder is writable (it makes it, and writes and deletes a probe file) before
  the slow work, and only after the inputs were read: bad inputs leave ``--out`` as it was;
- locks it (``OUT/.dealernet/lock``, :mod:`dealernet._lock`: the system drops the lock when
  the process dies, so a killed run never blocks the next), so a second run refuses at once
  and names the first;
- records every file it writes in the manifest ``OUT/run.json``, written last, with what
  made the run (:meth:`OutputFolder.claim`: scenario, assumptions, dealer files and their
  hashes, data origin). The manifest says ``"complete": false`` from the first file a run
  writes until it finishes, so a run that stops halfway (a full disk, Ctrl-C) never leaves a
  mix that claims to be whole. Stale reports are removed only when an earlier manifest
  lists them;
- refuses to write a run made from other inputs into a folder an earlier run made, unless
  told to replace it (``--overwrite``): then every file the earlier run recorded and this
  one did not write is removed at the end, so no figure of the old run stays beside the
  new ones.

Temporary files of a killed run are removed only in the folders a run writes into
(:data:`OUR_FOLDERS`), one level each, never following links.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any

from dealernet import _atomic
from dealernet._errors import DealernetError
from dealernet._lock import FolderLock, Locked
from dealernet._manifest import (
    MANIFEST,
    MANIFEST_FORMAT,
    OLD_MANIFEST,
    STATE_DIR,
    clean_entries,
    differences,
    identity_of,
    now,
    read_manifest,
    run_part,
    version,
)
from dealernet.settings import (
    DATA_DIR,
    GIS_DIR,
    OWNERS_DIR,
    QUERIES_DIR,
    REGIONS_DIR,
    SWEEPS_DIR,
)

#: The lock, in our folder inside a run folder.
LOCK = f"{STATE_DIR}/lock"
#: The folders a run writes into, relative to ``--out`` ("" is ``--out`` itself).
OUR_FOLDERS = ("", DATA_DIR, OWNERS_DIR, REGIONS_DIR, QUERIES_DIR, SWEEPS_DIR, GIS_DIR, STATE_DIR)
#: Files a file manager leaves in any folder: they do not make a folder someone else's.
_HARMLESS = {".DS_Store", "Thumbs.db", "desktop.ini"}


class OutputFolderError(DealernetError, OSError):
    """``--out`` cannot be used: a dangerous place, someone else's files, locked, unwritable."""


# --- checks that change nothing ---------------------------------------------------------


def suggestion(out: Path) -> str:
    """A new folder to offer instead of ``out``: ``results-2``, or ``<out>-2`` beside it."""
    out = Path(out)
    try:
        home = out.resolve() == Path.home().resolve()
    except (RuntimeError, OSError):
        home = False
    parent_ok = out.parent.is_dir() and not out.parent.is_symlink()
    base = out if out.name and not home and parent_ok else Path("results")
    for n in range(2, 100):
        candidate = base.with_name(f"{base.name}-{n}")
        if not candidate.exists():
            return str(candidate)
    return str(base.with_name(f"{base.name}-new"))  # pragma: no cover - 98 taken


def _fix(out: Path) -> str:
    return f"Fix: choose a new folder, e.g. --out {suggestion(out)}"


def is_run_folder(out: Path) -> bool:
    """Whether ``out`` holds a run of ours: our state folder, or the tables of a run."""
    out = Path(out)
    return (
        (out / STATE_DIR).is_dir()
        or (out / MANIFEST).is_file()
        or (out / DATA_DIR / "summary.json").is_file()
    )


def check_out(out: Path, *, strict: bool = True) -> None:
    """Refuse an ``out`` that is no place for a run folder; reads only, changes nothing.

    ``strict`` (the command line) also refuses an existing folder of other files: a run
    would mix its files with them. The library (:meth:`Result.write`) writes where asked.

    Raises
    ------
    OutputFolderError
        With what is wrong and a folder to choose instead.
    """
    out = Path(out)
    resolved = out.resolve()
    if resolved == Path(resolved.anchor):
        msg = f"--out {out} is the root of the file system: dealernet writes a run folder "
        raise OutputFolderError(msg + f"of its own, never there. {_fix(out)}")
    with contextlib.suppress(RuntimeError):  # no home folder known
        if resolved == Path.home().resolve():
            msg = f"--out {out} is your home folder: dealernet writes a run folder of its own, "
            raise OutputFolderError(msg + f"never into your home. {_fix(out)}")
    if out.exists() and not out.is_dir():
        msg = f"--out {out} is a file, not a folder: dealernet will not replace it. {_fix(out)}"
        raise OutputFolderError(msg)
    for parent in out.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                msg = f"cannot make --out {out}: {parent} is a file, not a folder. {_fix(out)}"
                raise OutputFolderError(msg)
            break
    if not out.is_dir():
        return
    for name in OUR_FOLDERS[1:]:
        sub = out / name
        if sub.is_symlink():
            msg = (
                f"{sub} is a symbolic link (to {os.readlink(sub)}): dealernet writes and "
                "deletes nothing through a link inside --out. Fix: remove the link, or "
                f"choose a new folder, e.g. --out {suggestion(out)}"
            )
            raise OutputFolderError(msg)
        if sub.exists() and not sub.is_dir():
            msg = f"{sub} is a file, but a run keeps a folder of that name there. {_fix(out)}"
            raise OutputFolderError(msg)
    if strict and not is_run_folder(out):
        others = sorted(p.name for p in out.iterdir() if p.name not in _HARMLESS)
        if others:
            shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
            msg = (
                f"--out {out} already holds files dealernet did not write ({shown}); a run "
                "writes only into a new or empty folder or one of its own earlier runs, so "
                f"it never mixes with or deletes your files. {_fix(out)}"
            )
            raise OutputFolderError(msg)


def check_output_file(path: Path, option: str = "--output") -> None:
    """Refuse an ``--output`` file that cannot be written, before the slow work; reads only."""
    path = Path(path)
    if path.is_dir():
        msg = f"{option} {path} is a folder: give a file name, e.g. {option} {path / 'out.html'}"
        raise OutputFolderError(msg)
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                msg = f"cannot write {option} {path}: {parent} is a file, not a folder."
                raise OutputFolderError(msg + " Fix: choose another place for the file.")
            if not os.access(parent, os.W_OK | os.X_OK):
                msg = f"cannot write {option} {path}: no permission to write in {parent}."
                raise OutputFolderError(msg + " Fix: choose a folder you can write to.")
            break


def our_files(out: Path) -> set[str]:
    """Files of ``out`` an earlier run recorded as its own (relative POSIX paths).

    Inside a run, what that run knows (the earlier manifest, what it wrote since).
    """
    session = _ACTIVE.get(os.path.abspath(out))
    if session is not None:
        return session.files()
    data = read_manifest(out)
    return set() if data is None else clean_entries(data.get("files"))


def forget(out: Path, path: Path) -> None:
    """Tell the run writing ``out`` that ``path`` was removed (it leaves the manifest)."""
    session = _ACTIVE.get(os.path.abspath(out))
    if session is not None:
        session.forget(path)


def _busy(out: Path, pid: int | None) -> str:
    who = f"another dealernet run (pid {pid})" if pid else "another dealernet run"
    return (
        f"{who} is writing to {out}{os.sep}; wait for it to finish or choose another "
        f"--out, e.g. --out {suggestion(out)}"
    )


# --- a run writing a folder ---------------------------------------------------------------

#: Runs writing a folder in this process, by absolute path: a library call inside a command
#: (``write_run`` inside ``dealernet run``) joins the command's run instead of locking again.
_ACTIVE: dict[str, OutputFolder] = {}


class OutputFolder:
    """One run writing ``out``: checks, the lock, the manifest. Use :func:`output_folder`.

    ``open()`` does the work that changes the disk (makes the folder, locks, probes, clears
    our stale temporary files); call it once the inputs are read, before the slow work. A
    write inside the block opens it too, so a library caller need not.
    """

    def __init__(self, out: Path, command: str, *, strict: bool = True) -> None:
        self.out = Path(out)
        self.command = command
        self.strict = strict
        self.key = os.path.abspath(self.out)
        self.lock = FolderLock(self.out / LOCK)
        self.started = now()
        self.written: list[str] = []
        self._earlier: set[str] = set()
        self._forgotten: set[str] = set()
        self._made: list[Path] = []
        self.identity: dict[str, Any] | None = None
        self._earlier_identity: dict[str, Any] | None = None
        self._replacing = False
        self._marked = False
        self._writing_manifest = False

    # -- the context -------------------------------------------------------------------

    def __enter__(self) -> OutputFolder:
        # no check yet: the inputs are read first, so their errors come first
        _ACTIVE[self.key] = self
        self._watch = _atomic.watching(self._watched)
        self._watch.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._watch.__exit__(None, None, None)
        _ACTIVE.pop(self.key, None)
        try:
            if self.lock.held:
                if exc is None:
                    if self._replacing:
                        self._remove_replaced()
                    self._write_manifest(complete=True)
                elif self._marked or self.written or self._forgotten:
                    with contextlib.suppress(OSError):  # the disk may still be full
                        self._write_manifest(complete=False)
                else:
                    self._undo()
        except _atomic.WriteError as failure:
            raise self._explain(failure) from failure
        finally:
            self.lock.release()
        if isinstance(exc, _atomic.WriteError):
            raise self._explain(exc) from exc

    def _explain(self, failure: _atomic.WriteError) -> OutputFolderError:
        """The write error with what it means for the folder and what to do."""
        return OutputFolderError(
            f"{failure}: free some space (or fix the permission), or choose another --out, "
            f"e.g. --out {suggestion(self.out)}. The previous outputs are intact: each file "
            "is whole, either the earlier run's or this one's, and "
            f"{self.out / MANIFEST} marks this run incomplete."
        )

    # -- opening -----------------------------------------------------------------------

    def open(self) -> None:
        """Make the folder, lock it, check it is writable and clear stale temporaries."""
        if self.lock.held:
            return
        check_out(self.out, strict=self.strict)  # again: time has passed since __enter__
        self._make(self.out)
        self._make(self.out / STATE_DIR)
        try:
            self.lock.acquire(self.command)
        except Locked as held:
            self._undo()
            raise OutputFolderError(_busy(self.out, held.pid)) from None
        except OSError as exc:
            self._undo()
            raise self._unwritable(self.out / STATE_DIR, exc) from exc
        try:
            for name in OUR_FOLDERS:
                folder = self.out / name
                if folder.is_dir() and not folder.is_symlink():
                    _probe(folder)
                    _atomic.remove_stale_temporaries(folder)
        except OSError as exc:
            self._undo()
            folder = Path(exc.filename).parent if exc.filename else self.out
            raise self._unwritable(folder, exc) from exc
        data = read_manifest(self.out)
        self._earlier = set() if data is None else clean_entries(data.get("files"))
        self._earlier_identity = identity_of(data)

    # -- what made the run ---------------------------------------------------------------

    def claim(self, identity: dict[str, Any], *, overwrite: bool = False) -> None:
        """Record what made this run (``identity["fingerprint"]`` and its parts, from
        :func:`dealernet.outputs.run_record.run_identity`), before its first file.

        A folder holds one run. When an earlier run made it with another scenario or other
        assumptions, this is refused unless ``overwrite``; when only the dealer files
        changed (the same run on corrected data), it goes on. Either way the earlier run's
        files that this run does not write again are removed when it finishes (never
        before: a failed run leaves the earlier one whole, marked incomplete), so no page
        of the old figures stays beside the new ones.

        Raises
        ------
        OutputFolderError
            The folder holds a run of other inputs and ``overwrite`` is false.
        """
        held = self.lock.held  # open() has read the manifest; else read it now
        earlier = self._earlier_identity if held else identity_of(read_manifest(self.out))
        if self.identity is not None and self.identity["fingerprint"] == identity["fingerprint"]:
            return
        if earlier is not None and earlier["fingerprint"] != identity["fingerprint"]:
            asked_else = differences(earlier, identity) != ["the dealer files"]
            if asked_else and not overwrite:
                raise OutputFolderError(self._other_run(earlier, identity))
            self._replacing = True
        self.open()
        self.identity = identity

    def _other_run(self, earlier: dict[str, Any], now: dict[str, Any]) -> str:
        differ = ", ".join(differences(earlier, now))
        name = run_part(earlier, "scenario", "name") or "not known"
        return (
            f"--out {self.out} holds a run made with other inputs (not the same: {differ}; its "
            f"scenario: {name}; data: {earlier.get('data_origin', 'not known')}). A folder "
            "holds one run, so dealernet will not mix this one's files with it. Fix: choose "
            f"a new folder, e.g. --out {suggestion(self.out)}, or add --overwrite to replace "
            "that run (its files are removed once this run has finished). A run on changed "
            "dealer files with the same scenario and assumptions replaces its folder's run "
            "without --overwrite."
        )

    def _remove_replaced(self) -> None:
        """Remove the replaced run's files this run did not write, then its empty folders."""
        for rel in sorted(self._earlier - set(self.written)):
            path = self.out / rel
            if path.is_file() and not path.is_symlink() and _inside_ours(rel):
                with contextlib.suppress(OSError):
                    path.unlink()
                    self._forgotten.add(rel)
        for name in reversed(OUR_FOLDERS[1:]):
            folder = self.out / name
            if name != STATE_DIR and folder.is_dir() and not folder.is_symlink():
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only when empty

    def _make(self, folder: Path) -> None:
        """Make ``folder`` (and its parents), remembering what we made for :meth:`_undo`."""
        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._undo()
            raise self._unwritable(folder, exc) from exc
        self._made += reversed(missing)

    def _unwritable(self, folder: Path, exc: OSError) -> OutputFolderError:
        reason = exc.strerror or str(exc)
        return OutputFolderError(
            f"cannot write to --out {self.out}: {folder} is not writable ({reason}). Fix: "
            f"choose a folder you can write to, e.g. --out {suggestion(self.out)}"
        )

    def _undo(self) -> None:
        """Remove what :meth:`open` made, when the run wrote nothing: bad inputs leave
        ``--out`` as it was."""
        self.lock.release(delete=(self.out / STATE_DIR) in self._made)
        for folder in reversed(self._made):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty
        self._made = []

    # -- recording -----------------------------------------------------------------------

    def _relative(self, path: Path) -> str | None:
        rel = os.path.relpath(os.path.abspath(path), self.key)
        if rel.startswith(os.pardir) or os.path.isabs(rel):
            return None
        return PurePosixPath(Path(rel).as_posix()).as_posix()

    def _watched(self, event: str, target: Path) -> None:
        rel = self._relative(target)
        if rel is None or rel.startswith(STATE_DIR + "/") or self._writing_manifest:
            return
        if event == "start":
            self.open()
            if not self._marked:  # before the first file: the folder is no longer whole
                self._marked = True
                self._write_manifest(complete=False)
        elif rel not in self.written:
            self.written.append(rel)
            self._forgotten.discard(rel)

    def forget(self, path: Path) -> None:
        """``path`` was removed by this run (a stale report): it leaves the manifest."""
        rel = self._relative(path)
        if rel is not None:
            self._forgotten.add(rel)
            with contextlib.suppress(ValueError):
                self.written.remove(rel)

    def files(self) -> set[str]:
        """Every file of ours in the folder now: earlier runs' still there, and this run's."""
        earlier = {f for f in self._earlier - self._forgotten if (self.out / f).is_file()}
        return earlier | set(self.written)

    def _write_manifest(self, *, complete: bool) -> None:
        data = {
            "format": MANIFEST_FORMAT,
            "dealernet": version(),
            "command": self.command,
            "pid": os.getpid(),
            "started": self.started,
            "finished": now() if complete else None,
            "complete": complete,
            "run": self.identity or self._earlier_identity,
            "written": sorted(self.written),
            "files": sorted(self.files()),
        }
        self._writing_manifest = True
        try:
            _atomic.write_text(self.out / MANIFEST, json.dumps(data, indent=2) + "\n")
            old = self.out / OLD_MANIFEST
            if old.is_file() and not old.is_symlink():
                old.unlink()  # its record is in run.json now
        finally:
            self._writing_manifest = False


def _inside_ours(rel: str) -> bool:
    """Whether ``rel`` is a file directly in one of :data:`OUR_FOLDERS` (what runs write)."""
    parent = PurePosixPath(rel).parent.as_posix()
    return (parent if parent != "." else "") in OUR_FOLDERS and not rel.startswith(STATE_DIR)


def _probe(folder: Path) -> None:
    """Write and delete a small file in ``folder``: raises ``OSError`` when it cannot."""
    fd, name = tempfile.mkstemp(prefix=_atomic.PROBE_PREFIX, suffix=".tmp", dir=folder)
    try:
        os.write(fd, b"dealernet")
    finally:
        os.close(fd)
        os.unlink(name)


class _Joined:
    """The context of a run already writing the folder: it opens the run, nothing more."""

    def __init__(self, session: OutputFolder) -> None:
        self.session = session

    def __enter__(self) -> OutputFolder:
        self.session.open()
        return self.session

    def __exit__(self, *_exc: object) -> None:
        return None


def output_folder(out: Path | str, command: str, *, strict: bool = True) -> OutputFolder | _Joined:
    """The run writing ``out``: a new one, or the one this process already has there.

    Use as ``with output_folder(out, "run") as folder: ...; folder.open(); ...``.
    """
    session = _ACTIVE.get(os.path.abspath(out))
    if session is not None:
        return _Joined(session)
    return OutputFolder(Path(out), command, strict=strict)


def removable(out: Path, folder: str, keep: Iterable[str], pattern: Any) -> list[Path]:
    """Files in ``out/folder`` that an earlier run recorded, whose names match ``pattern``
    (a compiled regex) and whose stems are not in ``keep``: stale outputs of ours."""
    base = Path(out) / folder
    if base.is_symlink() or not base.is_dir():
        return []
    kept = set(keep)
    found = []
    for rel in sorted(our_files(out)):
        parts = PurePosixPath(rel).parts
        if len(parts) != 2 or parts[0] != folder or not pattern.match(parts[1]):
            continue
        path = base / parts[1]
        if path.stem not in kept and path.is_file() and not path.is_symlink():
            found.append(path)
    return found
