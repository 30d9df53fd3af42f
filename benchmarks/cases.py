"""The benchmark cases: each builds its inputs, measures, and returns rows for the table.

A case is a plain function of its parameters returning :class:`Row` objects, so the runner
can call it in this process (``--quick``) or in a fresh child process (the full run, where
each case's memory figures then start from a clean interpreter).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import synthetic
from benchmarks.measure import Measured, best_of, measure, run_child, total
from benchmarks.synthetic import Size

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Row:
    """One line of the table."""

    section: str
    name: str
    size: str
    seconds: float | None = None
    peak_mb: float | None = None
    cpu_seconds: float | None = None
    figure: str = ""
    target: str = ""
    ok: bool | None = None

    @classmethod
    def of(cls, section: str, name: str, size: str, m: Measured | None, **kw: Any) -> Row:
        if m is None:
            return cls(section, name, size, **kw)
        return cls(section, name, size, m.seconds, m.peak_mb, m.cpu_seconds, **kw)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _guarded(section: str, name: str, size: str, func: Callable[[], object]) -> Row:
    """Measure a stage whose module may be missing or unfinished; never fail the run."""
    try:
        _, m = measure(func)
    except ImportError as exc:
        return Row(section, name, size, figure=f"not measured: {exc}")
    except Exception as exc:  # report, do not stop the benchmark
        return Row(section, name, size, figure=f"failed: {type(exc).__name__}: {exc}"[:120])
    return Row.of(section, name, size, m)


# --- stages ---------------------------------------------------------------------------------

#: Owner groups whose reports are timed at each size (the rest are scaled from them).
REPORT_SAMPLE = 10


def _affected_owners(result: Any) -> list[str]:
    try:
        from dealernet.render.reports import affected_owners
    except ImportError:
        return []
    return list(affected_owners(result))


def stages(
    sources: int, hosts: int, outputs: bool = True, report_owners: int = REPORT_SAMPLE
) -> list[Row]:
    """Every stage of a run on a synthetic network of the given size.

    ``outputs=False`` skips maps and reports (for ``--quick``: owner reports take seconds);
    ``report_owners`` owner groups' reports are timed and the time scaled to all of them.
    """
    from dealernet.analysis.access import access_for_decisions
    from dealernet.analysis.impact import estimate_impacts
    from dealernet.analysis.pipeline import default_assumptions, default_scenario, run
    from dealernet.engine.colocation import classify
    from dealernet.engine.rules import apply_rules
    from dealernet.geo.places import load_places
    from dealernet.io.loader import load_network

    size = Size(sources, hosts)
    label, sec = size.label, "stages"
    work = Path(tempfile.mkdtemp(prefix="dealernet-bench-"))
    try:
        paths = synthetic.write_network(size, work / "dealers")
        scenario, assumptions = default_scenario(), default_assumptions()
        src, dst = scenario.source_brand, scenario.host_brand
        places = load_places()
        rows = []
        net, m = measure(lambda: load_network(paths))
        rows.append(Row.of(sec, "load + validate (2 CSV files)", label, m))
        _, m = measure(lambda: classify(net, src, dst, scenario.colocation_radius_miles))
        rows.append(Row.of(sec, "classify (co-located / stand-alone)", label, m))
        decisions, m = measure(lambda: apply_rules(net, scenario))
        counts = decisions.table["decision"].value_counts()
        rows.append(
            Row.of(
                sec,
                "rules (default scenario)",
                label,
                m,
                figure=", ".join(f"{v} {k}" for k, v in counts.items()),
            )
        )
        market, m = measure(lambda: _run_market(net, decisions.table, assumptions, src, dst))
        rows.append(Row.of(sec, f"market model ({assumptions.market_draws} sets + base)", label, m))
        _, m = measure(
            lambda: estimate_impacts(net, decisions.table, assumptions, src, dst, market=market)
        )
        rows.append(Row.of(sec, f"impact Monte Carlo ({assumptions.draws:,} draws)", label, m))
        _, m = measure(lambda: access_for_decisions(places, net, decisions.table, src, dst))
        rows.append(Row.of(sec, f"access ({len(places):,} places)", label, m))
        result, m = measure(lambda: run(net, scenario, assumptions, places=places))
        rows.append(Row.of(sec, "run(): all analysis stages", label, m))
        out = work / "out"

        def maps() -> None:
            from dealernet.render.maps import write_map

            write_map(result, out / "network.html")

        def reports() -> None:
            from dealernet.render.reports import write_reports

            write_reports(result, out, owners[:report_owners])

        owners = _affected_owners(result)
        if not outputs:
            rows += [
                Row(sec, "maps (write_map)", label, figure="skipped (--quick)"),
                Row(sec, "owner reports", label, figure="skipped (--quick)"),
            ]
            return rows
        rows.append(_guarded(sec, "maps (write_map)", label, maps))
        row = _guarded(sec, "owner reports (write_reports)", label, reports)
        timed = min(report_owners, len(owners))
        if row.seconds is not None and timed:
            row.figure = (
                f"timed on {timed} of {len(owners):,} owner groups "
                f"({row.seconds:.1f} s), scaled to all"
            )
            row.seconds *= len(owners) / timed
            row.cpu_seconds = (row.cpu_seconds or 0) * len(owners) / timed
        rows.append(row)
        return rows
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- commands -------------------------------------------------------------------------------


def _command() -> list[str]:
    exe = shutil.which("dealernet")
    return [exe] if exe else [sys.executable, "-m", "dealernet"]


def commands(help_runs: int = 5, full_run: bool = True) -> list[Row]:
    """``dealernet --help`` (best of ``help_runs``) and the whole run on the sample.

    The whole run is ``dealernet run`` (tables and the map) plus, while ``run`` does not
    write owner reports itself, ``dealernet report --all`` into the same folder.
    """
    cmd = _command()
    rows = []
    m = best_of(help_runs, lambda: run_child([*cmd, "--help"])[1])
    rows.append(
        Row.of(
            "commands",
            f"dealernet --help (best of {help_runs})",
            "-",
            m,
            target="< 0.5 s",
            ok=m.seconds < 0.5,
        )
    )
    if not full_run:
        rows.append(Row("commands", "dealernet run", "sample", figure="skipped (--quick)"))
        return rows
    out = Path(tempfile.mkdtemp(prefix="dealernet-bench-run-"))
    size = "sample 197 / 1,071"
    try:
        steps = [("dealernet run", [*cmd, "run", "--out", str(out)])]
        done, m = run_child(steps[0][1], cwd=REPO)
        parts = [(steps[0][0], done, m)]
        if done.returncode == 0 and not (out / "owners").exists():
            step = ("dealernet report --all", [*cmd, "report", "--all", "--out", str(out)])
            parts.append((step[0], *run_child(step[1], cwd=REPO)))
        for name, done, m in parts:
            failed = (
                f"exit {done.returncode}: {done.stderr.strip()[-100:]}" if done.returncode else ""
            )
            rows.append(Row.of("commands", f"{name} (subprocess)", size, m, figure=failed))
        files = sorted(p.suffix.lstrip(".") for p in out.rglob("*") if p.is_file())
        what = ", ".join(f"{files.count(s)} {s}" for s in dict.fromkeys(files)) or "nothing"
        ok = all(d.returncode == 0 for _, d, _ in parts)
        whole = total(*(m for _, _, m in parts))
        rows.append(
            Row.of(
                "commands",
                "whole run: " + " + ".join(n for n, _, _ in parts),
                size,
                whole,
                figure=f"wrote {what}",
                target="< 10 s",
                ok=ok and whole.seconds < 10,
            )
        )
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return rows


# --- nearest search -------------------------------------------------------------------------


def _verified_truth(index: Any, lat: np.ndarray, lon: np.ndarray, miles: np.ndarray) -> np.ndarray:
    """The exact geodesic distance to the nearest site of every point, proven, not assumed.

    A chord is never longer than the geodesic, so every site nearer than ``miles`` (any
    site's distance) lies in the chord ball of that radius; the minimum geodesic over the
    ball is the true nearest distance.
    """
    from dealernet.geo.distance import geodesic_miles, to_ecef
    from dealernet.settings import METRES_PER_MILE

    truth = np.empty(lat.size)
    for start in range(0, lat.size, 200_000):
        part = slice(start, start + 200_000)
        radius = miles[part] * METRES_PER_MILE * (1 + 1e-9) + 1.0
        balls = index.tree.query_ball_point(to_ecef(lat[part], lon[part]), radius)
        counts = np.fromiter((len(b) for b in balls), dtype="int64", count=len(balls))
        row = np.repeat(np.arange(counts.size), counts)
        cand = np.fromiter((c for b in balls for c in b), dtype="int64", count=int(counts.sum()))
        dist = geodesic_miles(lat[part][row], lon[part][row], index.lat[cand], index.lon[cand])
        best = np.full(counts.size, np.inf)
        np.minimum.at(best, row, dist)
        truth[part] = best
    return truth


def _sjoin_picks(
    lat: np.ndarray,
    lon: np.ndarray,
    h_lat: np.ndarray,
    h_lon: np.ndarray,
) -> Callable[[], np.ndarray]:
    """A timed callable: ``sjoin_nearest`` in EPSG:5070 (projection included)."""
    import geopandas as gpd

    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat, crs="EPSG:4326"))
    hosts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(h_lon, h_lat, crs="EPSG:4326"))

    def run() -> np.ndarray:
        joined = gpd.sjoin_nearest(pts.to_crs(5070), hosts.to_crs(5070), how="left")
        joined = joined[~joined.index.duplicated(keep="first")]  # equidistant ties: one each
        return joined["index_right"].to_numpy(dtype="int64")

    return run


def nearest(n_points: int, n_hosts: int, brute_sample: int, repeat: int = 3) -> list[Row]:
    """Nearest host: ours against ``sjoin_nearest`` (EPSG:5070) and brute-force geodesics."""
    from dealernet.geo._nearest import nearest_picks, nearest_sites
    from dealernet.geo.distance import SiteIndex, geodesic_miles

    pop = synthetic.population_points(n_points)
    lat, lon = pop["latitude"].to_numpy(), pop["longitude"].to_numpy()
    h_lat, h_lon = synthetic.sites(n_hosts)
    size, sec = f"{n_points:,} x {n_hosts:,}", "nearest host"

    def timed(func: Callable[[], Any]) -> tuple[Any, Measured]:
        results = [measure(func) for _ in range(repeat)]
        return results[0][0], min((r[1] for r in results), key=lambda m: m.seconds)

    picks, m_pick = timed(lambda: nearest_picks(SiteIndex.build(h_lat, h_lon), lat, lon))
    (idx, miles), m_miles = timed(lambda: nearest_sites(SiteIndex.build(h_lat, h_lon), lat, lon))
    _, m_geo = timed(lambda: SiteIndex.build(h_lat, h_lon).nearest(lat, lon))
    sj, m_sj = timed(_sjoin_picks(lat, lon, h_lat, h_lon))
    index = SiteIndex.build(h_lat, h_lon)
    truth = _verified_truth(index, lat, lon, miles)
    tol = 1e-9  # miles: equal distances (ties) are right answers
    wrong_ours = int(np.sum(miles > truth + tol)) + int(np.sum(picks != idx))
    sj_miles = geodesic_miles(lat, lon, h_lat[sj], h_lon[sj])
    wrong_sj = int(np.sum(sj_miles > truth + tol))

    k = min(brute_sample, n_points)
    sample = np.sort(np.random.default_rng(0).choice(n_points, k, replace=False))

    def brute() -> np.ndarray:
        rows = np.repeat(sample, n_hosts)
        cols = np.tile(np.arange(n_hosts), k)
        dist = geodesic_miles(lat[rows], lon[rows], h_lat[cols], h_lon[cols]).reshape(k, n_hosts)
        return dist.min(axis=1)

    b_truth, m_brute = measure(brute)
    brute_s = m_brute.seconds * n_points / k
    b_wrong_ours = int(np.sum(miles[sample] > b_truth + tol))
    b_wrong_sj = int(np.sum(sj_miles[sample] > b_truth + tol))
    checked = f"{k:,} brute-force-checked" if k < n_points else "all brute-force-checked"
    ratio_sj, ratio_brute = m_sj.seconds / m_pick.seconds, brute_s / m_pick.seconds
    big = n_points >= 1_000_000
    rows = [
        Row.of(
            sec,
            "ours: exact pick (ECEF KD-tree + near-tie re-rank)",
            size,
            m_pick,
            figure=f"{wrong_ours} wrong of {n_points:,} verified; {b_wrong_ours} of {checked}"
            f"; {ratio_sj:.1f}x faster than sjoin_nearest, {ratio_brute:,.0f}x than brute",
            target="< 1 s, 0 wrong, >= 5x sjoin" if big else "0 wrong",
            ok=(m_pick.seconds < 1 and ratio_sj >= 5 if big else True)
            and wrong_ours == 0
            and b_wrong_ours == 0,
        ),
        Row.of(
            sec,
            "ours: pick + geodesic miles (_nearest.nearest_sites)",
            size,
            m_miles,
            figure=f"{m_sj.seconds / m_miles.seconds:.1f}x faster than sjoin_nearest",
        ),
        Row.of(sec, "SiteIndex.nearest (geo.py, same answer)", size, m_geo),
        Row.of(
            sec,
            "geopandas.sjoin_nearest, EPSG:5070",
            size,
            m_sj,
            figure=f"{wrong_sj:,} wrong ({100 * wrong_sj / n_points:.2f} %) of all; "
            f"{b_wrong_sj} of {checked}",
        ),
        Row(
            sec,
            "brute force: pyproj Geod to every host",
            size,
            brute_s,
            m_brute.peak_mb,
            figure=f"timed on {k:,} points ({m_brute.seconds:.1f} s), scaled to {n_points:,}"
            if k < n_points
            else f"all {k:,} points",
        ),
    ]
    return rows


# --- rules, access, Monte Carlo -------------------------------------------------------------


def _network(size: Size) -> Any:
    from dealernet.io.loader import load_network

    work = Path(tempfile.mkdtemp(prefix="dealernet-bench-"))
    try:
        return load_network(synthetic.write_network(size, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def rules(sources: int, hosts: int) -> list[Row]:
    """The rule engine with one ``optimal`` capacitated rule, with and without a limit."""
    from dealernet.engine.rules import apply_rules
    from dealernet.engine.scenario import parse_scenario

    net = _network(Size(sources, hosts))
    rows = []
    for limit in (30, None):
        rule: dict[str, object] = {
            "id": "optimal",
            "action": "absorb",
            "capacity": 1,
            "assignment": "optimal",
        }
        if limit is not None:
            rule["max_distance_miles"] = limit
        scenario = parse_scenario(
            {
                "scenario": {
                    "name": "benchmark",
                    "source_brand": "Infiniti",
                    "host_brand": "Nissan",
                },
                "rules": [rule],
            }
        )
        decisions, m = measure(partial(apply_rules, net, scenario))
        counts = decisions.table["decision"].value_counts()
        what = ", ".join(f"{v:,} {k}" for k, v in counts.items())
        rows.append(
            Row.of(
                "rule engine",
                f"optimal, capacity 1, {'30-mile limit' if limit else 'no limit'}",
                f"{sources:,} x {hosts:,}",
                m,
                figure=what,
                target="< 5 s",
                ok=m.seconds < 5,
            )
        )
    return rows


def access(n_points: int, n_sites: int, dask_points: int = 0) -> list[Row]:
    """In-memory access on ``n_points`` against ``n_sites``; optionally the Dask engine."""
    from dealernet.analysis.access import compute_access

    pop = synthetic.population_points(n_points)
    b_lat, b_lon = synthetic.sites(n_sites)
    b_ids = np.array([f"S{i}" for i in range(n_sites)], dtype=object)
    rng = np.random.default_rng(1)
    keep = np.sort(rng.choice(n_sites, round(0.7 * n_sites), replace=False))
    new_lat, new_lon = synthetic.sites(n_sites // 10, seed=synthetic.SEED + 1)
    a_lat, a_lon = np.r_[b_lat[keep], new_lat], np.r_[b_lon[keep], new_lon]
    a_ids = np.r_[b_ids[keep], np.array([f"H{i}" for i in range(new_lat.size)], dtype=object)]
    sites = (b_lat, b_lon, b_ids, a_lat, a_lon, a_ids)
    result, m = measure(lambda: compute_access(pop, *sites))
    s = result.summary
    big = n_points >= 10_000_000
    rows = [
        Row.of(
            "access",
            "compute_access (in memory)",
            f"{n_points:,} x {n_sites:,}",
            m,
            figure=f"mean {s['mean_miles_before']:.2f} -> {s['mean_miles_after']:.2f} miles; "
            f"{len(a_ids):,} sites after",
            target="< 30 s, < 4 GB" if big else "",
            ok=(m.seconds < 30 and (m.peak_mb or 0) < 4096) if big else None,
        )
    ]
    del result
    if dask_points:
        rows.append(_access_dask(pop.iloc[:dask_points].reset_index(drop=True), sites))
    return rows


def _access_dask(pop: Any, sites: tuple[np.ndarray, ...]) -> Row:
    """The Dask engine on a local cluster of two workers, against the in-memory engine."""
    from dealernet.analysis.access import compute_access
    from dealernet.analysis.access_dask import compute_access_dask
    from dealernet.io.population import load_population

    work = Path(tempfile.mkdtemp(prefix="dealernet-bench-dask-"))
    size = f"{len(pop):,} x {sites[0].size:,}"
    try:
        for i, rows in enumerate(np.array_split(np.arange(len(pop)), 8)):
            pop.iloc[rows].to_parquet(work / f"part.{i}.parquet", row_group_size=100_000)
        try:
            result, m = measure(lambda: compute_access_dask(work, *sites, n_workers=2))
        except ImportError as exc:
            return Row("access", "compute_access_dask", size, figure=f"not measured: {exc}")
        same = compute_access(load_population(work), *sites)
        equal = result.summary == same.summary and result.places.equals(same.places)
        return Row.of(
            "access",
            "compute_access_dask (LocalCluster, 2 workers)",
            size,
            m,
            figure=f"identical to in-memory: {'yes' if equal else 'NO'}; "
            "cluster start-up included; peak is the client's",
            target="same as in-memory",
            ok=equal,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def monte_carlo(sites: int, draws: int) -> list[Row]:
    """The impact model's Monte Carlo: ``draws`` draws over ``sites`` source sites."""
    from dealernet.analysis.impact import estimate_impacts
    from dealernet.analysis.pipeline import default_assumptions, default_scenario
    from dealernet.engine.rules import apply_rules

    net = _network(Size(sites, max(sites * 5, 100)))
    scenario = default_scenario()
    assumptions = default_assumptions().with_overrides({"monte_carlo.draws": draws})
    table = apply_rules(net, scenario).table
    brands = (scenario.source_brand, scenario.host_brand)
    market = _run_market(net, table, assumptions, *brands)
    _, m = measure(lambda: estimate_impacts(net, table, assumptions, *brands, market=market))
    big = draws >= 2000 and sites >= 2000
    affected = int(table["decision"].isin(["absorb", "close"]).sum())
    return [
        Row.of(
            "impact",
            "estimate_impacts (Monte Carlo)",
            f"{draws:,} draws x {sites:,} sites",
            m,
            figure=f"{affected:,} sites absorbed or closed",
            target="< 2 s" if big else "",
            ok=m.seconds < 2 if big else None,
        )
    ]


def _run_market(net: Any, table: Any, assumptions: Any, source: str, host: str) -> Any:
    """The solved market the impact model needs: shipped customers and competitor rosters."""
    from dealernet.analysis.market_run import run_market
    from dealernet.geo.customers import load_customers
    from dealernet.io.competitors import load_competitors

    competitors = load_competitors(None, exclude_brands=(source, host))
    return run_market(load_customers(), net, table, competitors, assumptions, source)


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

    found = _real_rosters()
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


def market(full: bool = True, repeat: int = 3) -> list[Row]:
    """The Huff market model on the national network: pairs (``build_market``) and one
    solve at the base parameters, apart and together; ``full`` adds ``run_market``."""
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
    warm = best_of(repeat, lambda: total(*(measure(f)[1] for f in _build_then_solve(nat))))
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
            figure=f"first call in a fresh process; best of {repeat} again: {warm.seconds:.2f} s",
            target="< 2 s",
            ok=both.seconds < 2,
        ),
        _kernel_row(nat, size),
    ]
    if full:
        from dealernet.analysis.market_run import run_market
        from dealernet.analysis.pipeline import default_assumptions, default_scenario
        from dealernet.engine.rules import apply_rules
        from dealernet.io.competitors import load_competitors
        from dealernet.io.loader import load_network

        found = _real_rosters()
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


def _kernel_row(nat: _National, size: str) -> Row:
    """The same Huff step through the compiled kernel a run uses (compiled or loaded from
    numba's cache by a first call on ten points, outside the timing)."""
    from dealernet.analysis.market import Slots
    from dealernet.analysis.market_kernel import kernel_sums

    slots = Slots(**{k: v for k, v in nat.inputs.items() if k in Slots.__dataclass_fields__})
    pop, lat, lon = (nat.inputs[k] for k in ("population", "point_lat", "point_lon"))
    kernel_sums(slots, [nat.params], pop[:10], lat[:10], lon[:10])
    found, m = measure(lambda: kernel_sums(slots, [nat.params], pop, lat, lon)[0])
    return Row.of(
        "market",
        "kernel_sums (compiled: pairs and solve in one pass)",
        size,
        m,
        figure=f"{found.pairs:,} pairs",
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


def _one_piece(sample: Any, slots: Any, params: Any, store_sums: Callable[..., Any]) -> Row:
    """One piece's work in this process: the compiled kernel the workers run, against the
    array model (``store_sums`` over pairs built 2,000 points at a time) on the same points."""
    from dealernet.analysis.market_kernel import kernel_sums

    lat = sample["latitude"].to_numpy()
    lon = sample["longitude"].to_numpy()
    pop = sample["population"].to_numpy(dtype="float64")
    kernel_sums(slots, [params], pop[:10], lat[:10], lon[:10])  # compiled (or loaded) first
    found, m = measure(lambda: kernel_sums(slots, [params], pop, lat, lon)[0])
    pairs = max(found.pairs, 1)
    t0 = time.perf_counter()
    for start in range(0, lat.size, 2_000):
        part = slice(start, start + 2_000)
        store_sums(slots.market(pop[part], lat[part], lon[part]), params)
    arrays = time.perf_counter() - t0
    return Row.of(
        "market",
        "one piece in this process: compiled kernel (no reach filter)",
        f"{lat.size:,} points",
        m,
        figure=f"{found.pairs:,} pairs; kernel {1e9 * m.seconds / pairs:.0f} ns a pair, array "
        f"model {1e9 * arrays / pairs:.0f} ns a pair ({arrays / m.seconds:.1f}x)",
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


def browser_map() -> list[Row]:
    """The national map of the sample: file size, and time to draw every marker in Chromium.

    Uses the screenshot command's measurement (``window.dealernetMap.readyMs``, taken in the
    page from navigation start), offline; the PNG goes to a temporary folder.
    """
    try:
        from dealernet.render.screenshot import take

        with tempfile.TemporaryDirectory() as tmp:
            shot = take(Path(tmp) / "map.png")
    except Exception as exc:  # no browser here: report, do not stop the run
        return [
            Row(
                "maps",
                "national map in headless Chromium",
                "sample",
                figure=f"not measured: {type(exc).__name__}: {exc}"[:150],
            )
        ]
    mb = shot.map_bytes / 1e6
    return [
        Row(
            "maps",
            "national map: file size",
            "sample",
            figure=f"{mb:.2f} MB",
            target="< 5 MB",
            ok=mb < 5,
        ),
        Row(
            "maps",
            "national map: every marker drawn (Chromium, offline)",
            "sample",
            seconds=shot.render_seconds,
            target="< 3 s",
            ok=shot.render_seconds < 3,
            figure=f"{shot.wall_seconds:.2f} s to ready, measured from Python",
        ),
    ]


#: The labelled (Infiniti, Nissan) pairs of the 2015 rosters (tests/data/owners-2015/README.md).
OWNER_PAIRS = REPO / "tests" / "data" / "owner_pairs.csv"
#: Published share of Infiniti stores whose owners also hold a Nissan store (Automotive News
#: and Haig Partners, December 2024), for comparison with what the inference finds.
PUBLISHED_SHARE = 0.43


def _real_rosters() -> tuple[list[Path], str] | None:
    """The 2015 Infiniti and Nissan rosters: bundled with the package, else in ../shared."""
    from dealernet.settings import BUNDLED_NETWORKS, REAL_2015

    bundled = BUNDLED_NETWORKS[REAL_2015]
    if (bundled / "infiniti.csv").is_file() and (bundled / "nissan.csv").is_file():
        return [bundled / "infiniti.csv", bundled / "nissan.csv"], "bundled real-2015"
    shared = REPO.parent / "shared" / "data" / "dealers-2015"
    if (shared / "infiniti.json").is_file():
        return [shared / "infiniti.json", shared / "nissan.json"], "shared/data/dealers-2015"
    return None


def owners() -> list[Row]:
    """Owner inference on the full 2015 rosters: its precision and recall on the pairs
    labelled by hand, and the share of Infiniti stores it puts in a group with a Nissan
    store (published: about 43 %)."""
    import pandas as pd

    from dealernet.io.loader import load_network
    from dealernet.io.owners import grouped_together, infer_owners, owner_counts
    from dealernet.schema import BRAND, OWNER_GROUP

    found = _real_rosters()
    if found is None:
        return [Row("owner inference", "2015 rosters", "", figure="not measured: no roster")]
    paths, where = found
    network = load_network(paths)
    inferred, m = measure(partial(infer_owners, network, "Infiniti", "Nissan"))
    size = f"{len(network):,} stores ({where})"
    pairs = pd.read_csv(OWNER_PAIRS, dtype=str)
    truth = (pairs["same_owner"] == "true").to_numpy()
    keys = zip(pairs["infiniti_id"], pairs["nissan_id"], strict=True)
    grouped = np.array(grouped_together(inferred, [("Infiniti", a, "Nissan", b) for a, b in keys]))
    hits = int((grouped & truth).sum())
    precision, recall = hits / max(int(grouped.sum()), 1), hits / int(truth.sum())
    infiniti = inferred[inferred[BRAND] == "Infiniti"]
    nissan_groups = set(inferred.loc[inferred[BRAND] == "Nissan", OWNER_GROUP].dropna())
    with_nissan = int(infiniti[OWNER_GROUP].isin(nissan_groups).sum())
    counts = {b: owner_counts(inferred, b)["inferred"] for b in ("Infiniti", "Nissan")}
    share = with_nissan / len(infiniti)
    return [
        Row.of(
            "owner inference",
            "infer owners (names, websites, 50 mi)",
            size,
            m,
            figure=f"{counts['Infiniti']:,} Infiniti and {counts['Nissan']:,} Nissan stores "
            f"given an inferred group; {inferred[OWNER_GROUP].nunique():,} groups",
            target="< 10 s",
            ok=m.seconds < 10,
        ),
        Row(
            "owner inference",
            "precision on the labelled pairs",
            f"{len(pairs)} pairs",
            figure=f"{precision:.3f} ({hits} of {int(grouped.sum())} grouped pairs right)",
            target=">= 0.95",
            ok=precision >= 0.95,
        ),
        Row(
            "owner inference",
            "recall on the labelled pairs",
            f"{int(truth.sum())} same-owner pairs",
            figure=f"{recall:.3f} ({hits} of {int(truth.sum())}; see "
            "tests/data/owners-2015/README.md)",
        ),
        Row(
            "owner inference",
            "Infiniti stores grouped with a Nissan store",
            f"{len(infiniti)} Infiniti stores",
            figure=f"{with_nissan} ({share:.1%}); published about {PUBLISHED_SHARE:.0%} "
            "(Automotive News / Haig Partners, Dec 2024, Nissan stores anywhere)",
        ),
    ]


#: Case name -> function, for the runner and child processes.
CASES: dict[str, Callable[..., list[Row]]] = {
    "owners": owners,
    "stages": stages,
    "commands": commands,
    "nearest": nearest,
    "rules": rules,
    "access": access,
    "monte_carlo": monte_carlo,
    "market": market,
    "market_dask": market_dask,
    "browser_map": browser_map,
}
