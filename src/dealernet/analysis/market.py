"""The luxury car market as a Huff model: who buys where, before and after a scenario.

Each customer point ``i`` (people at a place) buys from store ``j`` of the luxury segment
with probability

    P_ij = A_j d_ij^-lambda / sum_k A_k d_ik^-lambda

over the stores ``k`` within a cut-off of ``i`` (Huff, 1963), where ``A`` is the store's
attractiveness (its brand's pull; lower for a store that sells from inside another
brand's showroom) and ``d`` the geodesic distance (never less than :data:`NEAR_MILES`).

A scenario changes the store set: a kept store stays, an absorbed store sells from its
host's rooftop as a dualled store, a closed store goes. Solving the model before and after
tells, for each store's customers, where they buy next: at the store's new site, at another
store of the brand, at each competing brand, or nowhere within reach. Service uses the same
model over the brand's own service points, with a steeper decay and an outside option
(independent shops, any other garage) at a fixed distance.

Everything here works on plain arrays (:class:`Market`, :func:`solve`), so a hand-checked
toy market and the national one go through the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Closest distance the model uses: a customer point is a place's centre, not a door, so a
#: store "at" a point is treated as a mile away rather than dividing by zero.
NEAR_MILES = 1.0
#: Name of the destination "no luxury store within the cut-off" in a sales split.
NO_STORE = "no store in reach"


@dataclass(frozen=True)
class Pairs:
    """(point, slot) pairs within the cut-off, sorted by point then slot, and what each
    solve needs of them precomputed once: the slot's brand group, and for the pairs of the
    brand's stores, the store and the pair of the same point at the store's slot after."""

    point: np.ndarray
    slot: np.ndarray
    log_miles: np.ndarray
    miles: np.ndarray
    brand: np.ndarray
    mine: np.ndarray
    store: np.ndarray
    own_at: np.ndarray

    @classmethod
    def build(
        cls,
        point: np.ndarray,
        slot: np.ndarray,
        miles: np.ndarray,
        slot_brand: np.ndarray,
        store_slot: np.ndarray,
        store_after: np.ndarray,
        slots: int,
    ) -> Pairs:
        slot_store = np.full(slots, -1, dtype="int64")
        slot_store[store_slot] = np.arange(store_slot.size)
        store = slot_store[slot]
        mine = np.flatnonzero(store >= 0)
        after = store_after[store[mine]]
        keys = point * slots + slot
        want = point[mine] * slots + np.maximum(after, 0)
        at = np.clip(np.searchsorted(keys, want), 0, max(keys.size - 1, 0))
        found = (after >= 0) & (keys[at] == want) if keys.size else np.zeros(0, bool)
        return cls(
            point=point,
            slot=slot,
            log_miles=np.log(np.maximum(miles, NEAR_MILES)),
            miles=miles,
            brand=slot_brand[slot],
            mine=mine,
            store=store[mine],
            own_at=np.where(found, at, -1),
        )

    def subset(
        self,
        keep: np.ndarray,
        slot_brand: np.ndarray,
        store_slot: np.ndarray,
        store_after: np.ndarray,
        slots: int,
    ) -> Pairs:
        """The pairs ``keep`` (a boolean mask), with their lookups rebuilt."""
        return Pairs.build(
            self.point[keep],
            self.slot[keep],
            self.miles[keep],
            slot_brand,
            store_slot,
            store_after,
            slots,
        )


@dataclass(frozen=True)
class Market:
    """Customer points, store slots and every (point, slot) pair within the cut-off.

    Slots are the stores of the segment before the scenario, plus one slot per host site
    that takes an absorbed store (the brand's store at the host's rooftop). Which slots
    trade before and after is given per slot, so one set of pairs serves both worlds and
    every parameter draw.

    Attributes
    ----------
    population
        People at each customer point.
    pairs
        Every (point, slot) pair within ``cutoff_miles`` (:class:`Pairs`).
    service_pairs
        The pairs of the brand's own slots only: service chooses among them.
    brand
        Brand group of each slot: ``0`` is the brand folded in, ``1..`` the competitors
        named in ``brands``.
    brands
        Group names, the folded-in brand first.
    before, after
        Whether each slot trades before / after the scenario.
    dualled
        Slots that sell from inside another brand's showroom after the scenario.
    store_slot, store_after
        For each store of the brand (in the caller's order): its slot before, and the slot
        its customers find it at afterwards (itself if kept, its host's slot if absorbed,
        ``-1`` if closed).
    cutoff_miles
        Largest distance any pair holds; a smaller cut-off may be used when solving.
    """

    population: np.ndarray
    pairs: Pairs
    service_pairs: Pairs
    brand: np.ndarray
    brands: tuple[str, ...]
    before: np.ndarray
    after: np.ndarray
    dualled: np.ndarray
    store_slot: np.ndarray
    store_after: np.ndarray
    cutoff_miles: float

    @property
    def points(self) -> int:
        return int(self.population.size)

    @property
    def slots(self) -> int:
        return int(self.brand.size)


@dataclass(frozen=True)
class Parameters:
    """One set of market parameters (one Monte Carlo draw, or the base values).

    ``attractiveness`` holds one value per brand group (folded-in brand first).
    """

    decay_sales: float
    decay_service: float
    cutoff_miles: float
    dualled: float
    service_outside_miles: float
    attractiveness: np.ndarray


@dataclass(frozen=True)
class Outcome:
    """Where each store's customers buy, before and after, for one parameter set.

    Attributes
    ----------
    people
        Per store: people whose luxury purchases go to it today (people-equivalents:
        the sum over points of population x purchase probability).
    sales
        Per store x destination, shares of its sales customers summing to 1 (when it has
        any): ``destinations`` names the columns.
    service_people, service
        The same for service: columns ``site``, ``brand_other``, ``elsewhere``.
    share_before, share_after
        Per customer point: the folded-in brand's share of luxury purchases. ``None``
        when the points were solved part by part on Dask
        (:mod:`dealernet.analysis.market_dask`), where millions of them are not collected.
    """

    people: np.ndarray
    sales: np.ndarray
    destinations: tuple[str, ...]
    service_people: np.ndarray
    service: np.ndarray
    share_before: np.ndarray | None
    share_after: np.ndarray | None


#: Columns of :attr:`Outcome.service`.
SERVICE_DESTINATIONS = ("site", "brand_other", "elsewhere")


def destinations(brands: tuple[str, ...]) -> tuple[str, ...]:
    """Columns of :attr:`Outcome.sales`: the store's own site after, the brand's other
    stores, each competing brand, and no store within reach."""
    return ("site", "brand_other", *brands[1:], NO_STORE)


def build_market(
    population: np.ndarray,
    point_lat: np.ndarray,
    point_lon: np.ndarray,
    slot_lat: np.ndarray,
    slot_lon: np.ndarray,
    brand: np.ndarray,
    brands: tuple[str, ...],
    before: np.ndarray,
    after: np.ndarray,
    dualled: np.ndarray,
    store_slot: np.ndarray,
    store_after: np.ndarray,
    cutoff_miles: float,
) -> Market:
    """Find every pair within ``cutoff_miles`` (a KD-tree search, no dense matrix)."""
    from dealernet.geo.distance import pairs_within

    brand = np.asarray(brand, dtype="int64")
    store_slot = np.asarray(store_slot, dtype="int64")
    store_after = np.asarray(store_after, dtype="int64")
    point, slot, miles = pairs_within(point_lat, point_lon, slot_lat, slot_lon, cutoff_miles)
    lookups = (brand, store_slot, store_after, brand.size)
    pairs = Pairs.build(point, slot, miles, *lookups)
    return Market(
        population=np.asarray(population, dtype="float64"),
        pairs=pairs,
        service_pairs=pairs.subset(pairs.brand == 0, *lookups),
        brand=brand,
        brands=tuple(brands),
        before=np.asarray(before, dtype=bool),
        after=np.asarray(after, dtype=bool),
        dualled=np.asarray(dualled, dtype=bool),
        store_slot=store_slot,
        store_after=store_after,
        cutoff_miles=float(cutoff_miles),
    )


@dataclass(frozen=True)
class Slots:
    """The store side of a market: every argument of :func:`build_market` but the points.

    It is what each part of a population needs to be solved on its own
    (:mod:`dealernet.analysis.market_dask` sends it to every worker once).
    """

    slot_lat: np.ndarray
    slot_lon: np.ndarray
    brand: np.ndarray
    brands: tuple[str, ...]
    before: np.ndarray
    after: np.ndarray
    dualled: np.ndarray
    store_slot: np.ndarray
    store_after: np.ndarray
    cutoff_miles: float

    @property
    def stores(self) -> int:
        """Stores of the brand folded in (rows of every per-store result)."""
        return int(np.asarray(self.store_slot).size)

    def market(
        self, population: np.ndarray, point_lat: np.ndarray, point_lon: np.ndarray
    ) -> Market:
        """The market of these slots and the given customer points."""
        return build_market(
            population,
            point_lat,
            point_lon,
            slot_lat=self.slot_lat,
            slot_lon=self.slot_lon,
            brand=self.brand,
            brands=self.brands,
            before=self.before,
            after=self.after,
            dualled=self.dualled,
            store_slot=self.store_slot,
            store_after=self.store_after,
            cutoff_miles=self.cutoff_miles,
        )


def huff(
    pairs: Pairs,
    points: int,
    weight: np.ndarray,
    decay: float,
    cutoff_miles: float,
    outside_weight: float = 0.0,
) -> np.ndarray:
    """Probability of each pair's point buying at its slot.

    ``weight`` is each slot's attractiveness (0 = not trading); ``outside_weight`` the
    weight of a choice outside the slots (service elsewhere), which takes the rest.
    """
    decayed = _decayed(pairs, decay, cutoff_miles)
    return _probabilities(pairs, points, weight, decayed, outside_weight)


def _decayed(pairs: Pairs, decay: float, cutoff_miles: float) -> np.ndarray:
    """Each pair's distance decay ``d ** -decay``, 0 beyond the cut-off: the same in the
    worlds before and after, so a solve computes it once for both."""
    decayed = np.exp(-decay * pairs.log_miles)
    if cutoff_miles < float(pairs.miles.max(initial=0.0)):
        decayed[pairs.miles > cutoff_miles] = 0.0
    return decayed


def _probabilities(
    pairs: Pairs,
    points: int,
    weight: np.ndarray,
    decayed: np.ndarray,
    outside_weight: float = 0.0,
) -> np.ndarray:
    """:func:`huff` from the pairs' decay terms (:func:`_decayed`)."""
    w = weight[pairs.slot] * decayed
    total = np.bincount(pairs.point, weights=w, minlength=points) + outside_weight
    at = total[pairs.point]
    return np.divide(w, at, out=np.zeros_like(w), where=at > 0)


def slot_weights(market: Market | Slots, params: Parameters, world: str) -> np.ndarray:
    """Attractiveness of every slot in the ``"before"`` or ``"after"`` world (a market's
    slots, or the :class:`Slots` alone: only the slot columns are read)."""
    active = np.asarray(market.before if world == "before" else market.after, dtype=bool)
    weight = params.attractiveness[np.asarray(market.brand)] * active
    if world == "after":
        weight = np.where(np.asarray(market.dualled, dtype=bool), weight * params.dualled, weight)
    return weight


@dataclass(frozen=True)
class StoreSums:
    """A solve's per-store totals before they become shares.

    Each is a sum over customer points, so the sums of disjoint sets of points add up to
    the sums of their union: a population too big for memory is solved part by part
    (:mod:`dealernet.analysis.market_dask`) and the parts' sums added.

    Attributes
    ----------
    people, service_people
        Per store: people-equivalents buying (servicing) there today.
    sales, service
        Per store x destination: those people-equivalents times the share going there
        after (the numerators of :attr:`Outcome.sales` and :attr:`Outcome.service`).
    """

    people: np.ndarray
    sales: np.ndarray
    service_people: np.ndarray
    service: np.ndarray

    def __add__(self, other: StoreSums) -> StoreSums:
        return StoreSums(
            people=self.people + other.people,
            sales=self.sales + other.sales,
            service_people=self.service_people + other.service_people,
            service=self.service + other.service,
        )

    def outcome(
        self,
        brands: tuple[str, ...],
        share_before: np.ndarray | None,
        share_after: np.ndarray | None,
    ) -> Outcome:
        """The :class:`Outcome`: each store's sums divided by its people."""
        return Outcome(
            people=self.people,
            sales=_shares(self.people, self.sales),
            destinations=destinations(brands),
            service_people=self.service_people,
            service=_shares(self.service_people, self.service),
            share_before=share_before,
            share_after=share_after,
        )


def solve(market: Market, params: Parameters) -> Outcome:
    """Customers before and where they go after, for one parameter set."""
    sums, share_before, share_after = store_sums(market, params)
    return sums.outcome(market.brands, share_before, share_after)


def store_sums(market: Market, params: Parameters) -> tuple[StoreSums, np.ndarray, np.ndarray]:
    """What :func:`solve` adds up per store, and each point's brand share before and after.

    The sums of markets over disjoint sets of points (same slots) add up to the sums of
    the market over all of them; :meth:`StoreSums.outcome` turns them into an outcome.
    """
    cutoff = min(params.cutoff_miles, market.cutoff_miles)
    groups = len(market.brands)
    n, pairs = market.points, market.pairs
    decayed = _decayed(pairs, params.decay_sales, cutoff)
    p0 = _probabilities(pairs, n, slot_weights(market, params, "before"), decayed)
    p1 = _probabilities(pairs, n, slot_weights(market, params, "after"), decayed)
    key = pairs.point * groups + pairs.brand if groups > 1 else pairs.point
    g0, g1 = _by_brand(key, n, p0, groups), _by_brand(key, n, p1, groups)
    people, sales = _split_sums(market, pairs, p0, p1, g0, g1)

    own = market.service_pairs
    outside = float(np.exp(-params.decay_service * np.log(params.service_outside_miles)))
    decayed = _decayed(own, params.decay_service, cutoff)
    s0 = _probabilities(own, n, market.before * 1.0, decayed, outside)
    s1 = _probabilities(own, n, market.after * 1.0, decayed, outside)
    service_people, service = _split_sums(
        market, own, s0, s1, _by_brand(own.point, n, s0, 1), _by_brand(own.point, n, s1, 1)
    )
    sums = StoreSums(people=people, sales=sales, service_people=service_people, service=service)
    return sums, g0[:, 0], g1[:, 0]


def _by_brand(key: np.ndarray, points: int, p: np.ndarray, groups: int) -> np.ndarray:
    """Per point, the probability of buying at each brand group (``groups`` of them);
    ``key`` is each pair's ``point * groups + brand`` (its point when ``groups == 1``)."""
    flat = np.bincount(key, weights=p, minlength=points * groups)
    return flat.reshape(points, groups)


def _split_sums(
    market: Market, pairs: Pairs, p0: np.ndarray, p1: np.ndarray, g0: np.ndarray, g1: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each store's customers (by ``p0``) and how many of them go to each destination after.

    A store that moves or changes keeps its customers' taste for it (the same alternative,
    in random-utility terms): at a point where its chance falls from ``p`` to ``p'``, a
    share ``p' / p`` stay (all of them if it rose). The rest leave for the destinations
    that gained at that point (the brand's other stores, each other brand group, and no
    choice within reach or the outside option), in proportion to their gains; with one
    store changing this is exactly the multinomial-logit diversion. Columns: own site, the
    brand's other stores, the other groups of ``g0`` (``g0.shape[1] - 1``), the rest.
    """
    stores = market.store_slot.size
    point, store, before = pairs.point[pairs.mine], pairs.store, p0[pairs.mine]
    own = np.where(pairs.own_at >= 0, p1[np.maximum(pairs.own_at, 0)], 0.0)
    stay = np.divide(np.minimum(own, before), before, out=np.zeros_like(own), where=before > 0)
    at0, at1 = g0[point], g1[point]  # each pair's point's row, taken once
    gains = np.column_stack(
        [
            np.maximum((at1[:, 0] - own) - (at0[:, 0] - before), 0.0),
            *(np.maximum(at1[:, g] - at0[:, g], 0.0) for g in range(1, g0.shape[1])),
            np.maximum(at0.sum(axis=1) - at1.sum(axis=1), 0.0),
        ]
    )
    total = gains.sum(axis=1, keepdims=True)
    leave = np.where(total > 0, gains / np.where(total > 0, total, 1.0), _fallback(at1, own))
    buyers = market.population[point] * before
    columns = np.column_stack([stay, (1 - stay)[:, None] * leave])
    people = np.bincount(store, weights=buyers, minlength=stores)
    split = np.column_stack(
        [np.bincount(store, weights=buyers * c, minlength=stores) for c in columns.T]
    )
    return people, split


def _shares(people: np.ndarray, split: np.ndarray) -> np.ndarray:
    """Each row of ``split`` divided by its store's people (NaN for a store with none)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(people[:, None] > 0, split / people[:, None], np.nan)


def _fallback(at1: np.ndarray, own: np.ndarray) -> np.ndarray:
    """Where leavers go when no destination gained (rounding): by the shares after
    (``at1``: each pair's point's row of the shares after)."""
    after = np.column_stack([at1[:, 0] - own, at1[:, 1:], np.clip(1 - at1.sum(axis=1), 0.0, None)])
    total = after.sum(axis=1, keepdims=True)
    out = np.divide(after, total, out=np.zeros_like(after), where=total > 0)
    out[:, -1] = np.where(total[:, 0] > 0, out[:, -1], 1.0)
    return out
