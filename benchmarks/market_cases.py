"""The market model's cases: the national Huff market in memory (pairs, solve, the compiled
kernel, in turn) and on a Dask cluster against synthetic population points."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import synthetic
from benchmarks.measure import alternate, measure, total
from benchmarks.row import Row

REPO = Path(__file__).resolve().parents[1]


def real_rosters() -> tuple[list[Path], str] | None:
    """The 2015 Infiniti and Nissan rosters: bundled with the package, else in ../shared."""
    from dealernet.settings import BUNDLED_NETWORKS, REAL_2015

    bundled = BUNDLED_NETWORKS[REAL_2015]
    if (bundled / "infiniti.csv").is_file() and (bundled / "nissan.csv").is_file():
        return [bundled / "infiniti.csv", bundled / "nissan.csv"], "bundled real-2015"
    shared = REPO.parent / "shared" / "data" / "dealers-2015"
    if (shared / "infiniti.json").is_file():
        return [shared / "infiniti.json", shared / "nissan.json"], "shared/data/dealers-2015"
    return None


#: Cut-off of the market cases (the base value of ``market.cutoff_miles``).
MARKET_CUTOFF = 150.0


@dataclass(frozen=True)
class _National:
    """The national market's inputs: what the pipeline hands to ``build_market``."""

    inputs: dict[str, Any]
    params: Any
    customers: Any
    counts: str


@lru_cache(maxsize=1)
def _national_market() -> _National:
    """The real 2015 network under the default scenario, the shipped Census-matched customers
    and competitor rosters, at cut-off 150: ``build_market``'s arguments as
    ``market_run.market_for_decisions`` makes them (recorded from its call, not rebuilt), and
    the base parameters."""
    import inspect
    from unittest import mock

    from dealernet.analysis import market as market_module
    from dealernet.analysis import market_run
    from dealernet.analysis.market import build_market
    from dealernet.analysis.pipeline import default_assumptions, default_scenario
    from dealernet.engine.rules import apply_rules
    from dealernet.geo.customers import load_customers
    from dealernet.io.competitors import load_competitors
    from dealernet.io.loader import load_network

    found = real_rosters()
    if found is None:
        raise ImportError("the real 2015 rosters are not installed")
    scenario, assumptions = default_scenario(), default_assumptions()
    src, dst = scenario.source_brand, scenario.host_brand
    net = load_network(found[0])
    table = apply_rules(net, scenario).table
    customers = load_customers()
    competitors = load_competitors(None, exclude_brands=(src, dst))
    with mock.patch.object(market_module, "build_market", wraps=build_market) as call:
        market, _, brands = market_run.market_for_decisions(
            customers, net, table, competitors, src, MARKET_CUTOFF
        )
    _, base = market_run.market_parameters(assumptions, brands)
    args = inspect.signature(build_market).bind(*call.call_args.args, **call.call_args.kwargs)
    inputs = dict(args.arguments)
    in_reach = int(np.count_nonzero(inputs["population"]))
    hosts = market.slots - len(table) - len(competitors)
    counts = (
        f"{len(customers):,} customer points ({in_reach:,} in reach); {len(table):,} {src} "
        f"stores + {hosts} host rooftops + {len(competitors):,} competitors"
    )
    return _National(inputs, base, customers, counts)


def market(full: bool = True, rounds: int = 3) -> list[Row]:
    """The Huff market model on the national network: pairs (``build_market``) and one
    solve at the base parameters, apart and together, first in a fresh process and then in
    turn with the compiled kernel for ``rounds`` rounds; ``full`` adds ``run_market``."""
    from dealernet.analysis.market import build_market, solve

    sec = "market"
    try:
        nat = _national_market()
    except ImportError as exc:
        return [Row(sec, "national market", "", figure=f"not measured: {exc}")]
    inputs = nat.inputs
    built, m_build = measure(lambda: build_market(**inputs))
    _, m_solve = measure(lambda: solve(built, nat.params))
    pairs = int(built.pairs.point.size)
    size = f"{built.points:,} points x {built.slots:,} slots"
    both = total(m_build, m_solve)
    peers: dict[str, Callable[[], Any]] = {"kernel": partial(measure, _kernel_call(nat))}
    if rounds:
        peers = {"array": lambda: total(*(measure(f)[1] for f in _build_then_solve(nat))), **peers}
    alt = alternate(peers, max(rounds, 1))
    again = (
        f"again, in turn with kernel_sums: {alt.median('array').seconds:.2f} s ({alt.how()})"
        if rounds
        else "not repeated (rounds=0)"
    )
    rows = [
        Row(sec, "national inputs", "", figure=nat.counts + f"; cut-off {MARKET_CUTOFF:.0f} mi"),
        Row.of(
            sec,
            "build_market (pairs: ECEF KD-tree)",
            size,
            m_build,
            figure=f"{pairs:,} pairs ({pairs / built.points:.0f} a point), "
            f"{built.service_pairs.point.size:,} of them the brand's",
        ),
        Row.of(sec, "solve (base parameters)", size, m_solve),
        Row.of(
            sec,
            "build_market + solve",
            size,
            both,
            figure=f"first call in a fresh process; {again}",
            target="< 2 s",
            ok=both.seconds < 2,
        ),
        _kernel_row(alt, size),
    ]
    if full:
        from dealernet.analysis.market_run import run_market
        from dealernet.analysis.pipeline import default_assumptions, default_scenario
        from dealernet.engine.rules import apply_rules
        from dealernet.io.competitors import load_competitors
        from dealernet.io.loader import load_network

        found = real_rosters()
        assert found is not None
        scenario, assumptions = default_scenario(), default_assumptions()
        net = load_network(found[0])
        table = apply_rules(net, scenario).table
        comp = load_competitors(None, exclude_brands=(scenario.source_brand, scenario.host_brand))
        cutoff = assumptions["market.cutoff_miles"].high
        _, m = measure(
            lambda: run_market(nat.customers, net, table, comp, assumptions, scenario.source_brand)
        )
        rows.append(
            Row.of(
                sec,
                f"run_market ({assumptions.market_draws} sets + base)",
                f"{len(nat.customers):,} points, cut-off {cutoff:.0f} mi",
                m,
                figure="what a run does: pairs once at the highest cut-off (kept for the "
                "--zip-sales fits), the sets in one compiled pass",
            )
        )
    return rows


def _kernel_call(nat: _National) -> Callable[[], Any]:
    """The same Huff step through the compiled kernel a run uses (compiled, or loaded from
    numba's cache, by a first call on ten points here, outside any timing)."""
    from dealernet.analysis.market import Slots
    from dealernet.analysis.market_kernel import kernel_sums

    slots = Slots(**{k: v for k, v in nat.inputs.items() if k in Slots.__dataclass_fields__})
    pop, lat, lon = (nat.inputs[k] for k in ("population", "point_lat", "point_lon"))
    kernel_sums(slots, [nat.params], pop[:10], lat[:10], lon[:10])
    return lambda: kernel_sums(slots, [nat.params], pop, lat, lon)[0]


def _kernel_row(alt: Any, size: str) -> Row:
    """The kernel's median against the array model's (build_market + solve), in turn."""
    m = alt.median("kernel")
    return Row.of(
        "market",
        "kernel_sums (compiled: pairs and solve in one pass)",
        size,
        m,
        figure=f"{alt.results['kernel'].pairs:,} pairs; "
        + (
            f"{alt.ratio('array', 'kernel'):.1f}x faster than build_market + solve; {alt.how()}"
            if "array" in alt.runs
            else "one call"
        ),
        target="< 2 s",
        ok=m.seconds < 2,
    )


def _build_then_solve(nat: _National) -> list[Callable[[], object]]:
    from dealernet.analysis.market import build_market, solve

    box: dict[str, Any] = {}

    def build() -> None:
        box["market"] = build_market(**nat.inputs)

    return [build, lambda: solve(box["market"], nat.params)]


def _write_points(points: Any, folder: Path, piece_points: int) -> int:
    """Points as a Parquet dataset: files of up to 1 M rows, row groups of ``piece_points``."""
    files = max(1, -(-len(points) // 1_000_000))
    for i, rows in enumerate(np.array_split(np.arange(len(points)), files)):
        points.iloc[rows].to_parquet(folder / f"part.{i}.parquet", row_group_size=piece_points)
    return -(-len(points) // piece_points)


def market_dask(
    n_points: int,
    n_workers: int = 2,
    piece_points: int = 100_000,
    check: bool = True,
    threads: bool = False,
) -> list[Row]:
    """The national market's slots against ``n_points`` synthetic customers (population-like,
    around every US place) from a Parquet dataset, solved once at the base parameters on a
    local cluster of ``n_workers`` processes (``threads``: an in-process cluster, quick to
    start, for ``--quick``); ``check`` compares the engine with the in-memory solve on the
    shipped customer points."""
    sec = "market"
    try:
        from dealernet.analysis.market import Slots, solve, store_sums
        from dealernet.analysis.market_dask import solve_dask

        nat = _national_market()
    except ImportError as exc:
        return [Row(sec, "market_dask", f"{n_points:,} points", figure=f"not measured: {exc}")]
    slot_args = {k: v for k, v in nat.inputs.items() if k in Slots.__dataclass_fields__}
    slots = Slots(**slot_args)
    size = f"{n_points:,} points x {slots.brand.size:,} slots"
    work = Path(tempfile.mkdtemp(prefix="dealernet-bench-market-"))
    rows = []
    try:
        points = synthetic.population_points(n_points)
        pieces = _write_points(points, work, piece_points)
        sample = points.sample(min(piece_points, len(points)), random_state=0)
        del points
        found, m = measure(lambda: _solve_on_cluster(work, slots, nat.params, n_workers, threads))
        rate = found.pairs / m.seconds / 1e6
        cluster = "in-process cluster, threads" if threads else "LocalCluster"
        rows.append(
            Row.of(
                sec,
                f"solve_dask ({cluster}, {n_workers} workers)",
                size,
                m,
                figure=f"{found.pairs:,} pairs ({found.pairs / max(found.in_reach, 1):.0f} a point "
                f"in reach, {found.in_reach:,} in reach); {pieces} pieces; {rate:.1f} M pairs/s; "
                "cluster start-up included; peak is the client's",
                target="< 60 s" if n_points >= 10_000_000 else "",
                ok=m.seconds < 60 if n_points >= 10_000_000 else None,
            )
        )
        rows.append(_one_piece(sample, slots, nat.params, store_sums))
        if check:
            rows.append(_dask_check(nat, slots, solve, solve_dask, n_workers))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def _solve_on_cluster(path: Path, slots: Any, params: Any, n_workers: int, threads: bool) -> Any:
    """``solve_dask`` on a new local cluster (its start-up and shutdown included)."""
    from dealernet.analysis.market_dask import solve_dask

    if not threads:
        return solve_dask(path, slots, params, n_workers=n_workers)
    from distributed import Client

    with Client(processes=False, n_workers=1, threads_per_worker=n_workers) as client:
        return solve_dask(path, slots, params, scheduler=client)


def _one_piece(
    sample: Any, slots: Any, params: Any, store_sums: Callable[..., Any], rounds: int = 3
) -> Row:
    """One piece's work in this process: the compiled kernel the workers run, in turn with
    the array model (``store_sums`` over pairs built 2,000 points at a time) on the same
    points."""
    from dealernet.analysis.market_kernel import kernel_sums

    lat = sample["latitude"].to_numpy()
    lon = sample["longitude"].to_numpy()
    pop = sample["population"].to_numpy(dtype="float64")
    kernel_sums(slots, [params], pop[:10], lat[:10], lon[:10])  # compiled (or loaded) first

    def arrays() -> None:
        for start in range(0, lat.size, 2_000):
            part = slice(start, start + 2_000)
            store_sums(slots.market(pop[part], lat[part], lon[part]), params)

    alt = alternate(
        {
            "kernel": partial(measure, lambda: kernel_sums(slots, [params], pop, lat, lon)[0]),
            "arrays": partial(measure, arrays),
        },
        rounds,
    )
    found, m, a = alt.results["kernel"], alt.median("kernel"), alt.median("arrays")
    pairs = max(found.pairs, 1)
    return Row.of(
        "market",
        "one piece in this process: compiled kernel (no reach filter)",
        f"{lat.size:,} points",
        m,
        figure=f"{found.pairs:,} pairs; kernel {1e9 * m.seconds / pairs:.0f} ns a pair, array "
        f"model {1e9 * a.seconds / pairs:.0f} ns a pair ({alt.ratio('arrays', 'kernel'):.1f}x)"
        f"; {alt.how()}",
    )


def _dask_check(
    nat: _National,
    slots: Any,
    solve: Callable[..., Any],
    solve_dask: Callable[..., Any],
    n_workers: int,
) -> Row:
    """The engine against the in-memory solve on the shipped customer points."""
    from dealernet.analysis.market import build_market

    work = Path(tempfile.mkdtemp(prefix="dealernet-bench-market-check-"))
    try:
        nat.customers.to_parquet(work / "customers.parquet", row_group_size=5_000)
        got = solve_dask(work, slots, nat.params, n_workers=n_workers).outcome
        want = solve(build_market(**nat.inputs), nat.params)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    worst = {"people": 0.0, "shares": 0.0}
    for name in ("people", "sales", "service_people", "service"):
        a, b = getattr(got, name), getattr(want, name)
        both = np.isfinite(a) & np.isfinite(b)
        if name.endswith("people"):  # relative: people run to thousands
            diff = np.abs(a[both] - b[both]) / np.maximum(np.abs(b[both]), 1e-300)
        else:  # absolute: shares of 1, where 1e-17 against 2e-17 is rounding
            diff = np.abs(a[both] - b[both])
        key = "people" if name.endswith("people") else "shares"
        worst[key] = max(worst[key], float(np.max(diff, initial=0.0)))
        if not np.array_equal(np.isfinite(a), np.isfinite(b)):
            worst[key] = np.inf
    return Row(
        "market",
        "solve_dask = in-memory solve (national customers)",
        f"{len(nat.customers):,} points",
        figure=f"largest difference per store: people {worst['people']:.1e} (relative), "
        f"shares {worst['shares']:.1e} (absolute)",
        target="<= 1e-9 and <= 1e-12",
        ok=worst["people"] <= 1e-9 and worst["shares"] <= 1e-12,
    )
