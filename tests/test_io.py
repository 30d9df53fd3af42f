"""Reading every supported format, header aliases, encodings, CRS and ZIP placement."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import zipcodes
from shapely.geometry import Point

from dealernet import InvalidInputError, load_network, read_network
from dealernet.schema import (
    ALIASES,
    ANNUAL_NEW_UNITS,
    ANNUAL_REVENUE,
    BRAND,
    DEALER_ID,
    EXACT,
    LATITUDE,
    LOCATION_QUALITY,
    LONGITUDE,
    OWNER_GROUP,
    SOURCE_FILE,
    SOURCE_ROW,
    STATE,
    ZIP,
    ZIP_CENTROID,
    canonical_column,
)

ROWS = [
    # dealer_id, name, brand, owner, lat, lon, zip
    ("I-1", "Infiniti of Dallas", "INFINITI", "Lone Star Group", 32.9101, -96.7702, "75240"),
    ("I-2", "Infiniti of Denver", "infiniti", "Front Range Motors", 39.6501, -104.9902, "80222"),
    ("N-1", "Dallas Nissan", "Nissan", "Lone Star Group", 32.9201, -96.7802, "75240"),
]


def dealer_frame(headers: tuple[str, ...] | None = None) -> pd.DataFrame:
    cols = headers or ("dealer_id", "name", "brand", "owner_group", "latitude", "longitude", "zip")
    return pd.DataFrame(ROWS, columns=list(cols), dtype=object)


def assert_canonical(net: gpd.GeoDataFrame) -> None:
    assert net.crs.to_epsg() == 4326
    assert list(net[DEALER_ID]) == ["I-1", "I-2", "N-1"]
    assert list(net[BRAND]) == ["Infiniti", "Infiniti", "Nissan"]
    np.testing.assert_allclose(net[LATITUDE], [r[4] for r in ROWS], atol=1e-9)
    np.testing.assert_allclose(net[LONGITUDE], [r[5] for r in ROWS], atol=1e-9)
    np.testing.assert_allclose(net.geometry.y, net[LATITUDE])
    assert set(net[LOCATION_QUALITY]) == {EXACT}
    assert list(net[STATE]) == ["TX", "CO", "TX"]  # filled from the coordinates


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        ("utf-8", ","),
        ("utf-8-sig", ","),
        ("utf-16", ","),
        ("latin-1", ";"),
        ("utf-8", "\t"),
        ("cp1252", "|"),
    ],
)
def test_reads_csv_in_any_common_encoding_and_delimiter(
    tmp_path: Path, encoding: str, delimiter: str
) -> None:
    path = tmp_path / "dealers.csv"
    frame = dealer_frame()
    frame.loc[1, "owner_group"] = "Café Motors"  # a non-ASCII name survives every encoding
    frame.to_csv(path, index=False, sep=delimiter, encoding=encoding)
    net = load_network(path)
    assert_canonical(net)
    assert net.loc[1, OWNER_GROUP] == "Café Motors"


def test_reads_xlsx_with_title_rows_above_the_header(tmp_path: Path) -> None:
    path = tmp_path / "dealers.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"x": ["Notes only"]}).to_excel(writer, sheet_name="Readme", index=False)
        dealer_frame().to_excel(writer, sheet_name="Dealers", index=False, startrow=2)
    net = load_network(path)
    assert_canonical(net)
    # rows are reported as the spreadsheet shows them: title rows, header on row 3
    assert list(net[SOURCE_ROW]) == [4, 5, 6]
    assert net[SOURCE_FILE].iloc[0].endswith("[Dealers]")


def to_gdf(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    frame = dealer_frame().drop(columns=["latitude", "longitude"])
    geom = [Point(r[5], r[4]) for r in ROWS]
    return gpd.GeoDataFrame(frame, geometry=geom, crs="EPSG:4326").to_crs(crs)


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".shp", ".parquet"])
def test_reads_gis_formats(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"dealers{suffix}"
    gdf = to_gdf()
    if suffix == ".shp":  # dBase cuts names to 10 characters: "owner_group" -> "owner_grou"
        gdf = gdf.rename(columns={"owner_group": "owner_grou"})
    if suffix == ".parquet":
        gdf.to_parquet(path)
    else:
        gdf.to_file(path, engine="pyogrio")
    assert_canonical(load_network(path))


def test_reprojects_input_in_another_crs(tmp_path: Path) -> None:
    path = tmp_path / "dealers.gpkg"
    to_gdf("EPSG:5070").to_file(path, engine="pyogrio")
    assert_canonical(load_network(path))


def test_folder_means_every_supported_file_in_it(tmp_path: Path) -> None:
    frame = dealer_frame()
    frame.iloc[:2].to_csv(tmp_path / "infiniti.csv", index=False)
    frame.iloc[2:].to_csv(tmp_path / "nissan.csv", index=False)
    (tmp_path / "README.md").write_text("not a dealer file")
    net = load_network(tmp_path)
    assert_canonical(net)


@pytest.mark.parametrize(
    "headers",
    [
        ("Dealer ID", "Dealer Name", "Make", "Owner", "Lat", "Lng", "ZIP"),
        ("dealer_code", "dealer_name", "Brand", "Dealer Group", "y", "x", "Zip Code"),
        ("ID", "NAME", "make", "owner_group", "LATITUDE", "long", "postal_code"),
        ("Dealer-Code", "Dealership", "Franchise", "Group", "lat", "lon", "zipcode"),
    ],
)
def test_header_aliases_ignore_case_spaces_and_underscores(
    tmp_path: Path, headers: tuple[str, ...]
) -> None:
    path = tmp_path / "dealers.csv"
    dealer_frame(headers).to_csv(path, index=False)
    assert_canonical(load_network(path))


def test_every_alias_maps_to_its_column() -> None:
    for column, aliases in ALIASES.items():
        for alias in aliases:
            assert canonical_column(alias.upper().replace(" ", "_")) == column


def test_brand_taken_from_file_name_when_there_is_no_brand_column(tmp_path: Path) -> None:
    path = tmp_path / "nissan_sites_2024.csv"
    dealer_frame().drop(columns=["brand"]).to_csv(path, index=False)
    net = load_network(path)
    assert set(net[BRAND]) == {"Nissan"}


def test_zip_only_rows_are_placed_at_the_zip_centroid(tmp_path: Path) -> None:
    path = tmp_path / "dealers.csv"
    frame = dealer_frame()
    frame.loc[0, ["latitude", "longitude"]] = ""
    frame.loc[1, ["latitude", "longitude", "zip"]] = ""
    frame["address"] = ["", "1 Main St, Denver, CO 80222-4455", ""]
    frame.to_csv(path, index=False)
    result = read_network(path)
    net = result.network
    for i, zip_code in ((0, "75240"), (1, "80222")):
        expected = zipcodes.matching(zip_code)[0]
        assert net.loc[i, LATITUDE] == pytest.approx(float(expected["lat"]), abs=1e-9)
        assert net.loc[i, LONGITUDE] == pytest.approx(float(expected["long"]), abs=1e-9)
        assert net.loc[i, LOCATION_QUALITY] == ZIP_CENTROID
        assert net.loc[i, ZIP] == zip_code
    assert net.loc[2, LOCATION_QUALITY] == EXACT
    warnings = [p for p in result.report.warnings if "ZIP code's centroid" in p.message]
    assert [p.row for p in warnings] == [2, 3]


def test_zip_with_lost_leading_zero_is_repaired(tmp_path: Path) -> None:
    path = tmp_path / "dealers.csv"
    frame = dealer_frame()
    frame.loc[0, ["latitude", "longitude"]] = ""
    frame.loc[0, "zip"] = "2108"  # Boston 02108, as a spreadsheet shows it
    frame.to_csv(path, index=False)
    net = load_network(path)
    assert net.loc[0, ZIP] == "02108"
    assert net.loc[0, STATE] == "MA"


def test_economics_columns_are_numbers(tmp_path: Path) -> None:
    path = tmp_path / "dealers.csv"
    frame = dealer_frame()
    frame["New Units"] = [300, "", 850]
    frame["Revenue"] = ["31500000", "", "52e6"]
    frame.to_csv(path, index=False)
    net = load_network(path)
    assert net[ANNUAL_NEW_UNITS].tolist()[0] == 300
    assert np.isnan(net[ANNUAL_NEW_UNITS].tolist()[1])
    assert net[ANNUAL_REVENUE].tolist()[2] == 52e6


def test_inputs_are_never_modified(tmp_path: Path) -> None:
    path = tmp_path / "dealers.csv"
    dealer_frame().to_csv(path, index=False)
    before = path.read_bytes()
    path.chmod(0o444)
    load_network(path)
    assert path.read_bytes() == before


def test_progress_is_reported_per_file_and_check(tmp_path: Path) -> None:
    frame = dealer_frame()
    frame.iloc[:2].to_csv(tmp_path / "infiniti.csv", index=False)
    frame.iloc[2:].to_csv(tmp_path / "nissan.csv", index=False)
    calls: list[tuple[str, int, int]] = []
    load_network(tmp_path, progress=lambda *args: calls.append(args))
    labels = [c[0] for c in calls]
    assert labels[:2] == ["Reading infiniti.csv", "Reading nissan.csv"]
    assert labels[-1] == "Loaded"
    assert all(done <= total for _, done, total in calls)
    assert [done for _, done, _ in calls] == sorted(done for _, done, _ in calls)


def test_quoted_line_breaks_keep_exact_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "dealers.csv"
    path.write_text(
        "dealer_id,name,brand,address,latitude,longitude\n"
        'I-1,"Infiniti of\nDallas",Infiniti,"1 Main St\nSuite 2",99.9,-96.7\n'
        "I-2,Denver,Infiniti,,95.0,-104.9\n",
        encoding="utf-8",
    )
    from dealernet import validate_network

    report = validate_network(path)
    # a record is reported at the line it starts on: I-1 spans lines 2-4, I-2 is on line 5
    assert [p.row for p in report.errors] == [2, 5]


def test_a_folder_skips_its_licence_and_read_me_but_not_a_named_file(tmp_path: Path) -> None:
    """A roster folder often holds LICENSE.txt beside the data: it is not a dealer file."""
    folder = tmp_path / "rosters"
    folder.mkdir()
    (folder / "infiniti.csv").write_text("dealer_id,name,latitude,longitude\nI-1,A,33.1,-96.1\n")
    (folder / "LICENSE.txt").write_text("The MIT License (MIT)\n\nCopyright (c) 2015\n")
    (folder / "README.txt").write_text("notes\n")
    assert len(load_network(folder)) == 1
    with pytest.raises(InvalidInputError):
        load_network([folder / "infiniti.csv", folder / "LICENSE.txt"])
