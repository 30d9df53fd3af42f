"""Safe, readable, unique file names built from names in input files.

An owner called ``../../etc/passwd``, ``CON`` or ``A/B`` must still get a harmless file name
inside the output folder. A slug keeps only lower-case ASCII letters, digits and hyphens,
so no path separators or dots survive: ``"Maple Lake Automotive"`` is
``maple-lake-automotive``, the name a reader expects to find.

Two names can meet in one plain slug ("A/B Motors" and "A-B Motors"; "Café" and "Cafe";
two long names that share their first 60 characters). :func:`file_stems` gives each name of
a run its stem: the plain slug where no other name of the run has it, else the slug and a
short hash of the full name (``a-b-motors-88627e67``), lengthened where it would meet
another name's stem, so two owners never share a file and the hashed stem of a name stays
the same from run to run. A slug Windows reserves as a device name (``con``, ``nul``,
``com1``, ...) always carries the hash. Names that differ only in spacing are one owner,
written one way by the loader (:mod:`dealernet.io.owner_names`), so they share one file by
design; were two such names ever to reach :func:`file_stems`, each would still get a file
of its own.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

from dealernet._errors import DealernetError

__all__ = ["HASH_CHARS", "MAX_STEM", "WINDOWS_RESERVED", "file_stems", "slug"]

_NOT_SAFE = re.compile(r"[^a-z0-9]+")
#: Characters of readable name kept in a stem (a long name is cut at a hyphen when it can be).
MAX_STEM = 60
#: Hex digits of the name's hash added to a stem that two names share.
HASH_CHARS = 8
#: Device names Windows reserves in any case, with or without an extension.
WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{port}{n}" for port in ("COM", "LPT") for n in range(10)}
)


def _normal(name: object) -> str:
    text = "" if name is None else str(name)
    return " ".join(text.split())


def _plain(normal: str, prefix: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", normal).encode("ascii", "ignore").decode()
    full = _NOT_SAFE.sub("-", ascii_text.lower()).strip("-")
    stem = full[:MAX_STEM]
    if len(full) > MAX_STEM and full[MAX_STEM] != "-" and "-" in stem[MAX_STEM // 2 :]:
        stem = stem[: stem.rindex("-")]  # "...-owner-not-known", not "...-owner-not-k"
    return stem.strip("-") or prefix


def _digest(normal: str) -> str:
    return hashlib.sha256(normal.encode("utf-8", "surrogatepass")).hexdigest()


def slug(name: object, prefix: str = "owner") -> str:
    """``"Maple Lake Automotive"`` -> ``"maple-lake-automotive"``, the name's plain stem.

    Deterministic; never empty (``prefix`` when nothing readable is left); at most
    ``MAX_STEM`` characters of ``[a-z0-9-]``, plus ``-`` and ``HASH_CHARS`` hex digits of
    the name's hash for a stem Windows reserves (``CON`` -> ``con-...``). Several names of
    one run may share a plain stem: name their files with :func:`file_stems`.
    """
    normal = _normal(name)
    stem = _plain(normal, prefix)
    if stem.upper() in WINDOWS_RESERVED:
        return f"{stem}-{_digest(normal)[:HASH_CHARS]}"
    return stem


def file_stems(names: Iterable[object], prefix: str = "owner") -> dict[str, str]:
    """Each name's file stem among ``names``: plain where no other name has that slug.

    Names sharing a slug each add ``HASH_CHARS`` hex digits of their hash, more where that
    would still meet another stem (names are taken in sorted order, so the answer depends
    only on the set of names, never on their order).

    Raises
    ------
    DealernetError
        When two different names would still share a stem (their whole hashes agree, which
        never happens).
    """
    texts = sorted({"" if n is None else str(n) for n in names})
    by_stem: dict[str, list[str]] = {}
    for text in texts:
        by_stem.setdefault(slug(text, prefix), []).append(text)
    stems = {group[0]: stem for stem, group in by_stem.items() if len(group) == 1}
    taken = set(stems.values())
    for stem, group in by_stem.items():
        if len(group) > 1:
            for text in group:
                stems[text] = _free(stem, text, taken)
                taken.add(stems[text])
    return stems


def _free(stem: str, text: str, taken: set[str]) -> str:
    """``stem`` and the shortest prefix (from ``HASH_CHARS`` digits) of ``text``'s hash that
    no other name has taken."""
    digest = _digest(text)
    for size in range(HASH_CHARS, len(digest) + 1, 4):
        candidate = f"{stem}-{digest[:size]}"
        if candidate not in taken:
            return candidate
    msg = (
        f"{text!r} and another owner would share the file name {stem!r}, so nothing was "
        "written for either. Rename one of them in the dealer file (and please report this: "
        "it should never happen)."
    )
    raise DealernetError(msg)
