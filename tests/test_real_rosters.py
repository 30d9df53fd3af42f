"""Real dealer-locator rosters load as published: nested JSON, or flattened to CSV headers.

The fixtures in ``tests/data/rosters/`` are objects copied unchanged from the 2015 Infiniti,
Nissan and Lincoln rosters (see the README there); every expectation below is read back
from the raw JSON with the :mod:`json` module, not from dealernet.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from dealernet import load_network, read_network, validate_network
from dealernet.cli.main import cli
from dealernet.io.frames import as_network
from dealernet.schema import (
    ADDRESS,
    BRAND,
    CITY,
    DEALER_CODE,
    DEALER_ID,
    LATITUDE,
    LOCATION_QUALITY,
    LONGITUDE,
    NAME,
    PHONE,
    STATE,
    WEBSITE,
    ZIP,
    ZIP_CENTROID,
    canonical_column,
)
from helpers import ROOT

ROSTERS = ROOT / "tests" / "data" / "rosters"
INFINITI = ROSTERS / "infiniti.json"
NISSAN = ROSTERS / "nissan.json"
LINCOLN = ROSTERS / "lincoln.json"
#: The same Infiniti and Nissan excerpts in each shape an export takes.
SHAPES = {
    "json": (INFINITI, NISSAN),
    "dotted csv": (ROSTERS / "infiniti_dotted.csv", ROSTERS / "nissan_dotted.csv"),
    "slashed csv": (ROSTERS / "infiniti_slashed.csv", ROSTERS / "nissan_slashed.csv"),
}


def raw(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def invoke(*args: str | Path):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def expected_sites() -> list[dict[str, object]]:
    """What the two JSON excerpts say, field by field, straight from the JSON."""
    rows = []
    for brand, path in (("Infiniti", INFINITI), ("Nissan", NISSAN)):
        for obj in raw(path):
            rows.append(
                {
                    DEALER_ID: obj["id"],
                    NAME: obj["name"],
                    BRAND: brand,
                    ADDRESS: obj["address"]["streetAddress"].strip(),
                    CITY: obj["address"]["addressLocality"],
                    STATE: obj["address"]["addressRegion"],
                    ZIP: obj["address"]["postalCode"],
                    LATITUDE: float(obj["geo"]["latitude"]),
                    LONGITUDE: float(obj["geo"]["longitude"]),
                    WEBSITE: obj["url"] or None,
                    PHONE: obj["telephone"] or None,
                }
            )
    return rows


def records(net: pd.DataFrame, columns: list[str]) -> list[dict[str, object]]:
    """The network's rows as plain dicts, missing values as ``None``."""
    return [
        {c: None if not isinstance(v, str) and pd.isna(v) else v for c, v in row.items()}
        for row in pd.DataFrame(net[columns]).to_dict("records")
    ]


def test_fixtures_are_the_published_shape() -> None:
    """Guard the fixtures themselves: nested objects, string coordinates, lists of objects."""
    for path in (INFINITI, NISSAN, LINCOLN):
        objects = raw(path)
        assert isinstance(objects, list) and len(objects) >= 5
        for obj in objects:
            assert set(obj["address"]) >= {"streetAddress", "addressLocality", "postalCode"}
            assert isinstance(obj["geo"]["latitude"], str)
            assert all(isinstance(d, dict) for d in obj["department"])
    assert any(o["url"] is None for o in raw(INFINITI))


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_rosters_validate_with_no_errors_and_count_every_row(shape: str) -> None:
    report = validate_network(list(SHAPES[shape]))
    assert report.errors == [], [p.describe() for p in report.errors]
    assert report.rows_read == len(raw(INFINITI)) + len(raw(NISSAN))
    assert [c.rows for c in report.columns] == [len(raw(INFINITI)), len(raw(NISSAN))]
    assert f"{report.rows_read:,} rows: 0 errors" in report.summary()


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_field_comes_from_the_nested_keys(shape: str) -> None:
    net = load_network(list(SHAPES[shape]))
    want = expected_sites()
    got = records(net, list(want[0]))
    assert len(got) == len(want)
    for mine, theirs in zip(got, want, strict=True):
        for column in (LATITUDE, LONGITUDE):  # the JSON's strings, parsed exactly
            assert math.isclose(mine.pop(column), theirs.pop(column), rel_tol=0, abs_tol=0)
        assert mine == theirs
    assert list(net[DEALER_CODE]) == [w[DEALER_ID] for w in want]  # no shared code: ids kept
    assert net[WEBSITE].isna().sum() == sum(o["url"] is None for o in raw(INFINITI) + raw(NISSAN))


def test_underscored_headers_read_like_dotted_ones(tmp_path: Path) -> None:
    paths = []
    for path in SHAPES["dotted csv"]:
        header, body = path.read_text(encoding="utf-8").split("\n", 1)
        assert "geo.latitude" in header
        paths.append(tmp_path / path.name)
        paths[-1].write_text(header.replace(".", "_") + "\n" + body, encoding="utf-8")
    net = load_network(paths)
    want = expected_sites()
    assert [r[CITY] for r in records(net, [CITY])] == [w[CITY] for w in want]
    assert list(net[LATITUDE]) == [w[LATITUDE] for w in want]


def test_a_data_frame_with_flattened_headers_is_read_the_same_way() -> None:
    frame = pd.DataFrame(
        {
            "brand.name": ["Nissan North America"],
            "Dealer Name": ["Crown Nissan Greenville"],
            "make": ["Nissan"],
            "id": ["3923"],
            "geo.latitude": [34.818435],
            "geo.longitude": [-82.340403],
            "url": ["http://www.crowngreenvillenissan.com/index.htm"],
        }
    )
    net = as_network(frame)
    assert net[NAME].iloc[0] == "Crown Nissan Greenville"
    assert net[LATITUDE].iloc[0] == 34.818435
    assert net[WEBSITE].iloc[0] == "http://www.crowngreenvillenissan.com/index.htm"
    assert net[DEALER_CODE].iloc[0] == "3923"


def test_validate_lists_the_columns_used_and_ignored_per_file() -> None:
    report = validate_network([INFINITI, NISSAN])
    infiniti = report.columns[0]
    assert infiniti.where == str(INFINITI)
    assert infiniti.used["address.addressLocality"] == "city"
    assert infiniti.used["geo.latitude"] == "latitude"
    assert infiniti.used["id"] == "dealer_id"
    assert infiniti.used["url"] == "website"
    assert infiniti.used["telephone"] == "phone"
    assert {"department", "faxNumber", "address.addressCountry"} <= set(infiniti.ignored)
    assert infiniti.brand_from_name == "Infiniti"
    result = invoke("validate", INFINITI, NISSAN)
    assert result.exit_code == 0, result.output
    assert "address.addressLocality -> city" in result.output
    assert "ignored: address.addressCountry, email, faxNumber, department" in result.output
    assert f"{INFINITI}: 20 rows; brand Infiniti, from the file name" in result.output
    assert "2 files, 40 rows: 0 errors" in result.output


def test_a_store_named_for_another_make_is_a_warning() -> None:
    report = validate_network([INFINITI, NISSAN])
    chevrolet = [o["name"] for o in raw(NISSAN) if "Chevrolet" in o["name"]]
    found = [p for p in report.warnings if "mentions" in p.message]
    assert [p.value for p in found] == chevrolet
    assert found[0].message == "the name mentions Chevrolet but not Nissan, the row's brand"
    assert found[0].row_label == "record"


def test_weatherford_bmw_in_a_ford_file_is_a_warning_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "ford.csv"
    path.write_text(
        "id,name,geo.latitude,geo.longitude\n"
        "F1,Weatherford BMW,37.5,-122.2\n"
        "F2,Smith Ford Lincoln,37.6,-122.3\n"
        "F3,Carwell LLC,37.7,-122.4\n"
    )
    report = validate_network(path)
    assert report.errors == []
    assert [(p.row, p.value) for p in report.warnings] == [(2, "Weatherford BMW")]
    assert "mentions BMW but not Ford" in report.warnings[0].message
    result = invoke("validate", path)
    assert result.exit_code == 0
    assert "line 2, column 'name': value 'Weatherford BMW'" in " ".join(result.output.split())


def test_the_same_code_under_two_brands_is_two_sites() -> None:
    nissan, lincoln = raw(NISSAN), raw(LINCOLN)
    shared = sorted({o["id"] for o in nissan} & {o["id"] for o in lincoln})
    assert shared == ["06033", "08053"]  # the fixtures keep real shared codes
    result = read_network([NISSAN, LINCOLN])
    assert result.report.errors == []
    net = result.network
    assert len(net) == len(nissan) + len(lincoln)
    assert net[DEALER_ID].is_unique
    for code in shared:
        rows = net[net[DEALER_CODE] == code]
        assert sorted(rows[DEALER_ID]) == [f"Lincoln-{code}", f"Nissan-{code}"]
        assert sorted(rows[BRAND]) == ["Lincoln", "Nissan"]
    others = net[~net[DEALER_CODE].isin(shared)]
    assert (others[DEALER_ID] == others[DEALER_CODE]).all()  # only shared codes change
    assert any("06033, 08053" in n or "08053, 06033" in n for n in result.report.notes)
    assert "used by both Lincoln and Nissan" in result.report.notes[0]


def test_a_multi_brand_file_says_which_brands_it_holds(tmp_path: Path) -> None:
    path = tmp_path / "dealers.csv"
    path.write_text(
        "dealer_code,name,make,lat,lng\n"
        "1001,Gem City Ford,Ford,39.7,-84.1\n"
        "1001,Gem City Lincoln,Lincoln,39.7,-84.1\n"
        "1002,Other Ford,Ford,39.8,-84.2\n"
    )
    result = read_network(path)
    assert result.report.errors == []
    assert sorted(result.network[DEALER_ID]) == ["1002", "Ford-1001", "Lincoln-1001"]
    output = invoke("validate", path).output
    assert "3 rows; 2 brands: Ford (2), Lincoln (1)" in output
    assert "note: 1 dealer code (1001) used by both Ford and Lincoln" in output


def test_a_code_repeated_within_one_brand_is_still_an_error(tmp_path: Path) -> None:
    objects = raw(NISSAN)
    objects[5]["id"] = objects[2]["id"]
    path = tmp_path / "nissan.json"
    path.write_text(json.dumps(objects))
    report = validate_network([path, LINCOLN])
    assert sorted(p.row for p in report.errors) == [3, 6]
    assert all("duplicate dealer id (also at" in p.message for p in report.errors)
    assert "every Nissan site its own dealer id" in report.errors[0].fix
    assert invoke("validate", path).exit_code == 1


def test_no_location_columns_names_the_headers_found(tmp_path: Path) -> None:
    path = tmp_path / "nissan.csv"
    path.write_text("id,name,telephone,address.addressCountry\n3923,Crown Nissan,864,US\n")
    [problem] = validate_network(path).errors
    assert "no location columns" in problem.message
    assert "headers found: 'id', 'name', 'telephone', 'address.addressCountry'" in problem.message
    assert validate_network(path).rows_read == 1  # the refused file's rows are still counted


def test_schema_org_names_match_without_their_prefixes(tmp_path: Path) -> None:
    """The issue's report: with prefixes stripped, city was left empty, silently."""
    objects = raw(INFINITI)[:3]
    path = tmp_path / "infiniti.csv"
    lines = ["id,name,streetAddress,addressLocality,addressRegion,postalCode,latitude,longitude"]
    for o in objects:
        a, g = o["address"], o["geo"]
        lines.append(
            f'{o["id"]},"{o["name"]}",{a["streetAddress"]},{a["addressLocality"]},'
            f"{a['addressRegion']},{a['postalCode']},{g['latitude']},{g['longitude']}"
        )
    path.write_text("\n".join(lines) + "\n")
    net = load_network(path)
    assert list(net[CITY]) == [o["address"]["addressLocality"] for o in objects]
    assert list(net[STATE]) == [o["address"]["addressRegion"] for o in objects]


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("geo.latitude", LATITUDE),
        ("geo_latitude", LATITUDE),
        ("geo/longitude", LONGITUDE),
        ("address/postalCode", ZIP),
        ("address_postal_code", ZIP),
        ("address.addressLocality", CITY),
        ("addresslocality", CITY),
        ("ADDRESS_REGION", STATE),  # separators dropped: addressRegion
        ("address.addressCountry", None),
        ("department", None),
    ],
)
def test_flattened_headers_match_on_their_last_components(header: str, column: str | None) -> None:
    assert canonical_column(header) == column


def test_a_whole_header_wins_over_a_flattened_one(tmp_path: Path) -> None:
    path = tmp_path / "infiniti.csv"
    path.write_text(
        "brand.name,name,latitude,longitude,id\nInfiniti USA,Willis Infiniti,41.6,-93.7,1\n"
    )
    [table] = validate_network(path).columns
    assert table.used == {
        "name": "name",
        "latitude": "latitude",
        "longitude": "longitude",
        "id": "dealer_id",
    }
    assert table.ignored == ["brand.name"]
    assert list(load_network(path)[NAME]) == ["Willis Infiniti"]


def test_zero_zero_coordinates_are_read_as_missing(tmp_path: Path) -> None:
    """Two published Mercedes-Benz rooftops say ``geo: {latitude: 0, longitude: 0}``."""
    objects = raw(INFINITI)[:2]
    objects[1]["geo"] = {"latitude": 0, "longitude": 0}
    path = tmp_path / "infiniti.json"
    path.write_text(json.dumps(objects))
    report = validate_network(path)
    assert report.errors == []
    assert any("0, 0 are a placeholder" in p.message for p in report.warnings)
    net = load_network(path)
    assert net[LOCATION_QUALITY].iloc[1] == ZIP_CENTROID
    assert abs(net[LATITUDE].iloc[1]) > 1


def test_a_json_object_wrapping_the_list_is_read(tmp_path: Path) -> None:
    path = tmp_path / "nissan.json"
    path.write_text(json.dumps({"count": 20, "dealers": raw(NISSAN)}))
    assert list(load_network(path)[DEALER_ID]) == [o["id"] for o in raw(NISSAN)]


def test_geojson_named_json_still_goes_to_the_gis_reader(tmp_path: Path) -> None:
    path = tmp_path / "infiniti.json"
    feature = {
        "type": "Feature",
        "properties": {"dealer_id": "I-1", "name": "Infiniti of Dallas"},
        "geometry": {"type": "Point", "coordinates": [-96.77, 32.91]},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    net = load_network(path)
    assert list(net[DEALER_ID]) == ["I-1"]
    assert net[LATITUDE].iloc[0] == pytest.approx(32.91)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"id": "1", "name": ', "is not valid JSON"),
        ("[]", "holds an empty list"),
        ("[1, 2]", "record 1 is a JSON number, not an object"),
        ('{"a": [{"id": 1}], "b": [{"id": 2}]}', "2 lists of objects"),
        ('"dealers"', "holds a JSON string, not a list of dealers"),
    ],
)
def test_json_that_is_not_a_roster_is_a_clear_error(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "nissan.json"
    path.write_text(content)
    [problem] = validate_network(path).errors
    assert message in problem.message
    result = invoke("validate", path)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
