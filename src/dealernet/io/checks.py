"""Loading checks for faults that parse cleanly but change results without a word.

Two columns for one field (``lat`` and ``latitude`` five degrees apart), control
characters inside cells (a NUL that reaches every page), and a state that disagrees with
the coordinates (``CA`` on a Dallas store, which ``query --state TX`` would then miss) all
load silently unless checked; each check here says where, what and how to fix it.

The state a site is analysed in is the state its coordinates lie in: that is the state of
its county, of the regional and ``--state`` queries, and of the maps, so a file's state
column that disagrees is overruled, with a warning naming both. A state that names no US
state, DC or territory is an error (it is a typo or a foreign address, never a guess).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from dealernet.geo.boundaries import in_states, in_us, state_at
from dealernet.io.tables import RawTable
from dealernet.io.validate import ERROR, WARNING, Problem, map_unique, problems_at
from dealernet.schema import (
    CONTACT_COLUMNS,
    LATITUDE,
    LONGITUDE,
    NUMERIC_COLUMNS,
    STATE,
    TEXT_COLUMNS,
    canonical_column,
    normalise_state,
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_NAMES = {"\x00": "NUL", "\x1b": "ESC", "\x7f": "DEL", "\x08": "backspace"}


def duplicate_column_problems(table: RawTable) -> list[Problem]:
    """Two headers naming the same field: an error where their values differ, else a warning.

    Only whole-header spellings count (``lat`` and ``latitude``, two ``name`` columns); a
    flattened ``brand.name`` beside ``name`` is a different field and is left alone.
    """
    frame = table.frame
    copies: dict[str, str] = frame.attrs.get("header_copies", {})
    groups: dict[str, list[str]] = {}
    for header in frame.columns:
        column = canonical_column(copies.get(str(header), str(header)), nested=False)
        if column is not None:
            groups.setdefault(column, []).append(str(header))
    position = {str(h): i + 1 for i, h in enumerate(frame.columns)}
    out = []
    for column, headers in groups.items():
        first = headers[0]
        for other in headers[1:]:
            named = (
                f"columns {copies.get(first, first)!r} (column {position[first]}) and "
                f"{copies.get(other, other)!r} (column {position[other]})"
            )
            differ = _differ(
                frame[first], frame[other], column in (LATITUDE, LONGITUDE, *NUMERIC_COLUMNS)
            )
            if differ.any():
                at = int(np.flatnonzero(differ)[0])
                example = (
                    f"{table.row_label} {int(table.rows[at]):,}: "
                    f"{str(frame[first].iloc[at])!r} and {str(frame[other].iloc[at])!r}"
                )
                out.append(
                    Problem(
                        ERROR,
                        table.where,
                        None,
                        None,
                        None,
                        f"{named} both give {column} and disagree on {int(differ.sum()):,} "
                        f"row{'s' if differ.sum() != 1 else ''} (first at {example})",
                        f"Delete or rename one of them, so it is clear which to use "
                        f"(dealernet would read {copies.get(first, first)!r})",
                    )
                )
            else:
                out.append(
                    Problem(
                        WARNING,
                        table.where,
                        None,
                        None,
                        None,
                        f"{named} both give {column}; they agree on every row, so "
                        f"{copies.get(first, first)!r} is used",
                        "Delete one of them",
                    )
                )
    return out


def _differ(a: pd.Series, b: pd.Series, numeric: bool) -> np.ndarray:
    """Rows where two columns' cells differ (numbers compared as numbers: 32.1 == 32.10)."""
    left = a.fillna("").astype(str).str.strip()
    right = b.fillna("").astype(str).str.strip()
    differ = (left != right).to_numpy().copy()
    if numeric and differ.any():
        x = pd.to_numeric(left, errors="coerce").to_numpy(dtype="float64")
        y = pd.to_numeric(right, errors="coerce").to_numpy(dtype="float64")
        differ &= ~np.isclose(x, y, rtol=0, atol=1e-9)
    return differ


def control_problems(frame: pd.DataFrame) -> tuple[list[Problem], np.ndarray]:
    """Cells holding control characters other than tab and line breaks (NUL, ESC): errors.

    They come from binary data pasted into a file or a damaged export, and would reach
    every page and table (an ESC sequence recolours a terminal), so the row is refused.
    """
    bad = np.zeros(len(frame), dtype=bool)
    out: list[Problem] = []
    for column in TEXT_COLUMNS + CONTACT_COLUMNS:
        values = frame[column].fillna("").astype(str)
        if not _CONTROL.search("".join(values.to_numpy())):
            continue  # one C-speed pass over the column clears the usual case
        found = values.map(_CONTROL.search)
        hit = found.notna().to_numpy()
        for p, match in zip(problems_at(frame, hit, column, "", ""), found[hit], strict=True):
            char = match.group(0)
            name = _CONTROL_NAMES.get(char, "control character")
            out.append(
                Problem(
                    ERROR,
                    p.file,
                    p.row,
                    p.column,
                    p.value,
                    f"the cell holds the control character {name} (0x{ord(char):02X}) at "
                    f"character {match.start() + 1}",
                    "Delete the control characters from the cell; the file may be damaged, or "
                    "binary data was pasted into it (export it again)",
                    p.row_label,
                )
            )
        bad |= hit
    return out, bad


def state_problems(frame: pd.DataFrame, bad: np.ndarray) -> tuple[list[Problem], np.ndarray]:
    """Normalise states, fill missing ones from the coordinates, check both agree.

    Sets ``state`` in place to the coordinates' state wherever they lie in one, and returns
    the problems and the rows with an error (an unknown state, a longitude whose sign
    puts a US store in Asia).
    """
    raw = frame[STATE].fillna("").astype(str).str.strip()
    given = map_unique(raw, lambda v: normalise_state(v) or "").to_numpy(dtype=object)
    unknown = (raw != "").to_numpy() & (given == "")
    out = problems_at(
        frame,
        unknown,
        STATE,
        "not a US state",
        "Write a state, DC or territory code (TX) or name (Texas), or leave the cell "
        "empty to take the state from the coordinates",
        values=raw,
    )
    placed = ~bad & ~unknown & frame[LATITUDE].notna().to_numpy()
    lat = frame[LATITUDE].to_numpy(dtype="float64")
    lon = frame[LONGITUDE].to_numpy(dtype="float64")
    found = given.copy()
    fill = placed & (given == "")
    if fill.any():
        found[fill] = state_at(lat[fill], lon[fill])
    claimed = np.flatnonzero(placed & (given != ""))
    if claimed.size:
        outside = claimed[~in_states(lat[claimed], lon[claimed], given[claimed])]
        actual = state_at(lat[outside], lon[outside]) if outside.size else np.array([])
        wrong = outside[actual != ""]
        found[wrong] = actual[actual != ""]
        out += _mismatches(frame, wrong, raw, found, lat, lon)
    frame[STATE] = np.where(unknown, raw.to_numpy(dtype=object), found)
    problems, flipped = _abroad(frame, placed, lat, lon)
    return out + problems, unknown | flipped


def _mismatches(
    frame: pd.DataFrame,
    rows: np.ndarray,
    raw: pd.Series,
    found: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
) -> list[Problem]:
    """A warning per row whose state column disagrees with its coordinates."""
    mask = np.zeros(len(frame), dtype=bool)
    mask[rows] = True
    out = []
    for p, i in zip(problems_at(frame, mask, STATE, "", "", severity=WARNING), rows, strict=True):
        out.append(
            Problem(
                WARNING,
                p.file,
                p.row,
                p.column,
                p.value,
                f"the state is {raw.iloc[i]!r} but the coordinates ({lat[i]:.5f}, "
                f"{lon[i]:.5f}) lie in {found[i]}; the analysis uses {found[i]}, the state "
                "of the county and of --state and regional queries",
                f"Correct the state to {found[i]}, or the coordinates if they are the mistake",
                p.row_label,
            )
        )
    return out


def _abroad(
    frame: pd.DataFrame, placed: np.ndarray, lat: np.ndarray, lon: np.ndarray
) -> tuple[list[Problem], np.ndarray]:
    """Sites outside the 50 states and DC: a warning, or an error for a lost minus sign."""
    abroad = placed.copy()
    abroad[placed] = ~in_us(lat[placed], lon[placed])
    flipped = np.zeros(len(frame), dtype=bool)
    if not abroad.any():
        return [], flipped
    values = pd.Series("", index=frame.index, dtype=object)
    values[abroad] = [f"{a:.5f}, {o:.5f}" for a, o in zip(lat[abroad], lon[abroad], strict=True)]
    east = abroad & (lon > 0)
    if east.any():
        flipped[east] = in_us(lat[east], -lon[east])
    out = problems_at(
        frame,
        flipped,
        LONGITUDE,
        "the longitude is positive (east of Greenwich, in Asia), but with a minus sign the "
        "site lies in the United States",
        "US longitudes are negative: add the minus sign (for example -96.8, not 96.8)",
        values=values,
    )
    out += problems_at(
        frame,
        abroad & ~east,
        LATITUDE,
        "the site is outside the 50 states and DC",
        "Check the coordinates; sites abroad or in territories are kept but flagged",
        severity=WARNING,
        values=values,
    )
    out += problems_at(
        frame,
        east & ~flipped,
        LONGITUDE,
        "the site is outside the 50 states and DC (longitude is positive, east of Greenwich)",
        "US longitudes are negative: add the minus sign (for example -96.8, not 96.8)",
        severity=WARNING,
        values=values,
    )
    return out, flipped
