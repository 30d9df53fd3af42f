"""The market model on the map: share change per county, competing stores, both escaped."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pandas as pd
import pytest

from dealernet import InvalidInputError
from dealernet.analysis.market_maps import COUNTY_SHARE_COLUMNS, county_share_change
from dealernet.analysis.result import Result
from dealernet.planning.selection import select
from dealernet.render import maps
from dealernet.render._map_layers import COUNTY_TOLERANCE, _simplified
from dealernet.render._map_market import (
    GAIN_FILLS,
    LOSS_FILLS,
    NEUTRAL_FILL,
    change_edges,
    change_fills,
)
from test_maps import Fragment, Page

HOSTILE_STORE = "<script>alert(1)</script>"
HOSTILE_BRAND = "Volvo <img src=x onerror=alert(2)>"
HOSTILE_SOURCE = "<b>your files</b>: rivals.csv (1 brand, 2 stores)"

#: Downtown Dallas (Dallas County, 48113) and Fort Worth (Tarrant County, 48439).
DALLAS, FORT_WORTH = (32.78, -96.80), (32.75, -97.33)


def _points() -> pd.DataFrame:
    """Seven points in two counties: one with nobody, one without a share, one whose code
    the county layer lacks (placed by its coordinates, in Dallas County)."""
    rows = [
        ("48113", *DALLAS, 1_000, 0.10, 0.08),
        ("48113", *DALLAS, 3_000, 0.06, 0.05),
        ("99999", *DALLAS, 1_000, 0.02, 0.04),  # unknown code: placed by coordinates
        ("48113", *DALLAS, 0, 0.90, 0.00),  # nobody: out of the brand's reach
        ("48439", *FORT_WORTH, 2_000, 0.05, 0.07),
        ("48439", *FORT_WORTH, 500, 0.01, 0.01),
        ("48439", *FORT_WORTH, 800, np.nan, 0.30),  # no share: left out
    ]
    columns = ["county", "latitude", "longitude", "population", "share_before", "share_after"]
    return pd.DataFrame(rows, columns=columns)


def _expected(points: pd.DataFrame, county_of: dict[int, str]) -> dict[str, tuple[float, ...]]:
    """Population-weighted means by plain loops, for the rows that count."""
    sums: dict[str, list[float]] = {}
    for i, row in points.iterrows():
        if not row["population"] > 0 or math.isnan(row["share_before"]):
            continue
        acc = sums.setdefault(county_of[i], [0.0, 0.0, 0.0])
        acc[0] += row["population"]
        acc[1] += row["population"] * row["share_before"]
        acc[2] += row["population"] * row["share_after"]
    return {c: (p, b / p, a / p, (a / p - b / p) * 100) for c, (p, b, a) in sorted(sums.items())}


def _check(table: pd.DataFrame, expected: dict[str, tuple[float, ...]]) -> None:
    assert list(table.columns) == list(COUNTY_SHARE_COLUMNS)
    assert list(table["county"]) == list(expected)
    for row in table.itertuples(index=False):
        got = (row.population, row.share_before, row.share_after, row.change_points)
        assert got == pytest.approx(expected[row.county], rel=1e-12)


def test_county_shares_are_population_weighted_means_of_the_points_that_count() -> None:
    points = _points()
    county_of = {
        i: "48113" if lat == DALLAS[0] else "48439" for i, lat in points["latitude"].items()
    }
    table = county_share_change(points)
    _check(table, _expected(points, county_of))
    names = dict(zip(table["county"], zip(table["name"], table["state"], strict=True), strict=True))
    assert names == {"48113": ("Dallas", "TX"), "48439": ("Tarrant", "TX")}
    dallas = table.set_index("county").loc["48113"]
    assert dallas["change_points"] < 0 < table.set_index("county").loc["48439", "change_points"]


def test_points_without_a_county_column_are_placed_by_their_coordinates() -> None:
    points = _points()
    county_of = {
        i: "48113" if lat == DALLAS[0] else "48439" for i, lat in points["latitude"].items()
    }
    table = county_share_change(points.drop(columns="county"))
    _check(table, _expected(points, county_of))


def test_codes_that_lost_their_leading_zero_still_match() -> None:
    points = pd.DataFrame(
        {
            "county": [1001, "1001"],
            "population": [10, 30],
            "share_before": [0.2, 0.1],
            "share_after": [0.1, 0.1],
        }
    )
    table = county_share_change(points)
    assert list(table["county"]) == ["01001"] and table["name"].iloc[0] == "Autauga"
    assert table["share_before"].iloc[0] == pytest.approx((10 * 0.2 + 30 * 0.1) / 40)


def test_missing_columns_are_a_clear_error() -> None:
    with pytest.raises(InvalidInputError, match="lack share_after, latitude: "):
        county_share_change(_points().drop(columns=["county", "share_after", "latitude"]))
    with pytest.raises(InvalidInputError, match="lack population: "):
        county_share_change(_points().drop(columns=["population"]))


def test_fills_diverge_from_a_neutral_zero_and_deepen_with_the_change() -> None:
    changes = np.array([-6.0, -0.7, -0.1, -0.04, 0.0, 0.04, 0.1, 0.7, 6.0, -0.2, 0.3, 2.0])
    edges = change_edges(changes)
    assert edges[0] == pytest.approx(0.1) and edges == sorted(set(edges))
    fills = change_fills(changes, edges)
    for change, fill in zip(changes, fills, strict=True):
        if round(change, 1) == 0:
            assert fill == NEUTRAL_FILL
        else:
            side = LOSS_FILLS if change < 0 else GAIN_FILLS
            depth = sum(abs(round(change, 1)) >= e - 1e-9 for e in edges)
            assert fill == side[depth - 1]
    assert fills[0] == LOSS_FILLS[len(edges) - 1] and fills[8] == GAIN_FILLS[len(edges) - 1]


# --- maps ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_market(sample_result: Result) -> Result:
    """The sample run with two competing stores whose every text is an attack."""
    assert sample_result.market is not None
    rivals = pd.DataFrame(
        {
            "dealer_id": ["R1", "R2"],
            "name": [HOSTILE_STORE, "{{ 7*7 }} Motors"],
            "brand": [HOSTILE_BRAND, HOSTILE_BRAND],
            "latitude": [32.9, 29.8],
            "longitude": [-96.9, -95.4],
            "state": ["TX", "TX"],
        }
    )
    market = dataclasses.replace(
        sample_result.market, competitors=rivals, competitors_source=HOSTILE_SOURCE
    )
    return dataclasses.replace(sample_result, market=market)


@pytest.fixture(scope="module")
def national(sample_result: Result) -> tuple[str, Page]:
    html = maps.render_map(sample_result)
    return html, Page(html)


def _tips(page: Page) -> dict[str, str]:
    """Each county's tooltip text, by ``County, ST``."""
    out = {}
    for feature in page.data["share"]["features"]:
        text = "".join(Fragment(feature[1]).text)
        out[text.split(":")[0]] = text
    return out


def test_the_share_layer_shows_every_county_in_reach_with_its_figures(
    sample_result: Result, national
) -> None:
    _, page = national
    table = county_share_change(sample_result.market.points)
    drawn = set(_simplified("geoid", COUNTY_TOLERANCE))  # one tiny county has no shape
    reach = table.loc[
        ((table["share_before"] > 0) | (table["share_after"] > 0)) & table["county"].isin(drawn)
    ]
    tips = _tips(page)
    assert len(tips) == len(page.data["share"]["features"]) == len(reach) > 1000
    for row in reach.sample(50, random_state=1).itertuples():
        tip = tips[f"{row.name}, {row.state}"]
        before, after = f"{row.share_before * 100:.1f} %", f"{row.share_after * 100:.1f} %"
        assert f"Infiniti share of luxury buyers {before} \u2192 {after}" in tip
        points = round(row.change_points, 1)
        assert f"({'0.0' if points == 0 else f'{points:+.1f}'} points)" in tip


def test_packed_county_shapes_unpack_to_the_county_layer_geometry(national) -> None:
    _, page = national
    grid = page.data["share"]["grid"]
    simple = _simplified("geoid", COUNTY_TOLERANCE)
    shapes = {}
    for geometry in simple.values():
        polygons = (
            geometry["coordinates"]
            if geometry["type"] == "MultiPolygon"
            else [geometry["coordinates"]]
        )
        shapes[round(polygons[0][0][0][0], 6), round(polygons[0][0][0][1], 6)] = polygons
    for feature in page.data["share"]["features"][:200]:
        unpacked = [
            [np.cumsum(np.reshape(ring, (-1, 2)), axis=0) * grid for ring in polygon]
            for polygon in feature[2]
        ]
        key = (round(unpacked[0][0][0][0], 6), round(unpacked[0][0][0][1], 6))
        expected = shapes[key]
        assert len(unpacked) == len(expected)
        for got_polygon, want_polygon in zip(unpacked, expected, strict=True):
            for got, want in zip(got_polygon, want_polygon, strict=True):
                assert np.allclose(got, np.asarray(want), atol=1e-9)


def test_both_layers_are_in_the_control_and_off_at_first(sample_result: Result, national) -> None:
    html, page = national
    shown = {key: on for key, _kind, on in page.data["groups"]}
    assert {"share", "competitors"} <= set(shown)
    assert not shown["share"] and not shown["competitors"]  # off until switched on
    assert shown["states"]
    assert "Infiniti share change per county" in html and "Competing luxury stores" in html
    assert len(page.data["competitors"]) == len(sample_result.market.competitors) == 3628
    assert f"Competitors: {sample_result.market.competitors_source}" in html


def test_competitor_names_brands_and_source_are_escaped(hostile_market: Result) -> None:
    html = maps.render_map(hostile_market)
    page = Page(html)
    for raw in (HOSTILE_STORE, "<img src=x", "<b>your files</b>"):
        assert raw not in html
    assert "49 Motors" not in html
    fragments = [Fragment(row[2]) for row in page.data["competitors"]]
    texts = ["".join(f.text) for f in fragments]
    assert texts == [
        f"{HOSTILE_STORE} ({HOSTILE_BRAND})",
        f"{{{{ 7*7 }}}} Motors ({HOSTILE_BRAND})",
    ]
    assert all(set(f.tags) <= {"strong"} and not f.attrs for f in fragments)
    assert "Competitors: &lt;b&gt;your files&lt;/b&gt;: rivals.csv" in html
    assert [row[:2] for row in page.data["competitors"]] == [[32.9, -96.9], [29.8, -95.4]]


def test_a_regional_map_shows_the_counties_and_stores_of_its_states(sample_result: Result) -> None:
    page = Page(maps.render_map(sample_result, select(sample_result, states=["TX"])))
    table = county_share_change(sample_result.market.points)
    reach = (table["share_before"] > 0) | (table["share_after"] > 0)
    texas = table.loc[(table["state"] == "TX") & reach]
    tips = _tips(page)
    assert set(tips) == {f"{n}, TX" for n in texas["name"]}
    rivals = sample_result.market.competitors
    assert len(page.data["competitors"]) == int((rivals["state"] == "TX").sum()) > 0


def test_without_a_market_model_the_map_has_neither_layer(sample_result: Result) -> None:
    old = dataclasses.replace(sample_result, market=None)
    html = maps.render_map(old)
    page = Page(html)
    assert "share" not in page.data and "competitors" not in page.data
    assert not {"share", "competitors"} & {g[0] for g in page.data["groups"]}
    for text in ("share change per county", "Competing luxury stores", "Competitors:"):
        assert text not in html
    assert re.search(r"Jobs lost \(base\) per state", html)


def test_a_city_and_the_county_of_its_name_are_told_apart() -> None:
    points = pd.DataFrame(
        {
            "county": ["24510", "24005", "29510", "29189"],
            "population": [1, 1, 1, 1],
            "share_before": [0.1, 0.1, 0.1, 0.1],
            "share_after": [0.1, 0.1, 0.1, 0.1],
        }
    )
    names = list(county_share_change(points)["name"])
    assert names == ["Baltimore County", "Baltimore city", "St. Louis County", "St. Louis city"]


def test_a_run_without_competing_stores_draws_an_empty_layer(sample_result: Result) -> None:
    market = dataclasses.replace(sample_result.market, competitors=pd.DataFrame())
    page = Page(maps.render_map(dataclasses.replace(sample_result, market=market)))
    assert page.data["competitors"] == [] and len(page.data["share"]["features"]) > 1000
