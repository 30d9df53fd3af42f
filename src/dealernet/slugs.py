"""Safe, stable, unique file names built from names in input files.

An owner called ``../../etc/passwd``, ``CON`` or ``A/B`` must still get a harmless file name
inside the output folder. A slug keeps only lower-case ASCII letters, digits and hyphens
(so no path separators, dots or reserved device names survive on their own) and ends with a
short hash of the full name: two owners whose names differ only in punctuation ("A/B
Motors", "A-B Motors") still get different files, and an owner's file name never depends on
who else is in the run. Names that differ only in case or spacing are one owner, written one
way by the loader (:mod:`dealernet.io.owner_names`), so they share one file by design;
:func:`check_unique` refuses the one remaining way two owners could meet in one file.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

from dealernet._errors import DealernetError

_NOT_SAFE = re.compile(r"[^a-z0-9]+")
#: Characters of readable name kept before the hash.
MAX_STEM = 40
HASH_CHARS = 8


def slug(name: object, prefix: str = "owner") -> str:
    """``"Lone Star Auto Group"`` -> ``"lone-star-auto-group-1a2b3c4d"``.

    Deterministic for a given name; never empty; at most ``MAX_STEM + HASH_CHARS + 1``
    characters; only ``[a-z0-9-]``.
    """
    text = "" if name is None else str(name)
    normal = " ".join(text.split())
    ascii_text = unicodedata.normalize("NFKD", normal).encode("ascii", "ignore").decode()
    stem = _NOT_SAFE.sub("-", ascii_text.lower()).strip("-")[:MAX_STEM].strip("-") or prefix
    digest = hashlib.sha256(normal.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]
    return f"{stem}-{digest}"


def check_unique(names: Iterable[object], prefix: str = "owner") -> dict[str, str]:
    """Each name's slug, after making sure no two names share one (so no two owners' reports
    can ever be one file). A clash (two different names, one 32-bit hash) raises rather than
    letting one report overwrite another.

    Raises
    ------
    DealernetError
        When two different names have the same slug.
    """
    seen: dict[str, str] = {}
    for name in names:
        text = "" if name is None else str(name)
        stem = slug(text, prefix)
        other = seen.setdefault(stem, text)
        if other != text:
            msg = (
                f"{other!r} and {text!r} would share the file name {stem!r}, so nothing was "
                "written for either. Rename one of them in the dealer file (and please report "
                "this: it should never happen)."
            )
            raise DealernetError(msg)
    return {v: k for k, v in seen.items()}
