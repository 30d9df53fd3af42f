"""Rebuild the real 2015 rosters shipped in ``dealernet/_data/networks`` from the published JSON.

Run ``python -m dealernet.io.bundled ROSTER_FOLDER [--out DIR]``, where ``ROSTER_FOLDER``
holds the makers' dealer-locator rosters as published (``infiniti.json``, ``nissan.json``,
``acura.json``, ... ``volvo.json``, schema.org ``AutoDealer`` records) and their MIT
``LICENSE.txt``. It writes ``real-2015/{infiniti,nissan}.csv`` (the network the analysis
folds) and ``competitors-2015/<brand>.csv`` (the competing luxury stores of the market
model), each folder with a copy of the licence, which must travel with every copy.

Every record becomes one CSV row with the published text unchanged: the JSON is read by
:mod:`dealernet.io.json_rosters`, the same reader ``dealernet run`` uses on such a file, and
the key paths below pick the columns. Two things are settled here, and printed:

- a record without coordinates (none given, not numbers, or the ``0, 0`` placeholder some
  locators write for "not known") is left out: a shipped roster holds only positions its
  maker published, nothing placed by us;
- a dealer code a brand uses twice (BMW files a main store and a satellite under one code)
  names two sites when the two rooftops differ: the later one's id gets ``-2`` (``-3``...,
  in file order); a repeat at the same street address and ZIP is the same rooftop listed
  twice, and only the first is kept.

The bytes are reproducible: rows in published order, every cell as text, UTF-8 with ``\\n``
line ends, so rebuilding from the same JSON leaves ``git status`` clean. Every file is read
and converted before the first is written, and each is written atomically.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dealernet._atomic import atomic_open, write_csv
from dealernet._errors import DealernetError, InputFileError
from dealernet.io.json_rosters import RosterError, parse_roster
from dealernet.io.text_files import decode
from dealernet.schema import (
    ADDRESS,
    BRAND,
    CITY,
    DEALER_ID,
    LATITUDE,
    LONGITUDE,
    NAME,
    PHONE,
    STATE,
    WEBSITE,
    ZIP,
    brand_in_filename,
)
from dealernet.settings import NETWORKS_DIR, REAL_2015

#: The shipped competitor folder's name (beside ``real-2015``).
COMPETITORS_2015 = "competitors-2015"

#: Shipped folder -> the roster files (JSON stems) it is made from, in writing order.
ROSTER_SETS: dict[str, tuple[str, ...]] = {
    REAL_2015: ("infiniti", "nissan"),
    COMPETITORS_2015: (
        "acura",
        "audi",
        "bmw",
        "cadillac",
        "lexus",
        "lincoln",
        "mercedes-benz",
        "volvo",
    ),
}

#: Columns of a shipped roster, in order, and the JSON key path each comes from (the brand
#: comes from the file name).
CSV_COLUMNS: tuple[str, ...] = (
    DEALER_ID,
    NAME,
    BRAND,
    ADDRESS,
    CITY,
    STATE,
    ZIP,
    LATITUDE,
    LONGITUDE,
    WEBSITE,
    PHONE,
)
KEY_PATHS: dict[str, str] = {
    DEALER_ID: "id",
    NAME: "name",
    ADDRESS: "address.streetAddress",
    CITY: "address.addressLocality",
    STATE: "address.addressRegion",
    ZIP: "address.postalCode",
    LATITUDE: "geo.latitude",
    LONGITUDE: "geo.longitude",
    WEBSITE: "url",
    PHONE: "telephone",
}

#: The licence file of the roster folder (the first found), copied as ``LICENSE``.
LICENCE_NAMES: tuple[str, ...] = ("LICENSE.txt", "LICENSE", "LICENSE.md")
LICENCE_COPY = "LICENSE"


@dataclass
class Converted:
    """One roster as shipped, and what the conversion left out or renamed.

    Attributes
    ----------
    stem
        The roster's name (``"bmw"``); the CSV is ``<stem>.csv``.
    table
        The rows to write, :data:`CSV_COLUMNS`, every cell text.
    records
        Records in the published JSON.
    no_coordinates
        Dealer codes of the records left out for want of coordinates.
    same_rooftop
        Dealer codes of records left out as a second listing of the same rooftop.
    renamed
        ``(code, id)`` for each later rooftop of a repeated code given its own id.
    """

    stem: str
    table: pd.DataFrame
    records: int
    no_coordinates: list[str] = field(default_factory=list)
    same_rooftop: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)

    def line(self) -> str:
        """``bmw.csv: 360 stores of 360 records; 22 ids made unique (46786-2, ...)``."""
        text = f"{self.stem}.csv: {len(self.table):,} stores of {self.records:,} records"
        if self.no_coordinates:
            text += (
                f"; {len(self.no_coordinates):,} without coordinates left out "
                f"({', '.join(self.no_coordinates)})"
            )
        if self.same_rooftop:
            text += (
                f"; {len(self.same_rooftop):,} repeated listings of one rooftop left out "
                f"({', '.join(self.same_rooftop)})"
            )
        if self.renamed:
            shown = ", ".join(new for _code, new in self.renamed)
            text += f"; {len(self.renamed):,} codes shared by two rooftops, later ids {shown}"
        return text


def read_roster(path: Path) -> pd.DataFrame:
    """A published roster as a text frame with dotted key-path headers.

    Raises
    ------
    InputFileError
        When the file is missing, unreadable, or not a JSON list of dealers.
    """
    try:
        text, _encoding = decode(path.read_bytes())
    except FileNotFoundError as exc:
        msg = f"{path}: no such roster file. Fix: put the published {path.name} in that folder."
        raise InputFileError(msg) from exc
    except OSError as exc:
        msg = f"{path}: cannot be read ({exc.strerror or exc}). Fix: check the file."
        raise InputFileError(msg) from exc
    try:
        roster = parse_roster(text)
    except RosterError as exc:
        msg = f"{path}: {exc.message}. Fix: {exc.fix}."
        raise InputFileError(msg) from exc
    if roster is None:
        msg = f"{path}: is GeoJSON, not a dealer-locator roster. Fix: use the published roster."
        raise InputFileError(msg)
    return roster.frame


def convert(frame: pd.DataFrame, stem: str) -> Converted:
    """A roster's records as shipped rows: the columns picked, placeless records left out,
    repeated codes settled (see the module notes)."""
    brand = brand_in_filename(stem)
    if brand is None:  # pragma: no cover - ROSTER_SETS names only known brands
        msg = f"{stem}: the file name names no brand dealernet knows"
        raise InputFileError(msg)
    table = pd.DataFrame(
        {c: frame[KEY_PATHS[c]] if KEY_PATHS.get(c) in frame else "" for c in KEY_PATHS},
        dtype=object,
    )
    table[BRAND] = brand
    table = table.loc[:, list(CSV_COLUMNS)].fillna("").astype(str)
    out = Converted(stem, table, len(frame))
    placed = [
        _has_coordinates(a, o) for a, o in zip(table[LATITUDE], table[LONGITUDE], strict=True)
    ]
    out.no_coordinates = list(table.loc[[not p for p in placed], DEALER_ID])
    table = table.loc[placed]
    table, out.same_rooftop, out.renamed = _unique_ids(table)
    out.table = table.reset_index(drop=True)
    return out


def _has_coordinates(lat: str, lon: str) -> bool:
    """Both given as finite numbers, and not the ``0, 0`` placeholder for "not known"."""
    try:
        a, o = float(lat), float(lon)
    except ValueError:
        return False
    return math.isfinite(a) and math.isfinite(o) and not (a == 0 and o == 0)


def _rooftop(row: pd.Series) -> str:
    """Street address and 5-digit ZIP, letters and digits only (the coordinates when no
    street is given): one key per rooftop."""
    street = re.sub(r"[\W_]+", "", str(row[ADDRESS]).casefold())
    if not street:
        return f"@{row[LATITUDE]},{row[LONGITUDE]}"
    return f"{street}|{str(row[ZIP]).strip()[:5]}"


def _unique_ids(table: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[tuple[str, str]]]:
    """Drop second listings of one rooftop; give later rooftops of a code ``<code>-2``...

    Returns the table, the codes of the listings dropped, and ``(code, new id)`` pairs.
    """
    taken = set(table[DEALER_ID])
    seen: dict[str, list[str]] = {}
    keep: list[bool] = []
    ids: list[str] = []
    dropped: list[str] = []
    renamed: list[tuple[str, str]] = []
    for _, row in table.iterrows():
        code, rooftop = str(row[DEALER_ID]), _rooftop(row)
        roofs = seen.setdefault(code, [])
        if rooftop in roofs:
            keep.append(False)
            ids.append(code)
            dropped.append(code)
            continue
        roofs.append(rooftop)
        new = code
        if len(roofs) > 1:
            n = len(roofs)
            while (new := f"{code}-{n}") in taken:
                n += 1
            taken.add(new)
            renamed.append((code, new))
        keep.append(True)
        ids.append(new)
    table = table.assign(**{DEALER_ID: ids}).loc[keep]
    return table, dropped, renamed


def licence(folder: Path) -> Path:
    """The roster folder's licence file; the rosters may not be copied without it."""
    for name in LICENCE_NAMES:
        if (folder / name).is_file():
            return folder / name
    msg = (
        f"{folder}: no licence file ({' or '.join(LICENCE_NAMES)}). The rosters are MIT "
        "licensed and the notice must ship with every copy. Fix: put the published "
        "LICENSE.txt beside the JSON files."
    )
    raise InputFileError(msg)


def convert_folder(folder: str | Path) -> dict[str, list[Converted]]:
    """Read and convert every roster of :data:`ROSTER_SETS` from ``folder`` (nothing written).

    Raises
    ------
    InputFileError
        When the folder, its licence or any roster is missing or unreadable, naming all the
        missing files at once.
    """
    folder = Path(folder)
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "no such folder"
        msg = (
            f"{folder}: {what}. Fix: pass the folder holding the published rosters "
            f"({', '.join(s + '.json' for stems in ROSTER_SETS.values() for s in stems)})."
        )
        raise InputFileError(msg)
    licence(folder)
    wanted = [s for stems in ROSTER_SETS.values() for s in stems]
    missing = [f"{s}.json" for s in wanted if not (folder / f"{s}.json").is_file()]
    if missing:
        msg = (
            f"{folder}: missing {len(missing)} roster file{'s' if len(missing) != 1 else ''}: "
            f"{', '.join(missing)}. Fix: put every published roster in the folder."
        )
        raise InputFileError(msg)
    out: dict[str, list[Converted]] = {}
    for name, stems in ROSTER_SETS.items():
        out[name] = []
        for stem in stems:
            done = convert(read_roster(folder / f"{stem}.json"), stem)
            _check_required(done, folder / f"{stem}.json")
            out[name].append(done)
    return out


def _check_required(done: Converted, path: Path) -> None:
    """Every shipped row needs a code and a name, or the loader would refuse the file."""
    blank = done.table[(done.table[DEALER_ID].str.strip() == "") | (done.table[NAME] == "")]
    if len(blank):
        msg = (
            f"{path}: {len(blank):,} record(s) without an id or a name (rows "
            f"{', '.join(str(i + 1) for i in blank.index[:5])}). Fix: use the published roster."
        )
        raise InputFileError(msg)


def rebuild(folder: str | Path, out: str | Path = NETWORKS_DIR) -> dict[str, list[Converted]]:
    """Convert the rosters in ``folder`` and write them, with the licence, under ``out``.

    Writes ``out/real-2015/*.csv`` and ``out/competitors-2015/*.csv``, and a ``LICENSE``
    copy in each. Returns what was written, per folder.
    """
    converted = convert_folder(folder)
    notice = licence(Path(folder)).read_bytes()
    for name, rosters in converted.items():
        target = Path(out) / name
        for roster in rosters:
            write_csv(roster.table, target / f"{roster.stem}.csv")
        with atomic_open(target / LICENCE_COPY, "wb") as handle:
            handle.write(notice)
    return converted


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: ``python -m dealernet.io.bundled ROSTER_FOLDER [--out DIR]``."""
    parser = argparse.ArgumentParser(
        prog="python -m dealernet.io.bundled",
        description="Rebuild the shipped real 2015 rosters (Infiniti, Nissan and the eight "
        "competing luxury brands) from the published dealer-locator JSON.",
    )
    parser.add_argument("folder", type=Path, metavar="ROSTER_FOLDER", help="the JSON rosters")
    parser.add_argument(
        "--out",
        type=Path,
        default=NETWORKS_DIR,
        metavar="DIR",
        help=f"where real-2015/ and {COMPETITORS_2015}/ go (default: {NETWORKS_DIR})",
    )
    args = parser.parse_args(argv)
    try:
        converted = rebuild(args.folder, args.out)
    except DealernetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for name, rosters in converted.items():
        total = sum(len(r.table) for r in rosters)
        print(f"{args.out / name}: {total:,} stores in {len(rosters)} files, and {LICENCE_COPY}")
        for roster in rosters:
            print(f"  {roster.line()}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
