"""Fitting the market's distance decay to sales by customer ZIP, and reading such files.

The synthetic sales are made by a dense hand computation of the Huff model (every point to
every store, geodesic miles, no pairs or cut-off search), so a fit that recovers the decay
they were made with checks the fit and the model's pair machinery against each other.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dealernet._errors import InputFileError, InvalidInputError
from dealernet.analysis.market import Market, Parameters, build_market
from dealernet.analysis.market_fit import (
    DecayFit,
    at_model_points,
    decay_settings,
    fit_decay,
    fit_decays,
    pooled_decay,
    predicted_mean_log_miles,
)
from dealernet.analysis.pipeline import default_assumptions
from dealernet.geo.distance import geodesic_miles
from dealernet.io.zip_sales import ZIP_SALES_COLUMNS, read_zip_sales
from dealernet.schema import DEALER_ID, LATITUDE, LONGITUDE, ZIP

# Three stores of the brand, two of a competitor, one of a third brand, among customers on a
# 20 x 20 grid of 0.1 degree (about 7 miles: ZIP-like) in Oklahoma.
STORE_LAT = np.array([35.5, 35.9, 35.3, 35.7, 36.6, 35.1])
STORE_LON = np.array([-96.5, -95.6, -95.8, -96.9, -96.0, -96.1])
BRAND = np.array([0, 0, 0, 1, 1, 2])
PULL = np.array([1.0, 1.3, 0.8])
IDS = np.array(["A", "B", "C"], dtype=object)
CUTOFF = 150.0


def grid(step: float = 0.1, count: int = 20) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.arange(count) * step
    lat, lon = np.meshgrid(35.0 + offsets, -97.0 + offsets, indexing="ij")
    return lat.ravel(), lon.ravel()


POINT_LAT, POINT_LON = grid()
POPULATION = np.random.default_rng(5).integers(100, 5_000, POINT_LAT.size).astype(float)


def market(
    population: np.ndarray = POPULATION,
    lat: np.ndarray = POINT_LAT,
    lon: np.ndarray = POINT_LON,
    cutoff: float = CUTOFF,
    stores: tuple[np.ndarray, np.ndarray] = (STORE_LAT, STORE_LON),
) -> Market:
    slots = STORE_LAT.size
    return build_market(
        population=population,
        point_lat=lat,
        point_lon=lon,
        slot_lat=stores[0],
        slot_lon=stores[1],
        brand=BRAND,
        brands=("Infiniti", "Lexus", "Acura"),
        before=np.ones(slots, bool),
        after=np.ones(slots, bool),
        dualled=np.zeros(slots, bool),
        store_slot=np.arange(3),
        store_after=np.arange(3),
        cutoff_miles=cutoff,
    )


def params(cutoff: float = CUTOFF, decay: float = 2.0) -> Parameters:
    return Parameters(decay, 3.0, cutoff, 0.77, 10.0, PULL)


def hand_units(
    decay: float,
    store: int,
    population: np.ndarray = POPULATION,
    lat: np.ndarray = POINT_LAT,
    lon: np.ndarray = POINT_LON,
    stores: tuple[np.ndarray, np.ndarray] = (STORE_LAT, STORE_LON),
) -> np.ndarray:
    """Expected sales of a store at each point: Huff over a dense distance matrix."""
    miles = geodesic_miles(lat[:, None], lon[:, None], stores[0][None], stores[1][None])
    pull = PULL[BRAND][None] * np.maximum(miles, 1.0) ** -decay * (miles <= CUTOFF)
    return population * pull[:, store] / pull.sum(axis=1)


def sales_at(units: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> pd.DataFrame:
    """Sales "by ZIP" at given points, bypassing the ZIP lookup."""
    return pd.DataFrame({"units": units, LATITUDE: lat, LONGITUDE: lon})


def at(store: int) -> tuple[float, float]:
    return float(STORE_LAT[store]), float(STORE_LON[store])


def mean_log_miles(
    units: np.ndarray, store: int, lat: np.ndarray, lon: np.ndarray, store_at: tuple | None = None
) -> float:
    miles = geodesic_miles(*(store_at or at(store)), lat, lon)
    return float(units @ np.log(np.maximum(miles, 1.0)) / units.sum())


# --- fitting ------------------------------------------------------------------------------


@pytest.mark.parametrize("decay", [1.5, 2.3, 3.2])
@pytest.mark.parametrize("store", [0, 1, 2])
def test_the_fit_recovers_the_decay_the_sales_were_made_with(decay: float, store: int) -> None:
    units = hand_units(decay, store)
    fit = fit_decay(
        market(), params(), store, sales_at(units, POINT_LAT, POINT_LON), store_at=at(store)
    )
    assert abs(fit.decay - decay) < 0.005
    assert not fit.at_bound
    observed = math.exp(mean_log_miles(units, store, POINT_LAT, POINT_LON))
    assert fit.observed_mean_miles == pytest.approx(observed, rel=1e-9)
    assert fit.predicted_mean_miles_at_fit == pytest.approx(observed, rel=1e-6)
    assert fit.units == pytest.approx(units.sum())
    assert fit.zips == POINT_LAT.size
    assert fit.beyond_cutoff_share == 0.0
    assert fit.assumed_decay == 2.0
    # the assumed value's distance is on the far side of the fit's from the truth
    assert (fit.assumed_mean_miles - observed) * (decay - 2.0) > 0
    assert f"{fit.decay:.2f}" in fit.note


def test_predicted_mean_log_distance_falls_as_the_decay_rises_and_matches_by_hand() -> None:
    m, p = market(), params()
    decays = np.linspace(0.5, 5.0, 19)
    for store in range(3):
        curve = np.array([predicted_mean_log_miles(m, p, store, d) for d in decays])
        assert (np.diff(curve) < 0).all()
        for decay in (1.0, 2.3, 4.0):
            by_hand = mean_log_miles(hand_units(decay, store), store, POINT_LAT, POINT_LON)
            assert predicted_mean_log_miles(m, p, store, decay) == pytest.approx(by_hand, abs=1e-6)


@pytest.mark.parametrize(("made_at", "bound"), [(0.1, 0.5), (7.0, 5.0)])
def test_a_root_outside_the_bounds_gives_the_bound_and_says_so(
    made_at: float, bound: float
) -> None:
    m, p = market(), params()
    assert predicted_mean_log_miles(m, p, 0, 0.5) > predicted_mean_log_miles(m, p, 0, 5.0)
    sales = sales_at(hand_units(made_at, 0), POINT_LAT, POINT_LON)
    fit = fit_decay(m, p, 0, sales, store_at=at(0))
    assert fit.at_bound
    assert fit.decay == bound
    assert "not an estimate" in fit.note
    assert ("this far" in fit.note) == (made_at < bound)
    assert math.isnan(fit.standard_error)
    assert decay_settings(fit, default_assumptions()["market.decay_sales"]) == {}
    # narrower bounds that hold the root find it
    inside = fit_decay(m, p, 0, sales, store_at=at(0), bounds=(0.05, 9.0))
    assert not inside.at_bound
    assert abs(inside.decay - made_at) < 0.005


def test_sales_beyond_the_cutoff_are_left_out_and_their_share_reported() -> None:
    units = hand_units(2.3, 0)
    far = sales_at(np.array([units.sum() / 9]), np.array([40.5]), np.array([-96.5]))  # 345 mi
    assert geodesic_miles(*at(0), 40.5, -96.5) > CUTOFF
    both = pd.concat([sales_at(units, POINT_LAT, POINT_LON), far], ignore_index=True)
    fit = fit_decay(market(), params(), 0, both, store_at=at(0))
    alone = fit_decay(market(), params(), 0, sales_at(units, POINT_LAT, POINT_LON), store_at=at(0))
    assert fit.beyond_cutoff_share == pytest.approx(0.1)
    assert fit.decay == pytest.approx(alone.decay, abs=1e-9)
    assert fit.units == pytest.approx(units.sum())
    assert "10.0% of units came from beyond the 150-mile cut-off" in fit.note
    # the cut-off used is the smaller of the market's and the parameters'
    tighter = fit_decay(market(), params(cutoff=20.0), 0, both, store_at=at(0))
    miles = geodesic_miles(*at(0), both[LATITUDE], both[LONGITUDE])
    assert tighter.units == pytest.approx(float(both["units"][miles <= 20.0].sum()))


def test_no_sale_within_the_cutoff_is_an_error_naming_the_store() -> None:
    far = sales_at(np.array([5.0]), np.array([40.5]), np.array([-96.5]))
    with pytest.raises(InvalidInputError, match="dealer A: no sale within the 150-mile cut-off"):
        fit_decay(market(), params(), 0, far, store_at=at(0), dealer_id="A")
    with pytest.raises(InvalidInputError, match="store 7 is not in the market"):
        fit_decay(market(), params(), 7, far, store_at=at(0))


def test_the_standard_error_matches_the_spread_of_fits_to_sampled_sales() -> None:
    rng = np.random.default_rng(11)
    units = hand_units(2.3, 0)
    m, p = market(), params()
    fits = [
        fit_decay(
            m,
            p,
            0,
            sales_at(rng.multinomial(800, units / units.sum()), POINT_LAT, POINT_LON),
            store_at=at(0),
        )
        for _ in range(80)
    ]
    decays = np.array([f.decay for f in fits])
    errors = np.array([f.standard_error for f in fits])
    assert abs(decays.mean() - 2.3) < 3 * errors.mean() / math.sqrt(len(fits))
    assert 0.75 < decays.std() / errors.mean() < 1.33


def turning_market() -> tuple[Market, Parameters, np.ndarray, tuple[float, float]]:
    """A store with a rival 7 miles away on the side of a big city: a steep decay leaves it
    the points behind it, so its customers' typical distance falls, then rises again."""
    population = np.full(POINT_LAT.size, 1_000.0)
    city = int(np.argmin((POINT_LAT - 35.95) ** 2 + (POINT_LON + 96.05) ** 2))
    population[city] = 500_000.0
    slat, slon = np.array([36.25, 36.15, 35.2]), np.array([-96.05, -96.05, -96.8])
    m = build_market(
        population, POINT_LAT, POINT_LON, slat, slon, np.array([0, 1, 1]), ("I", "L"),
        np.ones(3, bool), np.ones(3, bool), np.zeros(3, bool), np.arange(1), np.arange(1),
        CUTOFF,
    )  # fmt: skip
    p = Parameters(2.0, 3.0, CUTOFF, 0.77, 10.0, np.array([1.0, 1.0]))
    return m, p, population, (float(slat[0]), float(slon[0]))


def turning_units(decay: float, population: np.ndarray) -> np.ndarray:
    slat, slon = np.array([36.25, 36.15, 35.2]), np.array([-96.05, -96.05, -96.8])
    miles = geodesic_miles(POINT_LAT[:, None], POINT_LON[:, None], slat[None], slon[None])
    pull = np.maximum(miles, 1.0) ** -decay * (miles <= CUTOFF)
    return population * pull[:, 0] / pull.sum(axis=1)


def test_a_profile_that_turns_gives_the_root_that_fits_the_spread_and_names_the_other() -> None:
    m, p, population, store_at = turning_market()
    curve = np.array([predicted_mean_log_miles(m, p, 0, d) for d in np.linspace(0.5, 5.0, 19)])
    assert curve.argmin() not in (0, curve.size - 1)  # falls, then rises
    units = turning_units(1.2, population)
    fit = fit_decay(m, p, 0, sales_at(units, POINT_LAT, POINT_LON), store_at=store_at)
    assert abs(fit.decay - 1.2) < 0.005 and not fit.at_bound
    other = float(fit.note.split("also matched at decay ")[1].split(";")[0])
    assert 0.5 <= other < 1.0
    assert predicted_mean_log_miles(m, p, 0, other) == pytest.approx(
        mean_log_miles(units, 0, POINT_LAT, POINT_LON, store_at),
        abs=5e-4,  # other: 2 digits
    )
    # buyers nearer than the model ever puts them: the closest decay, inside the bounds
    closer = units * np.where(population > 1_000, 3.0, 1.0)
    near = fit_decay(m, p, 0, sales_at(closer, POINT_LAT, POINT_LON), store_at=store_at)
    assert near.at_bound and 0.5 < near.decay < 5.0
    assert np.exp(curve.min()) == pytest.approx(near.predicted_mean_miles_at_fit, rel=1e-3)
    assert "this near" in near.note


# --- several stores -----------------------------------------------------------------------


def locations() -> pd.DataFrame:
    return pd.DataFrame({DEALER_ID: IDS, LATITUDE: STORE_LAT[:3], LONGITUDE: STORE_LON[:3]})


def file_of(stores: dict[str, float]) -> pd.DataFrame:
    """A sales file of several stores, each made at its own decay."""
    frames = []
    for dealer, decay in stores.items():
        store = list(IDS).index(dealer)
        frame = sales_at(hand_units(decay, store), POINT_LAT, POINT_LON)
        frames.append(
            frame.assign(**{DEALER_ID: dealer, ZIP: [f"{i:05d}" for i in range(len(frame))]})
        )
    return pd.concat(frames, ignore_index=True)


def test_fit_decays_gives_one_row_per_store_of_the_file_in_its_order() -> None:
    sales = file_of({"C": 2.8, "A": 1.9})
    far = pd.DataFrame(
        {DEALER_ID: ["B"], ZIP: ["99999"], "units": [4.0], LATITUDE: [40.5], LONGITUDE: [-96.5]}
    )
    table = fit_decays(market(), params(), IDS, pd.concat([sales, far]), locations())
    assert list(table[DEALER_ID]) == ["C", "A", "B"]
    assert table["decay"].iloc[:2].to_numpy() == pytest.approx([2.8, 1.9], abs=0.005)
    assert math.isnan(table["decay"].iloc[2])
    assert "no sale within the 150-mile cut-off" in table["note"].iloc[2]
    assert list(table.columns)[:8] == [
        "dealer_id",
        "decay",
        "observed_mean_miles",
        "predicted_mean_miles_at_fit",
        "units",
        "zips",
        "at_bound",
        "note",
    ]


def test_dealer_ids_not_in_the_market_are_an_error_listing_them() -> None:
    sales = file_of({"A": 2.3})
    sales.loc[:4, DEALER_ID] = "Z9"
    sales.loc[5:9, DEALER_ID] = "Q1"
    sales.attrs["source"] = "sales.csv"
    with pytest.raises(InvalidInputError, match=r"sales.csv: 2 dealer id\(s\).*'Z9', 'Q1'"):
        fit_decays(market(), params(), IDS, sales, locations())


def test_the_pooled_fit_lies_between_the_stores_and_recovers_a_shared_decay() -> None:
    m, p = market(), params()
    shared = pooled_decay(m, p, IDS, file_of({"A": 2.3, "B": 2.3, "C": 2.3}), locations())
    assert abs(shared.decay - 2.3) < 0.005
    assert shared.dealer_id == "all stores in the file"
    assert shared.units == pytest.approx(sum(hand_units(2.3, s).sum() for s in range(3)))
    mixed = file_of({"A": 1.8, "B": 2.9})
    each = fit_decays(m, p, IDS, mixed, locations())["decay"]
    pooled = pooled_decay(m, p, IDS, mixed, locations())
    assert each.min() < pooled.decay < each.max()


def test_decay_settings_move_the_base_and_keep_a_range_around_it() -> None:
    assumptions = default_assumptions()
    assumed = assumptions["market.decay_sales"]
    fit = fit_decay(
        market(), params(), 0, sales_at(hand_units(2.3, 0), POINT_LAT, POINT_LON), store_at=at(0)
    )
    inside = decay_settings(fit, assumed)
    assert inside == {"market.decay_sales.base": round(fit.decay, 2)}
    changed = assumptions.with_overrides(inside)["market.decay_sales"]
    assert (changed.low, changed.base, changed.high) == (
        assumed.low,
        round(fit.decay, 2),
        assumed.high,
    )
    steep = DecayFit("A", assumed.high + 0.4, 10.0, 10.0, 500.0, 40, False, "")
    over = decay_settings(steep, assumed)
    assert over == {
        "market.decay_sales.base": assumed.high + 0.4,
        "market.decay_sales.high": assumed.high + 0.4,
    }
    assumptions.with_overrides(over)  # accepted: low <= base <= high


# --- measuring at the model's points -----------------------------------------------------


def test_measuring_sales_at_the_model_points_fits_a_coarse_model_better() -> None:
    """A fine world (0.05 degree) makes the sales; the model has points 0.4 degree apart."""
    rng = np.random.default_rng(1)
    fine_lat, fine_lon = grid(0.05, 40)
    people = rng.gamma(0.5, 2_000, fine_lat.size)
    coarse_lat, coarse_lon = grid(0.4, 5)
    coarse_lat, coarse_lon = coarse_lat + 0.175, coarse_lon + 0.175
    miles = geodesic_miles(fine_lat[:, None], fine_lon[:, None], coarse_lat[None], coarse_lon[None])
    home = miles.argmin(axis=1)
    coarse = market(
        np.bincount(home, weights=people, minlength=coarse_lat.size), coarse_lat, coarse_lon
    )
    raw, snapped = [], []
    for store in range(3):
        sales = sales_at(hand_units(2.3, store, people, fine_lat, fine_lon), fine_lat, fine_lon)
        raw.append(fit_decay(coarse, params(), store, sales, store_at=at(store)).decay)
        snapped.append(
            fit_decay(
                coarse,
                params(),
                store,
                sales,
                store_at=at(store),
                points_at=(coarse_lat, coarse_lon),
            ).decay
        )
    assert max(abs(d - 2.3) for d in snapped) < max(abs(d - 2.3) for d in raw)
    assert max(abs(d - 2.3) for d in snapped) < 0.5


def test_at_model_points_moves_each_sale_to_the_nearest_point_with_people() -> None:
    population = POPULATION.copy()
    population[::2] = 0.0
    m = market(population)
    sales = sales_at(np.ones(30), 35.0 + np.linspace(0, 1.9, 30), -97.0 + np.linspace(1.9, 0, 30))
    moved = at_model_points(sales, m, (POINT_LAT, POINT_LON))
    people = population > 0
    miles = geodesic_miles(
        sales[LATITUDE].to_numpy()[:, None],
        sales[LONGITUDE].to_numpy()[:, None],
        POINT_LAT[people][None],
        POINT_LON[people][None],
    )
    best = miles.argmin(axis=1)
    assert moved[LATITUDE].to_numpy() == pytest.approx(POINT_LAT[people][best])
    assert moved[LONGITUDE].to_numpy() == pytest.approx(POINT_LON[people][best])
    with pytest.raises(InvalidInputError, match="points_at has 3 points; the market has 400"):
        at_model_points(sales, m, (POINT_LAT[:3], POINT_LON[:3]))


# --- reading sales by ZIP ----------------------------------------------------------------


def zipcode(code: str) -> tuple[float, float]:
    import zipcodes

    (found,) = zipcodes.matching(code)
    return float(found["lat"]), float(found["long"])


def write(tmp_path: Path, text: str, name: str = "sales.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def test_read_zip_sales_maps_spellings_normalises_zips_and_adds_up_repeats(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'Dealer Code,Postal_Code,Sales\nA1,10001,5\nA1,75201-1234,"1,234"\n'
        "B2,2108,3\nB2,02108,2\nB2,90210,0\n",
        bom=True,
    )
    frame = read_zip_sales(path)
    assert tuple(frame.columns) == ZIP_SALES_COLUMNS
    assert list(frame[DEALER_ID]) == ["A1", "A1", "B2", "B2"]
    assert list(frame[ZIP]) == ["10001", "75201", "02108", "90210"]
    assert list(frame["units"]) == [5.0, 1234.0, 5.0, 0.0]
    for row in frame.itertuples():
        assert (row.latitude, row.longitude) == pytest.approx(zipcode(row.zip))
    assert frame.attrs["source"] == str(path)


def test_read_zip_sales_reads_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "sales.xlsx"
    pd.DataFrame(
        {"store id": ["7", "7"], "zip_code": [2108, 75201], "new_units": [3, 4.5]}
    ).to_excel(path, index=False)
    frame = read_zip_sales(path)
    assert list(frame[ZIP]) == ["02108", "75201"]
    assert list(frame["units"]) == [3.0, 4.5]
    assert list(frame[DEALER_ID]) == ["7", "7"]


def test_a_missing_column_names_the_file_the_column_and_the_spellings(tmp_path: Path) -> None:
    path = write(tmp_path, "dealer_id,zip,amount\nA,10001,1\n")
    with pytest.raises(InvalidInputError) as caught:
        read_zip_sales(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: the sales-by-ZIP file has no units column")
    assert "'amount'" in text and "'new_units'" in text and "'sales'" in text


def test_bad_rows_are_all_reported_with_their_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "dealer_id,zip,units\n,10001,5\nA,abc,x\nA,75201,-2\nA,90210,\nA,90210,inf\n\nA,10001,1\n",
    )
    with pytest.raises(InvalidInputError) as caught:
        read_zip_sales(path)
    lines = str(caught.value).splitlines()
    assert lines[0] == f"{path}: 6 problem(s) in the sales-by-ZIP file:"
    assert lines[1].strip().startswith("line 2: no dealer id")
    assert lines[2].strip().startswith("line 3: 'abc' is not a ZIP code")
    assert lines[3].strip().startswith("line 3: 'units' is 'x', not a number")
    assert lines[4].strip().startswith("line 4: 'units' is -2, a negative count")
    assert lines[5].strip().startswith("line 5: no 'units'")
    assert lines[6].strip().startswith("line 6: 'units' is 'inf', not a number")


def test_unknown_zips_are_left_out_with_a_warning_naming_up_to_ten(tmp_path: Path) -> None:
    unknown = [f"0000{i}" for i in range(10)] + ["99990", "99991"]
    rows = "".join(f"B,{z},1\n" for z in unknown)
    path = write(tmp_path, f"dealer_id,zip,units\nA,10001,2\nA,75201,3\n{rows}")
    with pytest.warns(UserWarning, match="12 row") as caught:
        frame = read_zip_sales(path)
    text = str(caught[0].message)
    assert "00000, 00001" in text and "and 2 more" in text and "99991" not in text
    assert "stores left with no known ZIP (no fit for them): B" in text
    assert list(frame[ZIP]) == ["10001", "75201"]


def test_a_file_with_no_known_zip_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "dealer_id,zip,units\nA,00000,2\nA,99990,3\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(
            InvalidInputError, match=r"none of its 2 ZIP codes is in the ZIP table \(00000, 99990\)"
        ):
            read_zip_sales(path)


def test_files_that_cannot_be_sales_tables_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such sales-by-ZIP file"):
        read_zip_sales(tmp_path / "missing.csv")
    with pytest.raises(InputFileError, match="must be .csv, .tsv, .txt, .xlsx"):
        read_zip_sales(write(tmp_path, "dealer_id,zip,units\n", name="sales.parquet"))
    with pytest.raises(InputFileError, match="is not a regular file"):
        (tmp_path / "folder.csv").mkdir()
        read_zip_sales(tmp_path / "folder.csv")
    with pytest.raises(InputFileError, match="empty"):
        read_zip_sales(write(tmp_path, "", name="empty.csv"))
    with pytest.raises(InvalidInputError, match="the sales-by-ZIP file has no rows"):
        read_zip_sales(write(tmp_path, "dealer_id,zip,units\n", name="header.csv"))


def test_real_zips_end_to_end_recover_the_decay(tmp_path: Path) -> None:
    """Customers at the ZIP centroids around Dallas; one store at 75201; a file of its sales."""
    import zipcodes

    found = [z for z in zipcodes.filter_by(state="TX") if z["zip_code_type"] == "STANDARD"]
    lat = np.array([float(z["lat"]) for z in found])
    lon = np.array([float(z["long"]) for z in found])
    home = zipcode("75201")
    near = geodesic_miles(*home, lat, lon) <= 120
    codes, lat, lon = (
        [z["zip_code"] for z, n in zip(found, near, strict=True) if n],
        lat[near],
        lon[near],
    )
    people = np.random.default_rng(3).integers(1_000, 40_000, lat.size).astype(float)
    stores = (
        np.array([home[0], 33.0, 32.7, 32.9, 33.2, 32.5]),
        np.array([home[1], -97.3, -96.5, -97.0, -96.6, -97.4]),
    )
    units = np.round(hand_units(2.3, 0, people, lat, lon, stores))  # whole sales, as a file has
    text = "dealer_id,zip_code,sales\n" + "".join(
        f"D1,{c},{u:.0f}\n" for c, u in zip(codes, units, strict=True) if u > 0
    )
    sales = read_zip_sales(write(tmp_path, text))
    ids = np.array(["D1", "D2", "D3"])
    where = pd.DataFrame({DEALER_ID: ids, LATITUDE: stores[0][:3], LONGITUDE: stores[1][:3]})
    table = fit_decays(market(people, lat, lon, stores=stores), params(), ids, sales, where)
    assert len(table) == 1 and table[DEALER_ID].iloc[0] == "D1"
    assert abs(table["decay"].iloc[0] - 2.3) < 0.05
    assert table["zips"].iloc[0] == int((units > 0).sum())
