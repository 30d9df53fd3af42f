"""The competing luxury stores: the shipped 2015 rosters, your files, and their rebuild.

Counts and ids are checked against the published JSON read with the :mod:`json` module
(``../shared/data/dealers-2015``, when the checkout has it) or the shipped CSVs read with the
:mod:`csv` module, never against what dealernet itself computed.
"""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from dealernet._errors import InputFileError, InvalidInputError
from dealernet.io import bundled
from dealernet.io.competitors import competitor_brands, load_competitors
from dealernet.schema import BRAND, DEALER_CODE, DEALER_ID, LATITUDE, LONGITUDE, NAME, STATE
from helpers import PACKAGE_DATA, REAL_2015, ROOT

SHIPPED = PACKAGE_DATA / "networks" / "competitors-2015"
#: The published rosters, beside the checkout (not shipped with the package).
ROSTERS = ROOT.parent / "shared" / "data" / "dealers-2015"
needs_rosters = pytest.mark.skipif(
    not ROSTERS.is_dir(), reason="the published rosters (../shared/data/dealers-2015) are absent"
)
#: JSON stem -> the brand as dealernet spells it.
BRANDS = {
    "acura": "Acura",
    "audi": "Audi",
    "bmw": "BMW",
    "cadillac": "Cadillac",
    "lexus": "Lexus",
    "lincoln": "Lincoln",
    "mercedes-benz": "Mercedes-Benz",
    "volvo": "Volvo",
}
LINCOLN_JSON = ROOT / "tests" / "data" / "rosters" / "lincoln.json"


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def published(stem: str) -> list[dict]:
    return json.loads((ROSTERS / f"{stem}.json").read_text(encoding="utf-8"))


def placed(record: dict) -> bool:
    """A published record with coordinates: two numbers, not the 0, 0 placeholder."""
    geo = record.get("geo") or {}
    try:
        lat, lon = float(geo.get("latitude")), float(geo.get("longitude"))
    except (TypeError, ValueError):
        return False
    return math.isfinite(lat) and math.isfinite(lon) and (lat, lon) != (0.0, 0.0)


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    return load_competitors(exclude_brands=("Infiniti", "Nissan"))


# --- the shipped rosters ------------------------------------------------------------------


@needs_rosters
def test_shipped_counts_per_brand_equal_the_published_records_with_coordinates(
    shipped: pd.DataFrame,
) -> None:
    want = {brand: sum(map(placed, published(stem))) for stem, brand in BRANDS.items()}
    in_files = {BRANDS[p.stem]: len(csv_rows(p)) for p in SHIPPED.glob("*.csv")}
    assert in_files == want
    assert shipped[BRAND].value_counts().to_dict() == want
    assert sum(want.values()) < sum(len(published(s)) for s in BRANDS)  # some were left out


def test_the_readme_states_the_shipped_counts() -> None:
    text = (SHIPPED / "README.md").read_text(encoding="utf-8")
    stated = {
        m[1]: int(m[2].replace(",", ""))
        for m in re.finditer(r"^\| `([\w-]+)\.csv` \| [\w-]+ \| ([\d,]+) \|", text, re.M)
    }
    counted = {p.stem: len(csv_rows(p)) for p in SHIPPED.glob("*.csv")}
    assert stated == counted
    total = re.search(r"\*\*all\*\* \| 8 brands \| \*\*([\d,]+)\*\*", text)
    assert total is not None
    assert int(total[1].replace(",", "")) == sum(counted.values())
    assert "2015" in text and "ten years old" in text and "Huff" in text


def test_the_licence_ships_beside_the_rosters() -> None:
    notice = (SHIPPED / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in notice and "Copyright (c) 2015 Simon Wenmouth" in notice
    assert (SHIPPED / "LICENSE").read_bytes() == (REAL_2015 / "LICENSE").read_bytes()


@needs_rosters
def test_the_licence_is_the_published_one() -> None:
    assert (SHIPPED / "LICENSE").read_bytes() == (ROSTERS / "LICENSE.txt").read_bytes()


def test_shipped_files_have_the_real_2015_columns_and_unique_ids() -> None:
    with (REAL_2015 / "infiniti.csv").open(encoding="utf-8") as handle:
        header = handle.readline()
    assert sorted(p.stem for p in SHIPPED.glob("*.csv")) == sorted(BRANDS)
    for path in SHIPPED.glob("*.csv"):
        assert path.read_text(encoding="utf-8").partition("\n")[0] + "\n" == header
        rows = csv_rows(path)
        assert {r[BRAND] for r in rows} == {BRANDS[path.stem]}
        ids = [r[DEALER_ID] for r in rows]
        assert len(set(ids)) == len(ids), path.name
        assert all(r[LATITUDE] and r[LONGITUDE] for r in rows)


@needs_rosters
def test_bmw_codes_filed_twice_are_two_rooftops_the_later_with_dash_2() -> None:
    records = published("bmw")
    twice = [c for c, n in Counter(r["id"] for r in records).items() if n == 2]
    assert len(twice) == 22
    rows = {r[DEALER_ID]: r for r in csv_rows(SHIPPED / "bmw.csv")}
    for code in twice:
        first, later = (r for r in records if r["id"] == code)
        assert first["address"]["streetAddress"] != later["address"]["streetAddress"]
        assert rows[code]["address"] == first["address"]["streetAddress"]
        assert rows[f"{code}-2"]["address"] == later["address"]["streetAddress"]
    assert len(rows) == len(records)


def test_loading_the_shipped_rosters(shipped: pd.DataFrame) -> None:
    counted = {BRANDS[p.stem]: len(csv_rows(p)) for p in SHIPPED.glob("*.csv")}
    total = sum(counted.values())
    assert shipped.attrs["source"] == f"real 2015 competitor rosters (8 brands, {total:,} stores)"
    assert shipped.attrs["validation"].ok
    assert competitor_brands(shipped) == sorted(counted)
    assert {DEALER_ID, NAME, BRAND, LATITUDE, LONGITUDE, STATE} <= set(shipped.columns)
    assert shipped[DEALER_ID].is_unique  # codes two brands share are qualified
    assert shipped[LATITUDE].between(-90, 90).all() and shipped[LONGITUDE].notna().all()
    assert len(load_competitors("competitors-2015")) == total  # the bundled name works too


# --- your files ---------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_folder_of_your_files_in_several_formats(tmp_path: Path) -> None:
    write(tmp_path / "audi.csv", "dealer_id,name,lat,lng\nA1,Audi Dallas,32.9,-96.8\n")
    write(
        tmp_path / "luxury.csv",
        "dealer_id,name,brand,latitude,longitude\n"
        "L1,Lexus of Plano,LEXUS,33.0,-96.7\n"
        "B1,BMW of Dallas,bmw,32.8,-96.8\n",
    )
    shutil.copy(LINCOLN_JSON, tmp_path / "lincoln.json")
    write(tmp_path / "README.md", "not a roster\n")
    stores = load_competitors(tmp_path)
    lincoln = json.loads(LINCOLN_JSON.read_text(encoding="utf-8"))
    assert len(stores) == 3 + len(lincoln)
    assert competitor_brands(stores) == ["Audi", "BMW", "Lexus", "Lincoln"]
    assert stores.attrs["source"].startswith(f"your files: {tmp_path} (4 brands, ")
    got = stores.loc[stores[BRAND] == "Lincoln", DEALER_CODE].tolist()
    assert got == [r["id"] for r in lincoln]


def test_one_spreadsheet_of_your_own(tmp_path: Path) -> None:
    path = tmp_path / "rivals.xlsx"
    pd.DataFrame(
        {
            "Dealer ID": ["V1", "C1"],
            "Name": ["Volvo of Austin", "Cadillac of Austin"],
            "Brand": ["Volvo", "Cadillac"],
            "Latitude": [30.3, 30.4],
            "Longitude": [-97.7, -97.8],
        }
    ).to_excel(path, index=False)
    stores = load_competitors(path)
    assert competitor_brands(stores) == ["Cadillac", "Volvo"]
    assert stores[LATITUDE].tolist() == [30.3, 30.4]


def test_infiniti_rows_are_left_out_with_a_warning(tmp_path: Path) -> None:
    path = write(
        tmp_path / "mixed.csv",
        "dealer_id,name,brand,latitude,longitude\n"
        "I1,Infiniti of Dallas,INFINITI,32.9,-96.8\n"
        "A1,Acura of Dallas,Acura,32.8,-96.8\n"
        "N1,Nissan of Dallas,Nissan,32.7,-96.8\n",
    )
    stores = load_competitors(path, exclude_brands=["Infiniti", "nissan"])
    assert stores[DEALER_ID].tolist() == ["A1"]
    warned = [p.message for p in stores.attrs["validation"].warnings]
    assert any(m.startswith("1 Infiniti row left out") for m in warned)
    assert any(m.startswith("1 Nissan row left out") for m in warned)
    assert len(load_competitors(path)) == 3  # nothing excluded unless the caller says so


def test_a_file_of_only_the_scenarios_brand_is_refused(tmp_path: Path) -> None:
    shutil.copy(REAL_2015 / "infiniti.csv", tmp_path / "infiniti.csv")
    with pytest.raises(InvalidInputError, match=r"all 207 rows are of the scenario's own brands"):
        load_competitors(tmp_path, exclude_brands=["Infiniti"])


def test_a_repeated_dealer_id_keeps_the_first_row_and_warns(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bmw.csv",
        "dealer_id,name,latitude,longitude\n"
        "7,BMW North,33.0,-96.8\n"
        "7,BMW South,32.6,-96.8\n"
        "8,BMW East,32.8,-96.5\n",
    )
    stores = load_competitors(path)
    assert stores[NAME].tolist() == ["BMW North", "BMW East"]
    [warning] = [p for p in stores.attrs["validation"].warnings if p.column == DEALER_ID]
    assert warning.row == 3 and "repeats" in warning.message and "line 2" in warning.message


# --- clear errors -------------------------------------------------------------------------


def test_a_missing_path_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"nowhere\.csv: no such competitor file or folder"):
        load_competitors(tmp_path / "nowhere.csv")


def test_a_file_without_brand_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "rivals.csv", "dealer_id,name,latitude,longitude\n1,X,32.7,-96.8\n")
    with pytest.raises(InvalidInputError, match=r"rivals\.csv: no brand column") as caught:
        load_competitors(path)
    assert "name the file after its brand" in str(caught.value)


def test_stores_without_any_location_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "audi.csv", "dealer_id,name,zip\n1,X,\n2,Y,abc\n")
    with pytest.raises(InvalidInputError, match=r"none of its 2 rows has coordinates"):
        load_competitors(path)


def test_a_bad_row_refuses_unless_skipped(tmp_path: Path) -> None:
    path = write(
        tmp_path / "audi.csv",
        "dealer_id,name,latitude,longitude\n1,X,north,-96.8\n2,Y,32.8,-96.8\n",
    )
    with pytest.raises(InvalidInputError, match=r"line 2, column 'latitude'.*not a number"):
        load_competitors(path)
    assert load_competitors(path, skip_invalid=True)[DEALER_ID].tolist() == ["2"]


# --- the rebuild --------------------------------------------------------------------------


@needs_rosters
def test_the_rebuild_reproduces_the_shipped_files_byte_for_byte(tmp_path: Path) -> None:
    bundled.rebuild(ROSTERS, tmp_path)
    for folder in (REAL_2015, SHIPPED):
        shipped_files = sorted(p.name for p in folder.iterdir() if p.suffix != ".md")
        built = sorted(p.name for p in (tmp_path / folder.name).iterdir())
        assert built == shipped_files
        for name in built:
            assert (tmp_path / folder.name / name).read_bytes() == (folder / name).read_bytes()


def roster(records: list[dict]) -> pd.DataFrame:
    from dealernet.io.json_rosters import parse_roster

    frame = parse_roster(json.dumps(records))
    assert frame is not None
    return frame.frame


def record(code: str, street: str, lat: object = 32.7, lon: object = -96.8) -> dict:
    return {
        "id": code,
        "name": f"Store {code}",
        "address": {"streetAddress": street, "postalCode": "75201"},
        "geo": {"latitude": lat, "longitude": lon},
    }


def test_the_conversion_leaves_out_placeless_records_and_settles_repeated_codes() -> None:
    records = [
        record("1", "1 Main St"),
        record("2", "2 Main St", 0, 0),
        record("3", "3 Main St", "", ""),
        record("1", "1 MAIN ST."),  # the same rooftop, listed again
        record("1", "9 Elm St"),  # another rooftop under the same code
        record("1-2", "5 Oak St"),  # a literal id the suffix must not meet
    ]
    done = bundled.convert(roster(records), "volvo")
    assert done.table[DEALER_ID].tolist() == ["1", "1-3", "1-2"]
    assert done.table["address"].tolist() == ["1 Main St", "9 Elm St", "5 Oak St"]
    assert done.no_coordinates == ["2", "3"]
    assert done.same_rooftop == ["1"]
    assert done.renamed == [("1", "1-3")]
    assert set(done.table[BRAND]) == {"Volvo"}
    assert tuple(done.table.columns) == bundled.CSV_COLUMNS


def test_the_rebuild_names_a_missing_folder_without_a_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dealernet.io.bundled", str(tmp_path / "gone")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "gone: no such folder" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_rebuild_names_missing_files_and_writes_nothing(tmp_path: Path) -> None:
    source, out = tmp_path / "rosters", tmp_path / "out"
    source.mkdir()
    write(source / "LICENSE.txt", "MIT\n")
    (source / "volvo.json").write_text(json.dumps([record("1", "1 Main St")]), encoding="utf-8")
    with pytest.raises(InputFileError, match=r"missing 9 roster files: infiniti\.json, "):
        bundled.rebuild(source, out)
    assert not out.exists()


def test_the_rebuild_needs_the_licence(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert bundled.main([str(tmp_path)]) == 1
    assert "no licence file" in capsys.readouterr().err
