"""The GIS bundle: typed layers in EPSG:4326, one GeoPackage with QGIS styles, GeoParquet.

Every layer is read back from the files (pyogrio, geopandas) and checked against the run's
own tables, computed here independently: row counts, field types, values and geometry.
"""

from __future__ import annotations

import copy
import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
from pyproj import Geod

import dealernet
from dealernet.analysis.result import Result
from dealernet.formatting import format_of
from dealernet.geo import boundaries
from dealernet.outputs import gis_bundle
from dealernet.outputs.gis_bundle import GPKG_NAME, gis_layers, write_gis_bundle
from dealernet.render._map_layers import DECISION_STYLE, PALETTE, ZERO_FILL, classes
from dealernet.schema import BRAND, DEALER_ID, DECISION, HOST_DEALER_ID, LATITUDE, LONGITUDE

if TYPE_CHECKING:
    from collections.abc import Iterator

MILE = 1609.344
SPATIAL = {
    "stores": "Point",
    "host_sites": "Point",
    "moves": "LineString",
    "states": "MultiPolygon",
    "counties": "MultiPolygon",
    "competitors": "Point",
}
BOOLEAN, INTEGER, TEXT, REAL = "OFSTBoolean", "OFTInteger64", "OFTString", "OFTReal"


@pytest.fixture(scope="module")
def bundle(sample_result: Result, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The sample run's bundle in both formats, written once for the module."""
    out = tmp_path_factory.mktemp("gis")
    written = write_gis_bundle(sample_result, out, ("gpkg", "parquet"))
    assert written[0] == out / GPKG_NAME
    assert sorted(p.name for p in written[1:]) == sorted(f"{n}.parquet" for n in SPATIAL)
    yield out


def gpkg(bundle: Path) -> Path:
    return bundle / GPKG_NAME


def field_types(path: Path, layer: str) -> dict[str, str]:
    """Each field's OGR type, or its subtype where it has one (``OFSTBoolean``)."""
    info = pyogrio.read_info(path, layer=layer)
    return {
        name: subtype if subtype != "OFSTNone" else kind
        for name, kind, subtype in zip(
            info["fields"], info["ogr_types"], info["ogr_subtypes"], strict=True
        )
    }


def absorbed(result: Result) -> pd.DataFrame:
    table = result.decisions.table
    return table.loc[table[DECISION] == "absorb"]


# --- layers, geometry and rows -------------------------------------------------------------


def test_the_geopackage_has_every_layer_with_its_geometry_type(bundle: Path) -> None:
    listed = {name: kind for name, kind in pyogrio.list_layers(gpkg(bundle))}
    assert listed == {**SPATIAL, "layer_styles": None}


@pytest.mark.parametrize("layer", sorted(SPATIAL))
def test_every_layer_is_in_epsg_4326(bundle: Path, layer: str) -> None:
    info = pyogrio.read_info(gpkg(bundle), layer=layer)
    assert info["crs"] == "EPSG:4326"
    frame = pyogrio.read_dataframe(gpkg(bundle), layer=layer)
    assert frame.crs.to_epsg() == 4326
    drawn = frame.geometry.dropna()
    assert set(drawn.geom_type) <= {SPATIAL[layer]}
    minx, miny, maxx, maxy = drawn.total_bounds
    assert -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90  # degrees, lon first


def test_rows_are_the_runs_rows(bundle: Path, sample_result: Result) -> None:
    network = sample_result.network
    hosts = network[BRAND].isin(sample_result.host_brands)
    regions = sample_result.regions
    states = boundaries.states()
    expected = {
        "stores": len(sample_result.decisions.table),
        "host_sites": int(hosts.sum()),
        "moves": len(absorbed(sample_result)),
        "states": int((states["state"] != "").sum()),
        "counties": int((regions["level"] == "county").sum()),
        "competitors": len(sample_result.market.competitors),
    }
    counts = {layer: pyogrio.read_info(gpkg(bundle), layer=layer)["features"] for layer in SPATIAL}
    assert counts == expected
    assert expected["moves"] > 0 and expected["stores"] > expected["moves"]


# --- field types ---------------------------------------------------------------------------


def test_stores_fields_are_typed(bundle: Path, sample_result: Result) -> None:
    types = field_types(gpkg(bundle), "stores")
    for column in ("same_owner_host", "transfer"):
        assert types[column] == BOOLEAN  # not text, as a plain to_file makes of "boolean"
    for column in (DEALER_ID, HOST_DEALER_ID, "zip", "customers_main_nearest_after_id"):
        assert types[column] == TEXT
    money = [
        c
        for c in sample_result.impacts.table.columns
        if format_of(c) == "money" and pd.api.types.is_float_dtype(sample_result.impacts.table[c])
    ]
    assert "revenue_lost_base" in money and "revenue_source" not in money
    assert {types[c] for c in money} == {INTEGER}
    assert types["revenue_source"] == TEXT
    assert types["jobs_lost_base"] == REAL and types["sales_site_base"] == REAL
    assert types["customers_places"] == INTEGER


def test_host_sites_regions_and_moves_fields_are_typed(bundle: Path) -> None:
    hosts = field_types(gpkg(bundle), "host_sites")
    assert hosts["takes_store"] == BOOLEAN
    assert hosts["stores_taken_in"] == INTEGER == hosts["transfers_taken_in"]
    assert hosts[DEALER_ID] == TEXT == hosts["zip"]
    assert hosts["annual_revenue"] == INTEGER
    for layer in ("states", "counties"):
        types = field_types(gpkg(bundle), layer)
        assert types["region"] == TEXT
        assert types["stores"] == INTEGER == types["revenue_lost_base"]
        assert types["jobs_lost_base"] == REAL
    moves = field_types(gpkg(bundle), "moves")
    assert moves["transfer"] == BOOLEAN and moves["distance_miles"] == REAL
    assert moves[HOST_DEALER_ID] == TEXT


def test_nullable_booleans_keep_their_gaps(bundle: Path, sample_result: Result) -> None:
    stores = pyogrio.read_dataframe(gpkg(bundle), layer="stores").set_index(DEALER_ID)
    table = sample_result.decisions.table.set_index(DEALER_ID)
    for column in ("same_owner_host", "transfer"):
        read = stores[column].reindex(table.index)
        assert read.isna().sum() == table[column].isna().sum() > 0
        assert (read == 1).sum() == (table[column] == True).sum() > 0  # noqa: E712


# --- values --------------------------------------------------------------------------------


def test_stores_values_are_the_tables(bundle: Path, sample_result: Result) -> None:
    stores = pyogrio.read_dataframe(gpkg(bundle), layer="stores").set_index(DEALER_ID)
    impacts = sample_result.impacts.table.set_index(DEALER_ID)
    decisions = sample_result.decisions.table.set_index(DEALER_ID)
    assert (stores[DECISION] == decisions[DECISION].reindex(stores.index)).all()
    dollars = impacts["revenue_lost_base"].round().reindex(stores.index)
    np.testing.assert_array_equal(stores["revenue_lost_base"].to_numpy(float), dollars)
    np.testing.assert_allclose(
        stores["jobs_lost_base"], impacts["jobs_lost_base"].reindex(stores.index), atol=0.05
    )
    np.testing.assert_allclose(stores.geometry.x, decisions[LONGITUDE].reindex(stores.index))
    np.testing.assert_allclose(stores.geometry.y, decisions[LATITUDE].reindex(stores.index))


def test_moves_run_from_each_absorbed_store_to_its_host(
    bundle: Path, sample_result: Result
) -> None:
    moves = pyogrio.read_dataframe(gpkg(bundle), layer="moves")
    table = absorbed(sample_result).set_index(DEALER_ID)
    assert sorted(moves[DEALER_ID]) == sorted(table.index)
    assert (moves[HOST_DEALER_ID] == table[HOST_DEALER_ID].reindex(moves[DEALER_ID]).values).all()
    where = sample_result.network.drop_duplicates(DEALER_ID).set_index(DEALER_ID)
    start = np.array([line.coords[0] for line in moves.geometry])
    end = np.array([line.coords[-1] for line in moves.geometry])
    np.testing.assert_allclose(start[:, 0], table[LONGITUDE].reindex(moves[DEALER_ID]))
    np.testing.assert_allclose(end[:, 1], where[LATITUDE].reindex(moves[HOST_DEALER_ID]))
    geod = Geod(ellps="WGS84")  # a straight line's geodesic length is the store-host distance
    lengths = np.array([geod.geometry_length(line) for line in moves.geometry]) / MILE
    np.testing.assert_allclose(lengths, moves["distance_miles"], atol=0.002)


def test_host_sites_count_the_stores_they_take_in(bundle: Path, sample_result: Result) -> None:
    hosts = pyogrio.read_dataframe(gpkg(bundle), layer="host_sites")
    moved = absorbed(sample_result)
    assert set(hosts.loc[hosts["takes_store"], DEALER_ID]) == set(moved[HOST_DEALER_ID])
    assert hosts["stores_taken_in"].sum() == len(moved)
    assert (hosts["takes_store"] == (hosts["stores_taken_in"] > 0)).all()
    busiest = moved[HOST_DEALER_ID].value_counts()
    top = hosts.set_index(DEALER_ID).loc[busiest.index[0], "stores_taken_in"]
    assert top == busiest.iloc[0]
    # per host owner, the transfers are hosts.csv's stores taken in
    transfers = int(moved["transfer"].fillna(False).sum())
    assert (
        hosts["transfers_taken_in"].sum()
        == transfers
        == sample_result.hosts["stores_taken_in"].sum()
    )
    assert 0 < transfers < len(moved)


def test_states_cover_the_country_and_counties_keep_their_codes(
    bundle: Path, sample_result: Result
) -> None:
    states = pyogrio.read_dataframe(gpkg(bundle), layer="states").set_index("region")
    regions = sample_result.regions
    by_state = regions.loc[regions["level"] == "state"].set_index("region")
    assert set(by_state.index) < set(states.index)
    empty = states.drop(index=by_state.index)
    assert len(empty) > 0 and (empty["stores"] == 0).all() and (empty["jobs_lost_base"] == 0).all()
    assert empty["region_name"].str.len().gt(0).all()
    assert (states.loc[by_state.index, "stores"] == by_state["stores"]).all()
    assert states["stores"].sum() == len(sample_result.decisions.table)
    counties = pyogrio.read_dataframe(gpkg(bundle), layer="counties")
    wanted = regions.loc[regions["level"] == "county", "region"]
    assert sorted(counties["region"]) == sorted(wanted)
    assert counties["region"].str.fullmatch(r"\d{5}").all()
    assert counties["region"].str.startswith("0").any()  # a leading zero survives
    assert counties["stores"].sum() == len(sample_result.decisions.table)


# --- styles and provenance -----------------------------------------------------------------


def styles(bundle: Path) -> pd.DataFrame:
    return pyogrio.read_dataframe(gpkg(bundle), layer="layer_styles")


def test_every_layer_has_a_default_qgis_style(bundle: Path) -> None:
    table = styles(bundle)
    assert sorted(table["f_table_name"]) == sorted(SPATIAL)
    assert table["useAsDefault"].all()
    assert (table["f_table_schema"] == "").all() and (table["f_table_catalog"] == "").all()
    for row in table.itertuples():
        info = pyogrio.read_info(gpkg(bundle), layer=row.f_table_name)
        assert row.f_geometry_column == info["geometry_name"]  # QGIS matches on both
        root = ET.fromstring(row.styleQML)
        assert root.tag == "qgis"
        assert root.find("renderer-v2") is not None
        kind = {"Point": "0", "LineString": "1", "MultiPolygon": "2"}[SPATIAL[row.f_table_name]]
        assert root.findtext("layerGeometryType") == kind


def symbol_colours(root: ET.Element) -> dict[str, str]:
    """Symbol name -> its fill or line colour as ``#rrggbb``."""
    colours = {}
    for symbol in root.iter("symbol"):
        props = {o.get("name"): o.get("value") for o in symbol.iter("Option") if o.get("name")}
        red, green, blue, _ = (
            int(v) for v in (props.get("color") or props["line_color"]).split(",")
        )
        colours[symbol.get("name")] = f"#{red:02x}{green:02x}{blue:02x}"
    return colours


def test_stores_style_has_the_maps_colours_and_shapes(bundle: Path, sample_result: Result) -> None:
    qml = styles(bundle).set_index("f_table_name").loc["stores", "styleQML"]
    root = ET.fromstring(qml)
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == DECISION
    colours = symbol_colours(root)
    shapes = {
        s.get("name"): next(o.get("value") for o in s.iter("Option") if o.get("name") == "name")
        for s in root.iter("symbol")
    }
    seen = {}
    for category in renderer.iter("category"):
        symbol = category.get("symbol")
        seen[category.get("value")] = (shapes[symbol], colours[symbol], category.get("label"))
    host = sample_result.host_brand
    assert seen == {
        d: (shape, colour.lower(), label.format(host=host))
        for d, (shape, colour, label) in DECISION_STYLE.items()
    }
    # the prop copy (QGIS before 3.22) says the same as the Option copy
    assert set(re.findall(r'k="color" v="([^"]+)"', qml)) == set(
        re.findall(r'name="color" type="QString" value="([^"]+)"', qml)
    )


def test_host_sites_style_is_by_takes_store(bundle: Path) -> None:
    root = ET.fromstring(styles(bundle).set_index("f_table_name").loc["host_sites", "styleQML"])
    renderer = root.find("renderer-v2")
    assert renderer.get("attr") == "takes_store"
    assert {c.get("value") for c in renderer.iter("category")} == {"true", "false"}


@pytest.mark.parametrize("layer", ["states", "counties"])
def test_choropleth_classes_are_the_maps(bundle: Path, sample_result: Result, layer: str) -> None:
    root = ET.fromstring(styles(bundle).set_index("f_table_name").loc[layer, "styleQML"])
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "graduatedSymbol"
    assert renderer.get("attr") == "jobs_lost_base"
    ranges = list(renderer.iter("range"))
    lowers = [float(r.get("lower")) for r in ranges]
    uppers = [float(r.get("upper")) for r in ranges]
    values = pyogrio.read_dataframe(gpkg(bundle), layer=layer)["jobs_lost_base"].to_numpy()
    edges = classes(values)
    assert len(edges) >= 2
    assert uppers[0] == 0 and lowers[1:] == [0.0, *edges] and uppers[1:-1] == edges
    assert uppers[-1] >= values.max()
    colours = symbol_colours(root)
    fills = [colours[r.get("symbol")] for r in ranges]
    assert fills[0] == ZERO_FILL and set(fills[1:]) <= set(PALETTE)
    assert fills[1:] == sorted(fills[1:], key=PALETTE.index)  # light to dark
    assert fills[-1] == PALETTE[-1]


def test_each_layer_says_where_its_figures_come_from(bundle: Path, sample_result: Result) -> None:
    with sqlite3.connect(gpkg(bundle)) as db:
        rows = dict(db.execute("SELECT table_name, description FROM gpkg_contents").fetchall())
    for layer in SPATIAL:
        assert sample_result.data_origin in rows[layer]
        assert sample_result.scenario.name in rows[layer]
        assert f"dealernet {dealernet.__version__}" in rows[layer]


# --- GeoParquet ----------------------------------------------------------------------------


@pytest.mark.parametrize("layer", sorted(SPATIAL))
def test_parquet_layers_match_the_geopackage(
    bundle: Path, sample_result: Result, layer: str
) -> None:
    path = bundle / "gis" / f"{layer}.parquet"
    frame = gpd.read_parquet(path)
    assert frame.crs.to_epsg() == 4326
    assert len(frame) == pyogrio.read_info(gpkg(bundle), layer=layer)["features"]
    assert set(frame.geometry.dropna().geom_type) <= {SPATIAL[layer]}
    about = json.loads(pq.read_schema(path).metadata[b"dealernet"])
    assert about["data_origin"] == sample_result.data_origin
    assert about["scenario"] == sample_result.scenario.name
    assert about["dealernet_version"] == dealernet.__version__
    assert about["layer"] == layer


def test_parquet_keeps_the_types(bundle: Path) -> None:
    stores = gpd.read_parquet(bundle / "gis" / "stores.parquet")
    assert stores["same_owner_host"].dtype == "boolean" or stores["same_owner_host"].dtype == bool
    assert pd.api.types.is_integer_dtype(stores["revenue_lost_base"])
    assert pd.api.types.is_string_dtype(stores[DEALER_ID])
    counties = gpd.read_parquet(bundle / "gis" / "counties.parquet")
    assert counties["region"].str.fullmatch(r"\d{5}").all()


# --- edges and failures --------------------------------------------------------------------


def test_an_unknown_format_is_refused(sample_result: Result, tmp_path: Path) -> None:
    with pytest.raises(dealernet.DealernetError, match="shapefile"):
        write_gis_bundle(sample_result, tmp_path, ("shapefile",))
    assert not any(tmp_path.iterdir())


def test_no_market_no_competitors_layer(sample_result: Result) -> None:
    result = copy.deepcopy(sample_result)
    result.market = None
    assert set(gis_layers(result)) == set(SPATIAL) - {"competitors"}


def test_a_run_without_moves_writes_an_empty_line_layer(
    sample_result: Result, tmp_path: Path
) -> None:
    result = copy.deepcopy(sample_result)
    table = result.decisions.table
    table[DECISION] = table[DECISION].replace("absorb", "close")
    (path,) = write_gis_bundle(result, tmp_path)
    info = pyogrio.read_info(path, layer="moves")
    assert info["features"] == 0 and info["geometry_type"] == "LineString"
    assert not pyogrio.read_dataframe(path, layer="host_sites")["takes_store"].any()


def test_a_failed_write_leaves_the_previous_file(
    sample_result: Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (good,) = write_gis_bundle(sample_result, tmp_path)
    before = good.read_bytes()
    written: list[str] = []
    real = gis_bundle._write_layer

    def fail_on_moves(frame: gpd.GeoDataFrame, path: Path, name: str) -> None:
        if name == "moves":
            raise OSError("disk gone")
        real(frame, path, name)
        written.append(name)

    monkeypatch.setattr(gis_bundle, "_write_layer", fail_on_moves)
    with pytest.raises(OSError, match="disk gone"):
        write_gis_bundle(sample_result, tmp_path)
    assert written == ["stores", "host_sites"]  # the failure came mid-file
    assert good.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [GPKG_NAME]  # no temporary left
    fresh = tmp_path / "fresh"
    with pytest.raises(OSError, match="disk gone"):
        write_gis_bundle(sample_result, fresh)
    assert not (fresh / GPKG_NAME).exists() and not list(fresh.iterdir())
