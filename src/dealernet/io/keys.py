"""Site identity: a site is (brand, dealer code), and the loaded network's ids stay unique.

Makers number their dealers independently, and a dealer holding two franchises often has
the same code under both (a Ford and a Lincoln store, one code). So the same code under two
brands is two sites; only a code repeated within one brand is a duplicate (an error). Every
later stage looks sites up by ``dealer_id`` alone, so the loader keeps that column unique:
a code another brand also uses becomes ``<Brand>-<code>`` (``Lincoln-08053``,
``Nissan-08053``), every other id stays as the file gave it, and ``dealer_code`` always holds
the file's code. Ids only change where they would otherwise be ambiguous, so a one-brand
file, or files whose codes never meet, load with exactly their own ids.

Also here: a row whose name names another make and not its own (``Weatherford BMW`` in a
Ford file) is a warning, since a row filed under the wrong make is analysed as that make.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from dealernet.io.validate import (
    FILE,
    LABEL,
    ROW,
    WARNING,
    Problem,
    map_unique,
    problems_at,
)
from dealernet.schema import BRAND, DEALER_CODE, DEALER_ID, NAME, brands_named

#: Shared codes named in a note before "and N more".
_CODES_SHOWN = 5


def qualified_id(brand: str, code: str) -> str:
    """The id of a code another brand also uses (``"Land Rover", "12"`` -> ``"Land-Rover-12"``)."""
    return "-".join([*brand.split(), code])


def site_key_problems(
    frame: pd.DataFrame,
) -> tuple[list[Problem], list[str], np.ndarray, np.ndarray]:
    """Check and settle every site's key, in place.

    Sets ``dealer_code`` to the file's code and makes ``dealer_id`` unique across brands.

    Returns
    -------
    problems
        Exact copies of an earlier row (a warning; the copy is dropped) and codes used twice
        within one brand (an error).
    notes
        One line per set of brands that share codes, saying which ids were qualified.
    copy
        Rows that are exact copies of an earlier row.
    dup
        Rows whose code another, different row of the same brand also uses.
    """
    content = [c for c in frame.columns if not c.startswith("_") and c != DEALER_CODE]
    copy = frame.duplicated(subset=content, keep="first").to_numpy()
    out = problems_at(
        frame,
        copy,
        DEALER_ID,
        "exact duplicate of an earlier row; the copy is ignored",
        "Delete the repeated row",
        severity=WARNING,
    )
    codes = frame[DEALER_ID].fillna("").astype(str).str.strip()
    brands = frame[BRAND].fillna("").astype(str)
    frame[DEALER_CODE] = codes
    within = brands + "\x1f" + codes
    dup = _repeated(within, ~copy & (codes != "").to_numpy())
    out += _duplicate_problems(
        frame,
        dup,
        within,
        "Give every {brand}site its own dealer id (codes need only be unique within a brand)",
    )
    qualify, notes = _shared_codes(codes, brands, ~copy & (codes != "").to_numpy())
    if qualify.any():
        frame.loc[qualify, DEALER_ID] = [
            qualified_id(b, c) for b, c in zip(brands[qualify], codes[qualify], strict=True)
        ]
    out += _case_problems(frame, within, ~copy & ~dup & (codes != "").to_numpy())
    # A qualified id may meet a code a file gave literally ("Nissan-08053"): still one key.
    ids = frame[DEALER_ID].fillna("").astype(str)
    clash = _repeated(ids, ~copy & ~dup & (ids != "").to_numpy())
    out += _duplicate_problems(
        frame, clash, ids, "Give every site its own dealer id (another row's id reads the same)"
    )
    return out, notes, copy, dup | clash


def _case_problems(frame: pd.DataFrame, keys: pd.Series, among: np.ndarray) -> list[Problem]:
    """Ids of one brand that differ only by letter case (``l-1``, ``L-1``): a warning.

    Codes are compared exactly, so both rows stay two sites; but a typed id that differs
    by case from another is more often one store entered twice than two stores.
    """
    folded = keys.str.casefold()
    alike = _repeated(folded, among) & ~_repeated(keys, among)
    if not alike.any():
        return []
    first: dict[str, str] = {}
    for key, file, label, row in zip(
        folded[alike],
        frame.loc[alike, FILE],
        frame.loc[alike, LABEL],
        frame.loc[alike, ROW],
        strict=True,
    ):
        first.setdefault(key, f"{file} {label} {int(row):,}")
    later = alike & folded.duplicated(keep="first").to_numpy()
    out = []
    for p, key in zip(
        problems_at(frame, later, DEALER_ID, "", "", severity=WARNING), folded[later], strict=True
    ):
        out.append(
            dataclasses.replace(
                p,
                message=(
                    "the dealer id differs from another only by letter case (see "
                    f"{first[key]}); both are kept as separate sites"
                ),
                fix="If they are one store, delete the repeated row; else give them ids "
                "that differ by more than case",
            )
        )
    return out


def _repeated(keys: pd.Series, among: np.ndarray) -> np.ndarray:
    """Rows (of ``among``) whose key another row of ``among`` also has."""
    mask = np.zeros(len(keys), dtype=bool)
    picked = keys[among]
    mask[np.flatnonzero(among)[picked.duplicated(keep=False).to_numpy()]] = True
    return mask


def _duplicate_problems(
    frame: pd.DataFrame, dup: np.ndarray, keys: pd.Series, fix: str
) -> list[Problem]:
    """``duplicate dealer id (also at ...)`` for each row of ``dup``, naming the others."""
    if not dup.any():
        return []
    where: dict[str, list[str]] = {}
    picked = frame.loc[dup]
    for key, file, label, row in zip(
        keys[dup], picked[FILE], picked[LABEL], picked[ROW], strict=True
    ):
        where.setdefault(key, []).append(f"{file} {label} {int(row):,}")
    out = []
    problems = problems_at(frame, dup, DEALER_ID, "duplicate dealer id", "")
    for p, key, brand in zip(problems, keys[dup], frame.loc[dup, BRAND], strict=True):
        here = f"{p.file} {p.row_label} {p.row:,}"
        others = [w for w in where[key] if w != here]
        out.append(
            dataclasses.replace(
                p,
                message=f"duplicate dealer id (also at {'; '.join(others[:3])})",
                fix=fix.format(brand=f"{brand} " if brand else ""),
            )
        )
    return out


def _shared_codes(
    codes: pd.Series, brands: pd.Series, among: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """Rows whose code another brand also uses, and a note per set of brands sharing codes."""
    known = among & (brands != "").to_numpy()
    pairs = pd.DataFrame({DEALER_CODE: codes[known], BRAND: brands[known]})
    per_code = (
        pairs.drop_duplicates()
        .groupby(DEALER_CODE, sort=False)[BRAND]
        .agg(lambda b: tuple(sorted(b)))
    )
    shared = per_code[per_code.map(len) > 1]
    qualify = known & codes.isin(set(shared.index)).to_numpy()
    notes = []
    for brand_set, group in shared.groupby(shared, sort=True):
        listed = list(group.index)
        more = f" and {len(listed) - _CODES_SHOWN:,} more" if len(listed) > _CODES_SHOWN else ""
        shown = ", ".join(listed[:_CODES_SHOWN])
        example = " and ".join(repr(qualified_id(b, listed[0])) for b in brand_set)
        count = f"{len(listed):,} dealer code{'s' if len(listed) != 1 else ''}"
        notes.append(
            f"{count} ({shown}{more}) used by both {' and '.join(brand_set)}: makers number "
            f"their dealers separately, so each is {len(brand_set)} sites, with dealer_id "
            f"'<Brand>-<code>' ({example}); dealer_code keeps the file's code"
        )
    return qualify, notes


def other_make_problems(frame: pd.DataFrame) -> list[Problem]:
    """Rows whose name names one or more other makes and not their own (a warning).

    A store named for several makes, its own among them (``Smith Chrysler Dodge Jeep Ram``
    in a Ram file), is fine; a name naming no make at all (``Carwell, LLC``) says nothing.
    """
    named = map_unique(frame[NAME].fillna("").astype(str), lambda n: frozenset(brands_named(n)))
    brands = frame[BRAND]
    others = [
        sorted(n - {b}) if isinstance(b, str) and n and b not in n else []
        for n, b in zip(named, brands, strict=True)
    ]
    flagged = np.array([bool(o) for o in others], dtype=bool)
    out = []
    problems = problems_at(frame, flagged, NAME, "", "", severity=WARNING)
    for p, other, brand in zip(
        problems,
        [o for o in others if o],
        brands[flagged],
        strict=True,
    ):
        makes = ", ".join(other)
        out.append(
            dataclasses.replace(
                p,
                message=f"the name mentions {makes} but not {brand}, the row's brand",
                fix=(
                    f"Check the brand: a row filed under the wrong make is analysed as that "
                    f"make. If this really is a {brand} store trading under another make's "
                    "name, ignore this warning"
                ),
            )
        )
    return out
