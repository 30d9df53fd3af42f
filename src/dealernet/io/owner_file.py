"""Owners files: a user's own list of which group owns which store, winning over inference.

Inferred owners (:mod:`dealernet.io.owners`) are a guess with evidence; the person who knows
the dealers confirms or corrects them with a small table, ``dealer_id`` -> ``owner_group``
(and ``brand`` where one code is used by two makes), as CSV or XLSX. Its rows are the owners
of record: ``owner_source`` "file", never changed by inference. Every problem in the file is
reported at once, with the line to look at and what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from dealernet._errors import InputFileError, InvalidInputError
from dealernet.io.readers import RawTable, _kind, read_table
from dealernet.schema import (
    BRAND,
    DEALER_CODE,
    DEALER_ID,
    OWNER_EVIDENCE,
    OWNER_FROM_FILE,
    OWNER_GROUP,
    OWNER_PARTNER,
    OWNER_SOURCE,
    accepted_spellings,
    canonical_column,
    normalise_brand,
)

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

#: An owners file read: dealer id, or (brand, dealer id), -> owner group.
OwnerMapping = Mapping[str | tuple[str, str], str]

OWNER_FILE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
_FIX = (
    "An owners file is a CSV or XLSX table with a header row and one store per row: "
    "dealer_id, owner_group (and brand, where two makes use one dealer code)."
)
#: Problems listed in one error message; the rest are counted.
_SHOWN = 20


def load_owner_file(path: str | Path) -> dict[str | tuple[str, str], str]:
    """Read an owners file into ``dealer id -> group`` (``(brand, id) -> group`` on rows
    that name a brand).

    Raises
    ------
    InputFileError
        The file is missing, unreadable or of another kind.
    InvalidInputError
        A column is missing, or rows lack an id or a group, name an unknown brand, or give
        one store two groups; the message lists each line and the fix.
    """
    path = Path(path)
    if not path.is_file() and path.exists():  # a FIFO would block the read, /dev/zero never ends
        msg = (
            f"{path}: is not a regular file ({_kind(path)}); dealernet reads owners only from "
            f"files. Fix: save the owners to a .csv or .xlsx file and give its path. {_FIX}"
        )
        raise InputFileError(msg)
    if not path.is_file():
        msg = f"{path}: no such owners file. {_FIX}"
        raise InputFileError(msg)
    if path.suffix.lower() not in OWNER_FILE_SUFFIXES:
        msg = f"{path}: an owners file must be {', '.join(OWNER_FILE_SUFFIXES)}. {_FIX}"
        raise InputFileError(msg)
    tables = read_table(path)
    for problem in (p for t in tables for p in t.problems if p.severity == "error"):
        msg = f"{problem.file}: {problem.message}. {_FIX}"
        raise InputFileError(msg)
    table = next((t for t in tables if None not in _columns(t.frame)[:2]), tables[0])
    id_col, group_col, brand_col = _columns(table.frame)
    if id_col is None or group_col is None:
        missing = [c for c, h in ((DEALER_ID, id_col), (OWNER_GROUP, group_col)) if h is None]
        found = ", ".join(repr(str(h)) for h in table.frame.columns) or "none"
        hints = "; ".join(f"{c}: {accepted_spellings(c)}" for c in missing)
        msg = (
            f"{table.where}: the owners file has no {' and no '.join(missing)} column "
            f"(headers found: {found}). Name the columns as one of: {hints}. {_FIX}"
        )
        raise InvalidInputError(msg)
    return _mapping(table, id_col, group_col, brand_col)


def _columns(frame: pd.DataFrame) -> tuple[str | None, str | None, str | None]:
    """The file's headers for the dealer id, the owner group and the (optional) brand."""
    found: dict[str, str] = {}
    for header in frame.columns:
        column = canonical_column(header)
        if column in (DEALER_ID, OWNER_GROUP, BRAND) and column not in found:
            found[column] = str(header)
    return found.get(DEALER_ID), found.get(OWNER_GROUP), found.get(BRAND)


def _mapping(
    table: RawTable, id_col: str, group_col: str, brand_col: str | None
) -> dict[str | tuple[str, str], str]:
    """Check every row; one error listing every problem, or the mapping."""
    frame, label = table.frame, table.row_label
    mapping: dict[str | tuple[str, str], str] = {}
    first_line: dict[str | tuple[str, str], int] = {}
    problems: list[str] = []
    brands = frame[brand_col] if brand_col else pd.Series("", index=frame.index)
    for line, dealer, group, brand in zip(
        table.rows, frame[id_col], frame[group_col], brands, strict=True
    ):
        dealer, group, brand = str(dealer).strip(), " ".join(str(group).split()), str(brand).strip()
        if not (dealer or group):
            continue
        at = f"{label} {line}"
        if not dealer:
            problems.append(f"{at}: owner {group!r} has no dealer id; add the store's dealer id")
            continue
        if not group:
            problems.append(
                f"{at}: dealer {dealer!r} has no owner group; give its group, or delete the line"
            )
            continue
        key: str | tuple[str, str] = dealer
        if brand:
            spelt = normalise_brand(brand)
            if spelt is None:
                problems.append(f"{at}: unknown brand {brand!r}; write a make such as Infiniti")
                continue
            key = (spelt, dealer)
        if key in mapping and mapping[key] != group:
            problems.append(
                f"{at}: dealer {dealer!r} is given to {group!r} here and to {mapping[key]!r} "
                f"on {label} {first_line[key]}; keep one"
            )
            continue
        mapping[key] = group
        first_line.setdefault(key, int(line))
    if problems:
        shown = "\n  ".join(problems[:_SHOWN])
        more = f"\n  ... and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else ""
        msg = f"{table.where}: {len(problems)} problem(s) in the owners file:\n  {shown}{more}"
        raise InvalidInputError(msg)
    if not mapping:
        msg = f"{table.where}: the owners file has no rows. {_FIX}"
        raise InvalidInputError(msg)
    return mapping


# --- applying -----------------------------------------------------------------------------


def _codes(network: pd.DataFrame) -> pd.Series:
    """Each store's dealer code as the file gave it (the id when no code is kept)."""
    if DEALER_CODE in network:
        return network[DEALER_CODE].where(network[DEALER_CODE].notna(), network[DEALER_ID])
    return network[DEALER_ID]


def _matches(network: pd.DataFrame, key: str | tuple[str, str]) -> pd.Series:
    ids, codes = network[DEALER_ID].astype(str), _codes(network).astype(str)
    if isinstance(key, tuple):
        brand, dealer = key
        return (network[BRAND] == brand) & ((codes == dealer) | (ids == dealer))
    return (codes == key) | (ids == key)


def unmatched_owner_ids(network: pd.DataFrame, mapping: OwnerMapping) -> list[str]:
    """The owners file's dealer ids that match no store (a typo, or another network's)."""
    return [_label(k) for k in mapping if not _matches(network, k).any()]


def _label(key: str | tuple[str, str]) -> str:
    return f"{key[0]} {key[1]}" if isinstance(key, tuple) else key


def apply_owner_file(
    network: gpd.GeoDataFrame, mapping: OwnerMapping, *, source: str = "owners file"
) -> gpd.GeoDataFrame:
    """A copy of the network with the owners file's groups: ``owner_source`` "file".

    Raises
    ------
    InvalidInputError
        No id of the file is in the network (the wrong file), or an id without a brand
        names stores of two makes (the file needs a brand column).
    """
    out = network.copy()
    for column in (OWNER_SOURCE, OWNER_EVIDENCE, OWNER_PARTNER):
        if column not in out:
            out[column] = pd.Series(None, index=out.index, dtype=object)
    hits = {k: _matches(out, k) for k in mapping}
    if mapping and not any(m.any() for m in hits.values()):
        sample = ", ".join(repr(_label(k)) for k in list(mapping)[:3])
        msg = (
            f"{source}: none of its {len(mapping):,} dealer ids ({sample}, ...) is a store in "
            "the dealer files. Check that it lists these dealers, by the dealer codes the "
            "files use."
        )
        raise InvalidInputError(msg)
    for key, hit in hits.items():
        makes = sorted(set(out.loc[hit, BRAND].astype(str)))
        if len(makes) > 1:
            msg = (
                f"{source}: dealer id {_label(key)!r} is a store of {' and '.join(makes)}; add "
                "a brand column to the owners file to say which."
            )
            raise InvalidInputError(msg)
        out.loc[hit, OWNER_GROUP] = mapping[key]
        out.loc[hit, OWNER_SOURCE] = OWNER_FROM_FILE
        out.loc[hit, OWNER_EVIDENCE] = source
        out.loc[hit, OWNER_PARTNER] = None
    return out
