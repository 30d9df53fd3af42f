"""The compiled market kernel gives the array model's sums, on random markets and real places."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("numba", reason="the compiled market kernel needs numba (pip install numba)")

from dealernet.analysis.market import Parameters, Slots, store_sums
from dealernet.analysis.market_kernel import kernel_sums
from helpers import market_params

#: Relative tolerance on people; shares (of 1) may differ by rounding in absolute terms: the
#: two models add the same terms in different orders, so a share that is 0 in one can be
#: 1e-11 in the other.
RTOL, SHARE_ATOL = 1e-9, 1e-10


def random_slots(rng: np.random.Generator, centre: tuple[float, float], spread: float) -> Slots:
    """A market around ``centre``: brand stores kept, absorbed into hosts or closed, and
    stores of three competing brands."""
    n_src, n_host, n_comp = (
        int(rng.integers(1, 9)),
        int(rng.integers(0, 4)),
        int(rng.integers(0, 20)),
    )
    n_host = min(n_host, n_src)
    total = n_src + n_host + n_comp
    lat = np.clip(centre[0] + rng.uniform(-spread, spread, total), -89.0, 89.0)
    lon = (centre[1] + rng.uniform(-spread, spread, total) + 180.0) % 360.0 - 180.0
    fate = rng.integers(0, 3, n_src)  # 0 kept, 1 absorbed, 2 closed
    if n_host == 0:
        fate = np.where(fate == 1, 0, fate)
    host = n_src + rng.integers(0, max(n_host, 1), n_src)
    store_after = np.where(fate == 0, np.arange(n_src), np.where(fate == 1, host, -1))
    return Slots(
        slot_lat=lat,
        slot_lon=lon,
        brand=np.r_[np.zeros(n_src + n_host, "int64"), rng.integers(1, 4, n_comp)],
        brands=("Infiniti", "Lexus", "BMW", "Audi"),
        before=np.r_[np.ones(n_src, bool), np.zeros(n_host, bool), np.ones(n_comp, bool)],
        after=np.r_[fate == 0, np.ones(n_host + n_comp, bool)],
        dualled=np.r_[np.zeros(n_src, bool), np.ones(n_host, bool), np.zeros(n_comp, bool)],
        store_slot=np.arange(n_src),
        store_after=store_after.astype("int64"),
        cutoff_miles=float(rng.choice([40.0, 150.0])),
    )


def array_model(slots: Slots, params: Parameters, pop, lat, lon):
    return store_sums(slots.market(pop, lat, lon), params)


def assert_same(got, want) -> None:
    sums, before, after = want
    for name in ("people", "service_people"):
        np.testing.assert_allclose(getattr(got.sums, name), getattr(sums, name), rtol=RTOL)
    for name in ("sales", "service"):
        people = sums.people if name == "sales" else sums.service_people
        scale = np.where(people > 0, people, 1.0)[:, None]
        np.testing.assert_allclose(
            getattr(got.sums, name) / scale, getattr(sums, name) / scale, atol=SHARE_ATOL
        )
    np.testing.assert_allclose(got.share_before, before, atol=SHARE_ATOL)
    np.testing.assert_allclose(got.share_after, after, atol=SHARE_ATOL)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    # Ordinary latitudes, the far north, and across the antimeridian (Aleutians).
    centre=st.sampled_from([(39.0, -95.0), (64.0, -150.0), (52.0, 179.8), (21.3, -157.8)]),
    spread=st.sampled_from([0.5, 3.0]),
)
def test_the_kernel_gives_the_array_models_sums(seed: int, centre, spread: float) -> None:
    rng = np.random.default_rng(seed)
    slots = random_slots(rng, centre, spread)
    n = int(rng.integers(1, 60))
    lat = np.clip(centre[0] + rng.uniform(-1.5 * spread, 1.5 * spread, n), -89.0, 89.0)
    lon = (centre[1] + rng.uniform(-1.5 * spread, 1.5 * spread, n) + 180.0) % 360.0 - 180.0
    lat[0], lon[0] = slots.slot_lat[0], slots.slot_lon[0]  # a point at a store: 1 mile apart
    pop = rng.uniform(0.0, 5_000.0, n)
    sets = [
        market_params([1.0, 1.3, 0.8, 1.1]),
        market_params(
            [1.0, 0.7, 1.6, 1.0],
            decay_sales=float(rng.uniform(1.0, 3.0)),
            decay_service=float(rng.uniform(2.0, 4.0)),
            cutoff_miles=float(rng.uniform(20.0, 200.0)),
            dualled=float(rng.uniform(0.5, 1.0)),
        ),
    ]
    found = kernel_sums(slots, sets, pop, lat, lon)
    market = slots.market(pop, lat, lon)
    for got, params in zip(found, sets, strict=True):
        assert got.pairs == market.pairs.point.size
        assert_same(got, array_model(slots, params, pop, lat, lon))


def test_points_beyond_every_store_add_nothing() -> None:
    slots = random_slots(np.random.default_rng(3), (39.0, -95.0), 0.5)
    far = kernel_sums(
        slots,
        [market_params([1.0, 1.3, 0.8, 1.1])],
        np.array([1e6]),
        np.array([-40.0]),
        np.array([20.0]),
    )[0]
    assert far.pairs == 0 and far.share_before[0] == 0.0
    assert not far.sums.people.any() and not far.sums.sales.any()


def _many_points(n: int, seed: int = 5):
    rng = np.random.default_rng(seed)
    slots = random_slots(rng, (39.0, -95.0), 3.0)
    lat = 39.0 + rng.uniform(-4.5, 4.5, n)
    lon = -95.0 + rng.uniform(-4.5, 4.5, n)
    return slots, rng.uniform(0.0, 5_000.0, n), lat, lon


def _flat(found) -> list[np.ndarray]:
    out = []
    for k in found:
        out += [k.sums.people, k.sums.sales, k.sums.service_people, k.sums.service]
        out += [k.share_before, k.share_after, k.in_reach, np.array([k.pairs])]
    return out


def test_the_figures_do_not_depend_on_the_number_of_threads(monkeypatch) -> None:
    """The points are solved in pieces on threads; the pieces' sums are added in piece
    order, so one thread and three give the same bits."""
    import dealernet.analysis.market_kernel as kernel

    monkeypatch.setattr(kernel, "PIECE_POINTS", 97)
    slots, pop, lat, lon = _many_points(2_000)
    sets = [market_params([1.0, 1.3, 0.8, 1.1]), market_params([1.0, 0.7, 1.6, 1.0])]
    assert len(kernel._pieces(lat.size)) == 21
    one = _flat(kernel_sums(slots, sets, pop, lat, lon, threads=1))
    three = _flat(kernel_sums(slots, sets, pop, lat, lon, threads=3))
    for a, b in zip(one, three, strict=True):
        np.testing.assert_array_equal(a, b)
    # One piece of every point: the same figures to rounding (another order of addition).
    monkeypatch.setattr(kernel, "PIECE_POINTS", 10_000)
    whole = kernel_sums(slots, sets, pop, lat, lon, threads=1)
    for got, params in zip(whole, sets, strict=True):
        assert_same(got, array_model(slots, params, pop, lat, lon))
    for a, b in zip(one, _flat(whole), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-9)


def test_there_are_never_more_pieces_than_the_cap() -> None:
    from dealernet.analysis import market_kernel as kernel

    for n in (0, 1, kernel.PIECE_POINTS, kernel.PIECE_POINTS + 1, 10_000_000):
        pieces = kernel._pieces(n)
        assert len(pieces) <= kernel.MAX_PIECES
        covered = np.concatenate([np.arange(p.start, p.stop) for p in pieces])
        np.testing.assert_array_equal(covered, np.arange(n))
