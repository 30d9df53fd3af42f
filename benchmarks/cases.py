"""The benchmark cases: each builds its inputs, measures, and returns rows for the table.

A case is a plain function of its parameters returning :class:`Row` objects, so the runner
can call it in this process (``--quick``) or in a fresh child process (the full run, where
each case's memory figures then start from a clean interpreter).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import synthetic, targets
from benchmarks.explorer_cases import explorer
from benchmarks.market_cases import market, market_dask, real_rosters
from benchmarks.measure import alternate, measure, median_of, run_child
from benchmarks.row import Row, guarded
from benchmarks.synthetic import Size

REPO = Path(__file__).resolve().parents[1]

__all__ = ["CASES", "Row"]


# --- stages ---------------------------------------------------------------------------------


def _affected_owners(result: Any) -> list[str]:
    """The owner groups a run writes reports for (the same function ``write_run`` uses)."""
    from dealernet.render.reports import affected_owners

    return list(affected_owners(result))


def stages(
    scale: float = 1.0,
    outputs: bool = True,
    report_owners: int | None = None,
    market_draws: int | None = None,
) -> list[Row]:
    """Every stage of a run on the sample made ``scale`` times as big (``1``: the sample).

    ``outputs=False`` skips maps and reports (for ``--quick``); ``report_owners`` writes
    the reports of only that many owner groups (big networks), the row saying how many
    the run would write; ``None`` writes every one. ``market_draws`` overrides
    ``monte_carlo.market_draws`` (``--quick``: fewer market solves).
    """
    from dealernet.analysis.access import access_for_decisions
    from dealernet.analysis.impact import estimate_impacts
    from dealernet.analysis.pipeline import default_assumptions, default_scenario, run
    from dealernet.engine.colocation import classify
    from dealernet.engine.rules import apply_rules
    from dealernet.geo.customers import load_customers
    from dealernet.io.loader import load_network

    size = Size.scaled(scale)
    label, sec = size.label, "stages"
    work = Path(tempfile.mkdtemp(prefix="dealernet-bench-"))
    try:
        paths = synthetic.write_network(size, work / "dealers")
        scenario, assumptions = default_scenario(), default_assumptions()
        if market_draws:
            assumptions = assumptions.with_overrides({"monte_carlo.market_draws": market_draws})
        src, hosts = scenario.source_brand, scenario.host_brands
        places = load_customers()
        rows = []
        net, m = measure(lambda: load_network(paths))
        rows.append(Row.of(sec, "load + validate (2 CSV files)", label, m))
        _, m = measure(lambda: classify(net, src, hosts, scenario.colocation_radius_miles))
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
        market, m = measure(lambda: _run_market(net, decisions.table, assumptions, src, hosts))
        rows.append(Row.of(sec, f"market model ({assumptions.market_draws} sets + base)", label, m))
        _, m = measure(
            lambda: estimate_impacts(net, decisions.table, assumptions, src, hosts, market=market)
        )
        rows.append(Row.of(sec, f"impact Monte Carlo ({assumptions.draws:,} draws)", label, m))
        _, m = measure(lambda: access_for_decisions(places, net, decisions.table, src, hosts))
        rows.append(Row.of(sec, f"access ({len(places):,} customer points)", label, m))
        result, m = measure(lambda: run(net, scenario, assumptions, what_drives=False))
        rows.append(Row.of(sec, "run(what_drives=False): every analysis stage", label, m))
        if not outputs:
            rows += [
                Row(sec, "maps (write_map)", label, figure="skipped (--quick)"),
                Row(sec, "owner reports", label, figure="skipped (--quick)"),
            ]
            return rows
        rows += _outputs(result, work / "out", label, report_owners)
        return rows
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _outputs(result: Any, out: Path, label: str, report_owners: int | None) -> list[Row]:
    """The national map and the owner reports of a finished run, as a run writes them."""
    from dealernet.render.maps import write_map
    from dealernet.render.reports import write_reports

    sec = "stages"
    rows = [guarded(sec, "maps (write_map)", label, lambda: write_map(result, out / "net.html"))]
    owners = _affected_owners(result)
    chosen = owners if report_owners is None else owners[:report_owners]
    written: list[Path] = []
    row = guarded(
        sec,
        "owner reports (write_reports)",
        label,
        lambda: written.extend(write_reports(result, out, chosen)),
    )
    reports = [p for p in written if p.suffix == ".html" and p.parent.name == "owners"]
    if row.seconds is not None:
        each = row.seconds / max(len(reports), 1)
        row.figure = (
            f"{len(reports):,} reports written, every affected owner group ({each:.3f} s each)"
            if len(chosen) == len(owners)
            else f"{len(reports):,} reports written of the {len(owners):,} a run writes here "
            f"({each:.3f} s each; not scaled: see the whole-run rows)"
        )
    rows.append(row)
    return rows


# --- commands -------------------------------------------------------------------------------


def commands(help_runs: int = 5) -> list[Row]:
    """``dealernet --help``: the median of ``help_runs`` runs, its memory its own."""
    cmd = targets._command()
    runs = []
    for _ in range(help_runs):
        done, m = run_child([*cmd, "--help"])
        if done.returncode:
            tail = done.stderr.strip()[-100:]
            return [Row("commands", "dealernet --help", "-", figure=f"failed: {tail}")]
        runs.append(m)
    m = median_of(runs)
    return [
        Row.of(
            "commands",
            "dealernet --help",
            "-",
            m,
            figure=f"median of {help_runs}; memory of the command alone (launcher, wait4)",
            target="< 0.5 s",
            ok=m.seconds < 0.5,
        )
    ]


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


def nearest(n_points: int, n_hosts: int, brute_sample: int, rounds: int = 3) -> list[Row]:
    """Nearest host: ours against ``sjoin_nearest`` (EPSG:5070) and brute-force geodesics,
    measured in turn for ``rounds`` rounds (medians, so the ratios share the load)."""
    from dealernet.geo._nearest import nearest_picks, nearest_sites
    from dealernet.geo.distance import SiteIndex, geodesic_miles

    pop = synthetic.population_points(n_points)
    lat, lon = pop["latitude"].to_numpy(), pop["longitude"].to_numpy()
    h_lat, h_lon = synthetic.sites(n_hosts)
    size, sec = f"{n_points:,} x {n_hosts:,}", "nearest host"
    k = min(brute_sample, n_points)
    sample = np.sort(np.random.default_rng(0).choice(n_points, k, replace=False))

    def brute() -> np.ndarray:
        rows = np.repeat(sample, n_hosts)
        cols = np.tile(np.arange(n_hosts), k)
        dist = geodesic_miles(lat[rows], lon[rows], h_lat[cols], h_lon[cols]).reshape(k, n_hosts)
        return dist.min(axis=1)

    alt = alternate(
        {
            "pick": partial(
                measure, lambda: nearest_picks(SiteIndex.build(h_lat, h_lon), lat, lon)
            ),
            "miles": partial(
                measure, lambda: nearest_sites(SiteIndex.build(h_lat, h_lon), lat, lon)
            ),
            "geo": partial(measure, lambda: SiteIndex.build(h_lat, h_lon).nearest(lat, lon)),
            "sjoin": partial(measure, _sjoin_picks(lat, lon, h_lat, h_lon)),
            "brute": partial(measure, brute),
        },
        rounds,
    )
    picks, (idx, miles), sj, b_truth = (alt.results[n] for n in ("pick", "miles", "sjoin", "brute"))
    index = SiteIndex.build(h_lat, h_lon)
    truth = _verified_truth(index, lat, lon, miles)
    tol = 1e-9  # miles: equal distances (ties) are right answers
    wrong_ours = int(np.sum(miles > truth + tol)) + int(np.sum(picks != idx))
    sj_miles = geodesic_miles(lat, lon, h_lat[sj], h_lon[sj])
    wrong_sj = int(np.sum(sj_miles > truth + tol))
    m_pick, m_brute = alt.median("pick"), alt.median("brute")
    brute_s = m_brute.seconds * n_points / k
    b_wrong_ours = int(np.sum(miles[sample] > b_truth + tol))
    b_wrong_sj = int(np.sum(sj_miles[sample] > b_truth + tol))
    checked = f"{k:,} brute-force-checked" if k < n_points else "all brute-force-checked"
    ratio_sj, ratio_brute = alt.ratio("sjoin", "pick"), brute_s / m_pick.seconds
    big = n_points >= 1_000_000
    how = alt.how()
    return [
        Row.of(
            sec,
            "ours: exact pick (ECEF KD-tree + near-tie re-rank)",
            size,
            m_pick,
            figure=f"{wrong_ours} wrong of {n_points:,} verified; {b_wrong_ours} of {checked}"
            f"; {ratio_sj:.1f}x faster than sjoin_nearest, {ratio_brute:,.0f}x than brute; " + how,
            target="< 1 s, 0 wrong, >= 5x sjoin" if big else "0 wrong",
            ok=(m_pick.seconds < 1 and ratio_sj >= 5 if big else True)
            and wrong_ours == 0
            and b_wrong_ours == 0,
        ),
        Row.of(
            sec,
            "ours: pick + geodesic miles (_nearest.nearest_sites)",
            size,
            alt.median("miles"),
            figure=f"{alt.ratio('sjoin', 'miles'):.1f}x faster than sjoin_nearest",
        ),
        Row.of(sec, "SiteIndex.nearest (geo.py, same answer)", size, alt.median("geo")),
        Row.of(
            sec,
            "geopandas.sjoin_nearest, EPSG:5070",
            size,
            alt.median("sjoin"),
            figure=f"{wrong_sj:,} wrong ({100 * wrong_sj / n_points:.2f} %) of all; "
            f"{b_wrong_sj} of {checked}",
        ),
        Row(
            sec,
            "brute force: pyproj Geod to every host",
            size,
            brute_s,
            m_brute.peak_mb,
            figure=f"timed on {k:,} points ({m_brute.seconds:.2f} s), scaled to {n_points:,}"
            if k < n_points
            else f"all {k:,} points",
            load=alt.loads[-1],
        ),
    ]


# --- rules, access, Monte Carlo -------------------------------------------------------------


def _optimal(limit: float | None) -> Any:
    """A scenario of one ``optimal`` capacity-1 absorb rule, with a distance limit or none."""
    from dealernet.engine.scenario import parse_scenario

    rule: dict[str, object] = {"id": "optimal", "action": "absorb", "capacity": 1}
    rule["assignment"] = "optimal"
    if limit is not None:
        rule["max_distance_miles"] = limit
    meta = {"name": "benchmark", "source_brand": "Infiniti", "host_brand": "Nissan"}
    return parse_scenario({"scenario": meta, "rules": [rule]})


#: The optimal rule without a distance limit at 2 k x 10 k sites, seconds (issue 19).
OPTIMAL_SECONDS = 2.0


def rules(sources: int, hosts: int, rounds: int = 3) -> list[Row]:
    """The rule engine with one ``optimal`` capacitated rule, with a 30-mile limit and
    without one, measured in turn."""
    from dealernet.engine.rules import apply_rules

    net = targets.loaded(Size(sources, hosts))
    limits = {"30-mile limit": 30.0, "no limit": None}
    alt = alternate(
        {k: partial(measure, partial(apply_rules, net, _optimal(v))) for k, v in limits.items()},
        rounds,
    )
    big = sources >= 2000 and hosts >= 10_000
    rows = []
    for name in limits:
        m = alt.median(name)
        target = name == "no limit"
        rows.append(
            Row.of(
                "rule engine",
                f"{'(d) ' if target else ''}optimal, capacity 1, {name}",
                f"{sources:,} x {hosts:,}",
                m,
                figure=f"{targets.decided(alt.results[name].table)}; {alt.how()}",
                target=(f"< {OPTIMAL_SECONDS:g} s" + ("" if big else " at 2,000 x 10,000"))
                if target
                else "",
                ok=m.seconds < OPTIMAL_SECONDS if target and big else None,
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


#: Monte Carlo at 2,000 draws x 2,000 stores: seconds (first call) and MB (issue 19).
MONTE_CARLO_SECONDS, MONTE_CARLO_MB = 1.0, 300.0


def monte_carlo(sites: int, draws: int, market_draws: int | None = None) -> list[Row]:
    """The impact model's Monte Carlo: ``draws`` draws over ``sites`` source sites.

    Cold is the first call in the process (its temporaries touched for the first time);
    the memory target is what the call adds to what the process held before it (the
    network, the solved market, the libraries), not the process's whole peak.
    """
    from dealernet.analysis.impact import estimate_impacts
    from dealernet.analysis.pipeline import default_assumptions, default_scenario
    from dealernet.engine.rules import apply_rules

    net = targets.loaded(Size(sites, max(sites * 5, 100)))
    scenario = default_scenario()
    overrides: dict[str, object] = {"monte_carlo.draws": draws}
    if market_draws:
        overrides["monte_carlo.market_draws"] = market_draws
    assumptions = default_assumptions().with_overrides(overrides)
    table = apply_rules(net, scenario).table
    src, hosts = scenario.source_brand, scenario.host_brands
    market = _run_market(net, table, assumptions, src, hosts)

    def call() -> object:
        return estimate_impacts(net, table, assumptions, src, hosts, market=market)

    _, cold = measure(call)
    _, warm = measure(call)
    big = draws >= 2000 and sites >= 2000
    affected = int(table["decision"].isin(["absorb", "close"]).sum())
    added = cold.added_mb or 0.0
    return [
        Row.of(
            "impact",
            "(e) estimate_impacts (Monte Carlo), first call in the process",
            f"{draws:,} draws x {sites:,} stores",
            cold,
            figure=f"adds {added:,.0f} MB to the {(cold.peak_mb or 0) - added:,.0f} MB held "
            f"before; second call {warm.seconds:.2f} s, adds {warm.added_mb or 0:,.0f} MB; "
            f"{affected:,} stores absorbed or closed",
            target=f"< {MONTE_CARLO_SECONDS:g} s, adds < {MONTE_CARLO_MB:g} MB"
            + ("" if big else " at 2,000 x 2,000"),
            ok=cold.seconds < MONTE_CARLO_SECONDS and added < MONTE_CARLO_MB if big else None,
        )
    ]


def _run_market(net: Any, table: Any, assumptions: Any, source: str, hosts: tuple[str, ...]) -> Any:
    """The solved market the impact model needs: shipped customers and competitor rosters."""
    from dealernet.analysis.market_run import run_market
    from dealernet.geo.customers import load_customers
    from dealernet.io.competitors import load_competitors

    competitors = load_competitors(None, exclude_brands=(source, *hosts))
    return run_market(load_customers(), net, table, competitors, assumptions, source)


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


def owners() -> list[Row]:
    """Owner inference on the full 2015 rosters: its precision and recall on the pairs
    labelled by hand, and the share of Infiniti stores it puts in a group with a Nissan
    store (published: about 43 %)."""
    import pandas as pd

    from dealernet.io.loader import load_network
    from dealernet.io.owners import grouped_together, infer_owners, owner_counts
    from dealernet.schema import BRAND, OWNER_GROUP

    found = real_rosters()
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
    "whole_run": targets.whole_run,
    "scaled_run": targets.scaled_run,
    "rule_growth": targets.rule_growth,
    "redecide": targets.redecide,
    "explorer": explorer,
}
