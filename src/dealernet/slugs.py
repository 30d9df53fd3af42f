"""Safe, stable, unique file names built from names in input files.

An owner called ``../../etc/passwd``, ``CON`` or ``A/B`` must still get a harmless file name
inside the output folder. A slug keeps only lower-case ASCII letters, digits and hyphens
(so no path separators, dots or reserved device names survive on their own) and ends with a
short hash of the full name: two owners whose names differ only in punctuation or case
still get different files, and an owner's file name never depends on who else is in the run.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

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
