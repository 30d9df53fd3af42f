"""Fitting the market model's distance decay to a store's real sales by customer ZIP.

The decay ``lambda`` of :mod:`dealernet.analysis.market` is an assumption; a store's sales by
the buyer's ZIP (:func:`dealernet.io.zip_sales.read_zip_sales`) say how far its buyers
really come. The fit matches one number: the units-weighted mean log-distance from the
store to its buyers' ZIP centroids, against the model's mean log-distance of the store's
customers (population x purchase probability over the customer points) today.

Why this estimator
------------------
For a gravity model with a power-law deterrence ``d^-lambda`` and attractiveness held
fixed, the likelihood equation for ``lambda`` is that the observed and the predicted mean
of ``log d`` agree: ``log d`` is the sufficient statistic of the exponent (Hyman 1969, "The
calibration of trip distribution models"; Evans 1971). That is exact when every store's
flows are observed, or the competition a point sees is fixed. With one store's sales
only, the exact likelihood adds, per point, the mean log-distance to the point's other
choices, which the file cannot show; the moment kept here still holds at the true
``lambda``, needs only the distance profile (ZIP centroids need not be the model's
points), and reads as a sentence a dealer can check: "your buyers live a typical 14 miles
away; the model says 19 at 2.0". Distances are geodesic and never below
:data:`~dealernet.analysis.market.NEAR_MILES`, as in the model; sales from beyond the
cut-off are left out (the model gives the store no buyers there) and their share reported.
The roots are found by a scan and Brent's method (:func:`_fit` says why a scan).

How a run uses it
-----------------
The model has one decay for the whole market (drawn in the Monte Carlo), so each store's
fit is reported beside the assumed value (:func:`fit_decays`), and the file's stores are
fitted together (:func:`pooled_decay`) into the one value a user may adopt:
:func:`decay_settings` gives the ``--set`` items, keeping a range around it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from functools import cache

import numpy as np
import pandas as pd

from dealernet._errors import InvalidInputError
from dealernet.analysis.assumptions import Parameter
from dealernet.analysis.market import NEAR_MILES, Market, Pairs, Parameters, huff, slot_weights
from dealernet.schema import DEALER_ID, LATITUDE, LONGITUDE, ZIP

__all__ = [
    "DECAY_BOUNDS",
    "DecayFit",
    "at_model_points",
    "decay_settings",
    "fit_decay",
    "fit_decays",
    "pooled_decay",
    "predicted_mean_log_miles",
]

#: Decays searched: flatter than 0.5 or steeper than 5 is no car market (the assumption's
#: range is 1.5 to 3).
DECAY_BOUNDS = (0.5, 5.0)
#: The units column of a sales-by-ZIP frame (:data:`dealernet.io.zip_sales.UNITS`).
UNITS = "units"
#: Fewer sales than this make a fit too noisy to adopt; the note says so.
FEW_UNITS = 50
#: ``dealer_id`` of the pooled fit.
POOLED = "all stores in the file"
_STEP = 1e-3  # for the slope at the fit (standard error)
_GRID = 0.25  # step of the scan for roots
_TOUCH = 1e-6  # a gap in mean log-miles this small at a turn of the profile is a root


@dataclass(frozen=True)
class DecayFit:
    """The decay fitted to one store's sales (or several stores' together).

    Miles are geometric means (``exp`` of the mean log-distance, the quantity matched).

    Attributes
    ----------
    decay
        The fitted exponent (a bound when ``at_bound``; NaN when no fit could be made).
    observed_mean_miles
        The buyers' typical distance in the file, within the cut-off.
    predicted_mean_miles_at_fit
        The model's typical distance of the store's customers at ``decay``.
    units, zips
        Sales and ZIPs used (within the cut-off).
    at_bound
        No decay within the bounds matches the sales: ``decay`` is the one that comes
        closest (a bound, unless the profile turns inside them), not an estimate.
    note
        What a reader needs to know, in a sentence or two.
    assumed_decay, assumed_mean_miles
        The run's assumed decay and the model's typical distance at it, for comparison.
    standard_error
        Of ``decay``, from the sampling noise of the sales alone (each unit an independent
        buyer): ignores the ZIP centroids and the model's own error, so it is a floor.
    beyond_cutoff_share
        Share of the file's units from beyond the cut-off (left out of the fit).
    """

    dealer_id: str
    decay: float
    observed_mean_miles: float
    predicted_mean_miles_at_fit: float
    units: float
    zips: int
    at_bound: bool
    note: str
    assumed_decay: float = math.nan
    assumed_mean_miles: float = math.nan
    standard_error: float = math.nan
    beyond_cutoff_share: float = 0.0

    @classmethod
    def failed(cls, dealer_id: str, note: str, assumed_decay: float) -> DecayFit:
        """A store whose sales could not be fitted, and why."""
        nan = math.nan
        return cls(dealer_id, nan, nan, nan, 0.0, 0, False, note, assumed_decay=assumed_decay)


@dataclass(frozen=True)
class _Store:
    """One store as the fit sees it: its catchment's pairs and its buyers' profile."""

    dealer_id: str
    pairs: Pairs  # every pair of the points that can buy at the store
    own: np.ndarray  # the store's own pairs among them (a mask)
    observed: tuple[float, float]  # units-weighted mean log-distance and mean square
    units: float  # within the cut-off
    total: float  # in the file
    zips: int


def predicted_mean_log_miles(market: Market, params: Parameters, store: int, decay: float) -> float:
    """The model's mean log-distance of a store's customers today, at ``decay``."""
    cutoff = _cutoff(market, params)
    pairs, own = _catchment(market, store, cutoff)
    return _moments(market, params, pairs, own, decay, cutoff)[0]


def at_model_points(
    sales: pd.DataFrame, market: Market, points_at: tuple[np.ndarray, np.ndarray]
) -> pd.DataFrame:
    """The sales with each ZIP moved to its nearest customer point with people.

    The model knows its customers only at its points; a city's ZIPs all sit at the city's
    point there. Measuring the file at the same points compares like with like: with model
    points 28 miles apart and sales made at decay 2.3 on a grid 8 times finer, three stores'
    fits at the ZIPs gave 1.63 to 3.37, at the points 1.89 to 2.30 (tests/test_market_fit.py).
    """
    from dealernet.geo.distance import SiteIndex

    lat, lon = (np.asarray(a, dtype="float64") for a in points_at)
    if lat.size != market.points or lon.size != market.points:
        msg = (
            f"points_at has {lat.size:,} points; the market has {market.points:,} (pass the "
            "customer points the market was built from, in the same order)"
        )
        raise InvalidInputError(msg)
    people = np.flatnonzero(market.population > 0)
    if not people.size:
        msg = "the market has no customer point with people to measure the sales at"
        raise InvalidInputError(msg)
    nearest, _ = SiteIndex.build(lat[people], lon[people]).nearest(
        sales[LATITUDE].to_numpy(dtype="float64"), sales[LONGITUDE].to_numpy(dtype="float64")
    )
    out = sales.copy()
    out[LATITUDE], out[LONGITUDE] = lat[people][nearest], lon[people][nearest]
    return out


def fit_decay(
    market: Market,
    params: Parameters,
    store: int,
    sales: pd.DataFrame,
    *,
    store_at: tuple[float, float],
    bounds: tuple[float, float] = DECAY_BOUNDS,
    points_at: tuple[np.ndarray, np.ndarray] | None = None,
    dealer_id: str | None = None,
) -> DecayFit:
    """Fit the decay to one store's sales by customer ZIP.

    Parameters
    ----------
    store
        The store's index in ``market.store_slot``.
    sales
        The store's rows: ``units``, ``latitude``, ``longitude`` of each ZIP centroid
        (as :func:`~dealernet.io.zip_sales.read_zip_sales` gives), ``zip`` optional.
    store_at
        The store's (latitude, longitude): the market holds distances, not places.
    points_at
        The model's customer points (latitude, longitude arrays, in the market's order):
        when given, each ZIP's sales are measured at its nearest customer point with
        people (:func:`at_model_points`), which is what to do when the points are coarser
        than ZIPs (a city is one point).
    dealer_id
        Shown in the fit and its messages (default: the store's index).

    Raises
    ------
    InvalidInputError
        No sale within the cut-off, or no customer of the store in the model.
    """
    name = str(store if dealer_id is None else dealer_id)
    if points_at is not None:
        sales = at_model_points(sales, market, points_at)
    data = _prepare(market, params, store, sales, store_at, name)
    return _fit(market, params, [data], bounds, name)


def fit_decays(
    market: Market,
    params: Parameters,
    dealer_ids: np.ndarray,
    sales: pd.DataFrame,
    locations: pd.DataFrame,
    *,
    bounds: tuple[float, float] = DECAY_BOUNDS,
    points_at: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """One fit per store of the sales file, in file order (the rows of ``decay_fits.csv``).

    ``dealer_ids`` are the market's stores (rows of ``market.store_slot``); ``locations``
    any frame with their ``dealer_id``, ``latitude`` and ``longitude`` (the network). A
    store whose sales cannot be fitted (all beyond the cut-off) gets NaN and the reason.
    ``points_at`` as for :func:`fit_decay`.

    Raises
    ------
    InvalidInputError
        A dealer id of the file is not one of the market's stores.
    """
    rows = [
        _fit(market, params, [data], bounds, dealer)
        if isinstance(data, _Store)
        else DecayFit.failed(dealer, data, params.decay_sales)
        for dealer, data in _prepared(market, params, dealer_ids, sales, locations, points_at)
    ]
    return pd.DataFrame([asdict(r) for r in rows], columns=[f.name for f in fields(DecayFit)])


def pooled_decay(
    market: Market,
    params: Parameters,
    dealer_ids: np.ndarray,
    sales: pd.DataFrame,
    locations: pd.DataFrame,
    *,
    bounds: tuple[float, float] = DECAY_BOUNDS,
    points_at: tuple[np.ndarray, np.ndarray] | None = None,
) -> DecayFit:
    """One decay for every store of the file: their units-weighted gaps summed to zero.

    This is the value to run the model with, which has one decay for every store. Stores
    that cannot be fitted (their rows in :func:`fit_decays` say why) are left out and named
    in the note.
    """
    prepared = _prepared(market, params, dealer_ids, sales, locations, points_at)
    data = [d for _, d in prepared if isinstance(d, _Store)]
    skipped = [dealer for dealer, d in prepared if not isinstance(d, _Store)]  # see fit_decays
    if not data:
        msg = f"no store of the sales file can be fitted (stores: {', '.join(skipped)})"
        raise InvalidInputError(msg)
    fit = _fit(market, params, data, bounds, POOLED)
    if skipped:
        left = f" Left out (no fit possible): {', '.join(skipped)}."
        fit = replace(fit, note=fit.note + left)
    return fit


def decay_settings(fit: DecayFit, assumed: Parameter, digits: int = 2) -> dict[str, float]:
    """The ``--set`` items that run the model at a fitted decay.

    The base moves to the fit; the assumed range stays, widened to take the fit in, so the
    Monte Carlo still carries an uncertainty. A fit at a bound or without a value changes
    nothing (an empty dict): it is not an estimate to adopt.
    """
    if fit.at_bound or not math.isfinite(fit.decay):
        return {}
    base = round(fit.decay, digits)
    out = {f"{assumed.key}.base": base}
    if base < assumed.low:
        out[f"{assumed.key}.low"] = base
    if base > assumed.high:
        out[f"{assumed.key}.high"] = base
    return out


# --- the pieces -----------------------------------------------------------------------------


def _cutoff(market: Market, params: Parameters) -> float:
    return min(params.cutoff_miles, market.cutoff_miles)


def _stores(
    dealer_ids: np.ndarray, sales: pd.DataFrame, locations: pd.DataFrame
) -> list[tuple[str, int, tuple[float, float]]]:
    """(dealer id, store index, location) of each store of the file, in file order."""
    index = {str(d): i for i, d in enumerate(dealer_ids)}
    wanted = list(dict.fromkeys(sales[DEALER_ID].astype(str)))
    unknown = [d for d in wanted if d not in index]
    if unknown:
        shown = ", ".join(repr(d) for d in unknown[:20])
        more = f" and {len(unknown) - 20:,} more" if len(unknown) > 20 else ""
        source = sales.attrs.get("source", "the sales-by-ZIP file")
        msg = (
            f"{source}: {len(unknown):,} dealer id(s) are not stores of the market's brand in "
            f"the dealer files: {shown}{more}. Use the dealer ids the dealer files use, for "
            "stores of the brand being folded in."
        )
        raise InvalidInputError(msg)
    first = locations.drop_duplicates(DEALER_ID)
    coords = first[[LATITUDE, LONGITUDE]].to_numpy(dtype="float64")
    where = dict(zip(first[DEALER_ID].astype(str), coords, strict=True))
    missing = [d for d in wanted if d not in where]
    if missing:
        msg = f"dealers {', '.join(missing)} have no location in the dealer files"
        raise InvalidInputError(msg)
    return [(d, index[d], (float(where[d][0]), float(where[d][1]))) for d in wanted]


def _prepared(
    market: Market,
    params: Parameters,
    dealer_ids: np.ndarray,
    sales: pd.DataFrame,
    locations: pd.DataFrame,
    points_at: tuple[np.ndarray, np.ndarray] | None,
) -> list[tuple[str, _Store | str]]:
    """Each store of the file, in file order, prepared for the fit (or why it cannot be)."""
    stores = _stores(dealer_ids, sales, locations)
    if points_at is not None:
        sales = at_model_points(sales, market, points_at)
    out: list[tuple[str, _Store | str]] = []
    for dealer, store, at in stores:
        mine = sales[sales[DEALER_ID].astype(str) == dealer]
        try:
            out.append((dealer, _prepare(market, params, store, mine, at, dealer)))
        except InvalidInputError as exc:
            out.append((dealer, str(exc)))
    return out


def _catchment(market: Market, store: int, cutoff: float) -> tuple[Pairs, np.ndarray]:
    """The pairs within the cut-off of every point that can buy at the store, and which are
    the store's own: solving on them alone makes a fit cost the store's region, not the
    nation's."""
    if not 0 <= store < market.store_slot.size:
        msg = f"store {store} is not in the market (it has {market.store_slot.size} stores)"
        raise InvalidInputError(msg)
    slot = int(market.store_slot[store])
    pairs = market.pairs
    near = pairs.miles <= cutoff
    keep = np.isin(pairs.point, pairs.point[near & (pairs.slot == slot)]) & near
    sub = pairs.subset(keep, market.brand, market.store_slot, market.store_after, market.slots)
    return sub, sub.slot == slot


def _moments(
    market: Market, params: Parameters, pairs: Pairs, own: np.ndarray, decay: float, cutoff: float
) -> tuple[float, float]:
    """The model's mean log-distance of the store's customers, and its mean square."""
    p = huff(pairs, market.points, slot_weights(market, params, "before"), decay, cutoff)
    buyers = market.population[pairs.point[own]] * p[own]
    total = float(buyers.sum())
    if total <= 0:
        return math.nan, math.nan
    logs = pairs.log_miles[own]
    return float(buyers @ logs) / total, float(buyers @ logs**2) / total


def _prepare(
    market: Market,
    params: Parameters,
    store: int,
    sales: pd.DataFrame,
    store_at: tuple[float, float],
    dealer_id: str,
) -> _Store:
    """The store's catchment and its buyers' distance profile within the cut-off."""
    from dealernet.geo.distance import geodesic_miles

    cutoff = _cutoff(market, params)
    pairs, own = _catchment(market, store, cutoff)
    if math.isnan(_moments(market, params, pairs, own, params.decay_sales, cutoff)[0]):
        msg = (
            f"dealer {dealer_id}: the model has no customers within the {cutoff:g}-mile "
            "cut-off of the store to compare its sales with"
        )
        raise InvalidInputError(msg)
    units = pd.to_numeric(sales[UNITS], errors="coerce").to_numpy(dtype="float64")
    if not np.isfinite(units).all() or (units < 0).any():
        msg = f"dealer {dealer_id}: units must be numbers, not negative"
        raise InvalidInputError(msg)
    miles = geodesic_miles(store_at[0], store_at[1], sales[LATITUDE], sales[LONGITUDE])
    inside = miles <= cutoff
    total, used = float(units.sum()), float(units[inside].sum())
    if used <= 0:
        msg = (
            f"dealer {dealer_id}: no sale within the {cutoff:g}-mile cut-off "
            f"({total:g} units in the file): nothing to fit"
        )
        raise InvalidInputError(msg)
    logs, w = np.log(np.maximum(miles[inside], NEAR_MILES)), units[inside]
    zips = sales[ZIP][inside].nunique() if ZIP in sales else int(inside.sum())
    observed = (float(w @ logs) / used, float(w @ logs**2) / used)
    return _Store(dealer_id, pairs, own, observed, used, total, int(zips))


def _fit(
    market: Market,
    params: Parameters,
    stores: list[_Store],
    bounds: tuple[float, float],
    name: str,
) -> DecayFit:
    """Solve sum over stores of units x (predicted - observed mean log-distance) = 0.

    The profile is scanned on a grid first: with competitors close by, the predicted mean
    can fall and then rise again with the decay (a steep decay leaves a store only the
    points nearer to it than to any rival, which may lie behind it), so there can be two
    roots (12 of the 207 Infiniti stores of 2015, with sales made by the model at 2.3), or
    none where the curve turns. Of several roots, the one whose spread of
    log-distance is nearest the file's is kept and the others named in the note; with none,
    the decay that comes closest is reported with ``at_bound`` set.
    """
    from scipy.optimize import brentq, minimize_scalar  # heavy: imported on first use

    low, high = sorted(float(b) for b in bounds)
    cutoff = _cutoff(market, params)
    units = np.array([s.units for s in stores])
    share = units / units.sum()
    observed = share @ np.array([s.observed for s in stores])

    @cache
    def profile(decay: float) -> tuple[float, float]:
        each = [_moments(market, params, s.pairs, s.own, decay, cutoff) for s in stores]
        mean, square = share @ np.array(each)
        return float(mean), float(square)

    def gap(decay: float) -> float:
        return profile(float(decay))[0] - float(observed[0])

    grid = np.linspace(low, high, max(2, math.ceil((high - low) / _GRID) + 1))
    gaps = np.array([gap(d) for d in grid])
    roots = [float(d) for d in grid[gaps == 0]] + [
        float(brentq(gap, grid[k], grid[k + 1], xtol=1e-8))
        for k in np.flatnonzero(gaps[:-1] * gaps[1:] < 0)
    ]
    if roots:
        roots.sort(key=lambda d: abs(profile(d)[1] - float(observed[1])))
        decay, others, at_bound = roots[0], sorted(roots[1:]), False
    else:
        k = int(np.argmin(np.abs(gaps)))
        decay, others, at_bound = float(grid[k]), [], True
        if 0 < k < grid.size - 1:  # the curve turns inside the bounds: its closest point
            closest = minimize_scalar(
                lambda d: abs(gap(d)), bounds=(grid[k - 1], grid[k + 1]), method="bounded"
            )
            decay = float(closest.x)
            at_bound = abs(gap(decay)) > _TOUCH  # the curve's turn touches the file's value
    return _result(stores, name, decay, others, observed, profile, params, at_bound, cutoff)


def _result(
    stores: list[_Store],
    name: str,
    decay: float,
    others: list[float],
    observed: np.ndarray,
    profile: Callable[[float], tuple[float, float]],
    params: Parameters,
    at_bound: bool,
    cutoff: float,
) -> DecayFit:
    units = float(sum(s.units for s in stores))
    error = math.nan
    if not at_bound:
        slope = (profile(decay + _STEP)[0] - profile(decay - _STEP)[0]) / (2 * _STEP)
        # Var(observed mean) with each unit an independent buyer: sum U_j var_j / U^2
        spread = sum(s.units * (s.observed[1] - s.observed[0] ** 2) for s in stores) / units**2
        error = math.sqrt(max(spread, 0.0)) / abs(slope) if slope else math.inf
    fit = DecayFit(
        dealer_id=name,
        decay=decay,
        observed_mean_miles=math.exp(float(observed[0])),
        predicted_mean_miles_at_fit=math.exp(profile(decay)[0]),
        units=units,
        zips=sum(s.zips for s in stores),
        at_bound=at_bound,
        note="",
        assumed_decay=params.decay_sales,
        assumed_mean_miles=math.exp(profile(params.decay_sales)[0]),
        standard_error=error,
        beyond_cutoff_share=1.0 - units / float(sum(s.total for s in stores)),
    )
    return replace(fit, note=_note(fit, others, cutoff))


def _note(fit: DecayFit, others: list[float], cutoff: float) -> str:
    """The fit in a sentence or two, for the table and the run's notes."""
    seen = (
        f"{fit.units:,.0f} units in {fit.zips:,} ZIPs, typical buyer "
        f"{fit.observed_mean_miles:.1f} mi"
    )
    if fit.at_bound:
        far = "far" if fit.observed_mean_miles > fit.predicted_mean_miles_at_fit else "near"
        parts = [
            f"{seen}: at no decay in the bounds are the model's buyers this {far} (closest: "
            f"{fit.decay:.2f}, {fit.predicted_mean_miles_at_fit:.1f} mi), so the value is not "
            "an estimate. Check that the ZIPs are buyers' home ZIPs and the store's location."
        ]
    else:
        parts = [
            f"{seen} (model at the assumed {fit.assumed_decay:g}: "
            f"{fit.assumed_mean_miles:.1f} mi): decay {fit.decay:.2f} +/- "
            f"{fit.standard_error:.2f}."
        ]
    if others:
        parts.append(
            f"The typical distance is also matched at decay {', '.join(f'{d:.2f}' for d in others)}"
            "; this one fits the spread of distances better."
        )
    if fit.units < FEW_UNITS:
        parts.append(f"Fewer than {FEW_UNITS} sales: too few to adopt.")
    if fit.beyond_cutoff_share > 0:
        parts.append(
            f"{fit.beyond_cutoff_share:.1%} of units came from beyond the {cutoff:g}-mile "
            "cut-off and were left out."
        )
    return " ".join(parts)
