"""A run folder's manifest, ``OUT/run.json``: what made the run and every file it wrote.

Read by :mod:`dealernet._outdir` (which writes it) to know which files are ours and which
run made the folder, and by anyone who finds a run folder and wants to know where its
figures came from. Runs before ``run.json`` kept the file list in ``.dealernet/``; it is
still read.
"""

from __future__ import annotations

import json
import time
from pathlib import Path, PurePosixPath
from typing import Any

#: Our folder inside a run folder (the lock; the manifest of earlier versions).
STATE_DIR = ".dealernet"
#: The manifest: what made the run and every file it wrote.
MANIFEST = "run.json"
#: Where manifests of runs before ``run.json`` were kept; read, and removed when replaced.
OLD_MANIFEST = f"{STATE_DIR}/manifest.json"
#: Version of the manifest's layout (2: ``run.json`` with the run's inputs).
MANIFEST_FORMAT = 2


def clean_entries(entries: object) -> set[str]:
    """Relative POSIX paths inside the folder from a manifest's list; anything else dropped
    (a hand-edited or hostile manifest never points a deletion outside ``--out``)."""
    found: set[str] = set()
    if not isinstance(entries, list):
        return found
    for entry in entries:
        if not isinstance(entry, str) or not entry or "\\" in entry or "\x00" in entry:
            continue
        path = PurePosixPath(entry)
        if path.is_absolute() or any(part in ("..", ".", "") for part in path.parts):
            continue
        found.add(path.as_posix())
    return found


def read_manifest(out: Path) -> dict[str, Any] | None:
    """The manifest of ``out`` as a dict (``run.json``, or the older
    ``.dealernet/manifest.json``), or ``None`` when there is none or it is damaged."""
    for name in (MANIFEST, OLD_MANIFEST):
        path = Path(out) / name
        if path.is_symlink() or not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None
    return None


def identity_of(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """What made the run of a manifest (its ``"run"``), or ``None`` when not recorded."""
    run = None if data is None else data.get("run")
    return run if isinstance(run, dict) and isinstance(run.get("fingerprint"), str) else None


def differences(earlier: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What differs between two runs' inputs, in words (``"the scenario"`` ...)."""
    parts = {"scenario": "the scenario", "assumptions": "the assumptions or --set values"}
    found = [
        words
        for key, words in parts.items()
        if run_part(earlier, key, "settings_sha256") != run_part(now, key, "settings_sha256")
    ]
    if run_part(earlier, "dealers", "sha256") != run_part(now, "dealers", "sha256"):
        found.append("the dealer files")
    return found or ["the inputs"]


def run_part(data: dict[str, Any], key: str, field: str) -> object:
    """``data[key][field]`` of a run's record, or ``None`` (a hand-edited record)."""
    part = data.get(key)
    return part.get(field) if isinstance(part, dict) else None


def version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dealernet")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "0+unknown"


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
