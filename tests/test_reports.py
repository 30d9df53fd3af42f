"""Owner reports and the index: which are written, that every figure is the table's, safety."""

from __future__ import annotations

import base64
import math
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import dealernet
from dealernet import MissingDependencyError, QueryError, formatting
from dealernet.analysis.pipeline import run
from dealernet.analysis.result import Result
from dealernet.cli.main import cli
from dealernet.render.charts import BarSpec, bar_chart
from dealernet.render.reports import (
    affected_owners,
    match_owners,
    render_owner_report,
    write_reports,
)
from dealernet.slugs import slug
from helpers import MILE, ORIGIN, east, network_from, site

IMG = "<img src=x onerror=window.__pwned=1>"
SCRIPT = "<script>window.__pwned=1</script>"
SVG = '"><svg onload=window.__pwned=1>'
#: Owner groups of the small network: which have a store absorbed or closed.
AFFECTED = {IMG: "absorb", "../../etc/passwd": "absorb", "CON": "close"}
UNAFFECTED = {"A/B": "keep", "Gamma": "unaffected"}
SAFE_NAME = re.compile(r"^[a-z0-9-]+\.(html|csv|pdf)$")


def small_network() -> pd.DataFrame:
    """Five Infiniti stores near Dallas, one per decision, owned by hostile names."""
    lat, lon = ORIGIN
    return network_from(
        [
            site("X-1", "Infiniti", lat, lon, owner=IMG, name=SCRIPT, annual_new_units=250),
            site(
                "X-2",
                "Infiniti",
                lat + 15 * MILE,
                lon,
                owner="../../etc/passwd",
                name=SVG,
                annual_new_units=300,
            ),
            site("X-3", "Infiniti", lat + 200 * MILE, lon + east(150), owner="CON", name="Far"),
            site("X-4", "Infiniti", lat - 10 * MILE, lon, owner="A/B", annual_new_units=900),
            site("X-5", "Infiniti", lat - 30 * MILE, lon, owner="Gamma"),
            site("N-1", "Nissan", lat, lon + east(4), owner="Other", annual_new_units=900),
            site(
                "N-2",
                "Nissan",
                lat + 18 * MILE,
                lon,
                owner="../../etc/passwd",
                annual_new_units=900,
            ),
            site("N-3", "Nissan", lat - 30 * MILE, lon + east(0.05), owner="Gamma"),
        ]
    )


def write_dealers(folder: Path) -> Path:
    """The small network as a dealer file a user would write."""
    columns = [
        "dealer_id",
        "name",
        "brand",
        "owner_group",
        "city",
        "state",
        "latitude",
        "longitude",
        "annual_new_units",
    ]
    path = folder / "dealers.csv"
    pd.DataFrame(small_network())[columns].to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Result:
    """The small network, written to a dealer file and loaded as a user would."""
    return run(dealernet.load_network(write_dealers(tmp_path_factory.mktemp("dealers"))))


@pytest.fixture(scope="module")
def small_out(small: Result, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """A complete output folder: tables, the national map, then the reports and index."""
    from dealernet.outputs.tables import write_tables
    from dealernet.render.maps import map_path, write_map

    out = tmp_path_factory.mktemp("out")
    write_tables(small, out)
    write_map(small, map_path(out))
    return out, write_reports(small, out)


@pytest.fixture(scope="module")
def sample(sample_result: Result) -> Result:
    """The shared sample run (``sample_result`` in conftest)."""
    return sample_result


@pytest.fixture(scope="module")
def sample_owners(sample: Result) -> list[str]:
    """The owner with the most jobs lost, and the owner of the one closed store."""
    table = sample.decisions.table
    closing = table.loc[table["decision"] == "close", "owner_group"].iloc[0]
    return list(dict.fromkeys([affected_owners(sample)[0], closing]))


@pytest.fixture(scope="module")
def sample_out(sample: Result, sample_owners: list[str], tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    write_reports(sample, out, sample_owners)
    return out


# --- parsing -------------------------------------------------------------------------------

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
SCOPES = ("data-dealer-id", "data-owner", "data-scope", "data-state", "data-census-region")


class Page(HTMLParser):
    """Figures (``data-field``) with their scope, stray digits, links and texts of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[dict[str, str | None]] = []
        self.figures: list[tuple[tuple[str, str] | None, str, str, dict[str, str | None]]] = []
        self.stray: list[str] = []
        self.links: list[str] = []
        self.texts: dict[str, list[str]] = {}
        self._open: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for key in ("href", "src"):
            if attributes.get(key):
                self.links.append(str(attributes[key]))
        if tag in VOID:
            return
        self.stack.append({"tag": tag, **attributes})
        self._open.append([])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for key in ("href", "src"):
            if attributes.get(key):
                self.links.append(str(attributes[key]))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or not self.stack:
            return
        element = self.stack.pop()
        text = "".join(self._open.pop())
        if self._open:
            self._open[-1].append(text)
        self.texts.setdefault(str(element["tag"]), []).append(text)
        if "data-field" in element:
            self.figures.append((self._scope(), str(element["data-field"]), text, element))

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1].append(data)
        if not re.search(r"\d", data) or self._scope() is None:
            return
        if any("data-field" in e or "data-text" in e for e in self.stack):
            return
        if any(e["tag"] in ("style", "script") for e in self.stack):
            return
        self.stray.append(data.strip())

    def _scope(self) -> tuple[str, str] | None:
        for element in reversed(self.stack):
            for key in SCOPES:
                if key in element:
                    return key, str(element[key])
        return None


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def expected_text(value: object, field: str, element: dict[str, str | None]) -> str:
    """The figure formatted as a reader must see it, decided here from the column name."""
    if element.get("data-sign") == "abs":
        value = abs(float(value))  # type: ignore[arg-type]
    if field.startswith(("sales_", "service_")):  # shares of a store's customers
        return formatting.percent(value)
    if any(word in field for word in ("revenue", "payroll", "profit", "occupancy", "buyout")):
        return formatting.money(value)
    if "miles" in field:
        return formatting.miles(value)
    return formatting.count(value)


def site_values(result: Result) -> pd.DataFrame:
    """Decisions and impacts per site, with "after" = before - lost (never below zero)."""
    impacts = result.impacts.table.drop(columns=["decision"])
    rows = result.decisions.table.merge(impacts, on="dealer_id").set_index("dealer_id")
    closed = rows["decision"] == "close"  # a closed store keeps no staff
    after: dict[str, pd.Series] = {}  # framed once: the impacts table is already wide
    for level, lost in (("low", "high"), ("base", "base"), ("high", "low")):
        for dept in ("sales", "service", "office", "total"):
            name = "jobs_lost" if dept == "total" else f"jobs_lost_{dept}"
            before = rows[f"baseline_employees_{dept}"]
            left = (before - rows[f"{name}_{lost}"]).clip(lower=0)
            after[f"staff_after_{dept}_{level}"] = left.where(~closed, 0.0)
        before = rows["baseline_revenue_total"]
        after[f"revenue_after_{level}"] = (before - rows[f"revenue_lost_{lost}"]).clip(lower=0)
    return pd.concat([rows, pd.DataFrame(after)], axis=1)


def check_figures(page: Page, tables: dict[str, pd.DataFrame | pd.Series]) -> int:
    """Assert every tagged figure equals its table value; returns how many were checked."""
    assert page.figures, "no figures found"
    for scope, field, text, element in page.figures:
        assert scope is not None, f"figure {field} outside any scope"
        kind, key = scope
        table = tables[kind]
        value = table[field] if isinstance(table, pd.Series) else table.loc[key, field]
        assert text.strip() == expected_text(value, field, element), (scope, field)
    return len(page.figures)


# --- which reports -------------------------------------------------------------------------


def test_writes_one_report_per_affected_owner_group_and_none_for_others(small, small_out):
    out, written = small_out
    reports = {p.name for p in (out / "owners").glob("*.html")}
    assert reports == {f"{slug(o)}.html" for o in AFFECTED}
    assert {p.name for p in (out / "owners").glob("*.csv")} == {f"{slug(o)}.csv" for o in AFFECTED}
    assert set(affected_owners(small)) == set(AFFECTED)
    assert out / "index.html" in written
    assert not any(f"{slug(o)}.html" in reports for o in UNAFFECTED)


def test_decisions_of_the_small_network_cover_every_case(small):
    table = small.decisions.table.set_index("owner_group")["decision"]
    assert table.to_dict() == {**AFFECTED, **UNAFFECTED}


def test_a_full_run_removes_reports_of_groups_no_longer_affected(small, tmp_path):
    stale = tmp_path / "owners" / f"{slug('Gone Motors')}.html"
    stale.parent.mkdir()
    stale.write_text("old")
    keep = tmp_path / "owners" / "notes.txt"
    keep.write_text("mine")
    # named like ours, but no run of ours recorded it (tests/test_outdir.py): it stays
    theirs = tmp_path / "owners" / f"{slug('Their Motors')}.html"
    theirs.write_text("theirs")
    (tmp_path / ".dealernet").mkdir()
    (tmp_path / "run.json").write_text(f'{{"files": ["owners/{stale.name}"]}}')
    write_reports(small, tmp_path, ["CON"])
    assert stale.exists()  # a named report leaves the others alone
    write_reports(small, tmp_path)
    assert not stale.exists() and keep.exists() and theirs.exists()


def test_a_named_owner_without_affected_stores_still_gets_a_report(small, tmp_path):
    written = write_reports(small, tmp_path, ["a/b"])
    html = (tmp_path / "owners" / f"{slug('A/B')}.html").read_text()
    assert "none of the group" in html
    assert tmp_path / "owners" / f"{slug('A/B')}.html" in written


# --- every figure is the table's -----------------------------------------------------------


def test_every_figure_in_a_report_equals_the_impacts_table(sample, sample_owners, sample_out):
    sites = site_values(sample)
    owners = sample.owners.set_index("owner_group")
    checked = 0
    for owner in sample_owners:
        page = parse(sample_out / "owners" / f"{slug(owner)}.html")
        checked += check_figures(
            page, {"data-dealer-id": sites, "data-scope": owners.loc[owner], "data-owner": owners}
        )
        stores = sample.decisions.table.query("owner_group == @owner")
        sections = {k for (kind, k), *_ in page.figures if kind == "data-dealer-id"}
        assert sections == set(stores["dealer_id"])
    assert checked > 200


def test_no_number_in_a_report_or_the_index_is_left_untagged(sample_owners, sample_out):
    for path in [
        sample_out / "index.html",
        *(sample_out / "owners" / f"{slug(o)}.html" for o in sample_owners),
    ]:
        assert parse(path).stray == [], path.name


def census_region_totals(result: Result) -> pd.DataFrame:
    """Per Census region, summed here from the sites and their draws (not by the roll-up)."""
    from dealernet.geo.regions import load_regions

    member = {s: g.name for g in load_regions().of_kind("region") for s in g.states}
    table = result.decisions.table
    regions = table["state"].map(member)
    rows = {}
    for region in regions.dropna().unique():
        mask = (regions == region).to_numpy()
        row = {"stores": mask.sum()}
        for decision in ("absorb", "close"):
            row[f"stores_{decision}"] = (table.loc[mask, "decision"] == decision).sum()
        for measure in ("jobs_lost", "net_jobs_lost", "revenue_lost", "revenue_at_risk"):
            sums = result.impacts.draws[measure][:, mask].sum(axis=1)
            for level, q in (("low", 10), ("base", 50), ("high", 90)):
                row[f"{measure}_{level}"] = float(np.percentile(sums, q))
        rows[region] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def test_every_figure_in_the_index_equals_the_national_and_owner_totals(sample, sample_out):
    page = parse(sample_out / "index.html")
    owners = sample.owners.set_index("owner_group")
    states = sample.regions.query("level == 'state'").set_index("region")
    chart = {f"{code}.{f}": v for code, row in states.iterrows() for f, v in row.items()}
    scopes = {
        "national": sample.national,
        "access": pd.Series(sample.access.summary),
        "state-chart": pd.Series(chart, dtype=object),
    }
    tables = {
        "data-owner": owners,
        "data-state": states,
        "data-census-region": census_region_totals(sample),
    }
    for (kind, key), field, text, element in page.figures:
        value = tables[kind].loc[key, field] if kind in tables else scopes[key][field]
        assert text.strip() == expected_text(value, field, element), (key, field)
    listed = {key for (kind, key), *_ in page.figures if kind == "data-owner"}
    assert listed == set(affected_owners(sample))
    shown = {key for (kind, key), *_ in page.figures if kind == "data-state"}
    assert shown == set(states.index)  # every state with a store, in the state table
    regions = {key for (kind, key), *_ in page.figures if kind == "data-census-region"}
    assert regions == set(census_region_totals(sample).index)
    bars = [f for (kind, key), f, *_ in page.figures if key == "state-chart"]
    most = states.sort_values("jobs_lost_base", ascending=False, kind="stable").index[:15]
    assert bars == [
        f"{code}.jobs_lost_base" for code in most if states.loc[code, "jobs_lost_base"] > 0
    ]


def test_the_index_starts_with_the_figures_the_origin_and_the_files(sample, tmp_path):
    """Map, workbook and GIS bundle are linked at the top when the folder holds them, and
    the data origin comes before any table."""
    from dealernet.render.reports import render_index

    bare = render_index(sample, tmp_path)
    assert 'href="network.html"' not in bare and "dealernet.xlsx" not in bare
    for name in ("network.html", "dealernet.xlsx", "dealernet.gpkg"):
        (tmp_path / name).write_text("x")
    html = render_index(sample, tmp_path)
    top = html[: html.index('id="places"')]
    for name in ("network.html", "dealernet.xlsx", "dealernet.gpkg"):
        assert f'href="{name}"' in top
    assert top.index('class="notice origin"') < top.index('id="national"')
    assert f"<strong>Data:</strong> {sample.data_origin}" in top
    for section in ("places", "state-table", "region-table", "owner-table"):
        assert f'id="{section}"' in html
    assert html.index('id="state-table"') < html.index('id="owner-table"')
    assert html.count("<script") == 1 and "<script src" not in html


def test_assumptions_are_listed_with_their_values_and_sources(sample, sample_owners, sample_out):
    html = (sample_out / "owners" / f"{slug(sample_owners[0])}.html").read_text()
    listed = set(re.findall(r'<tr data-param="([^"]+)">', html))
    # What applies to Infiniti stores: its own entries, never another brand's.
    assert "revenue_per_new_unit.Infiniti" in listed and "earnings.annual" in listed
    assert "revenue_per_new_unit.Nissan" not in listed and "return_on_sales.default" not in listed
    for parameter in sample.assumptions.parameters.values():
        if parameter.key not in listed:
            continue
        row = re.search(rf'<tr data-param="{re.escape(parameter.key)}">(.*?)</tr>', html, re.S)
        assert row, parameter.key
        cells = dict(re.findall(r'data-level="(\w+)">([^<]*)<', row.group(1)))
        for level in ("low", "base", "high"):
            value = getattr(parameter, level)
            shown = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"
            assert cells[level] == shown, (parameter.key, level)


def test_report_says_where_its_numbers_come_from(sample, sample_owners, sample_out, small_out):
    html = (sample_out / "owners" / f"{slug(sample_owners[0])}.html").read_text()
    expected = (
        sample.scenario.name,
        "networks/sample/infiniti.csv",
        "Sample data.",
        "Method and caveats",
        "Assumptions used",
        "@page",
        "break-before: page",
    )
    for text in expected:
        assert text in html
    small_report = (small_out[0] / "owners" / f"{slug('CON')}.html").read_text()
    assert "Sample data." not in small_report


def test_report_csv_holds_the_groups_rows_and_is_embedded(sample, sample_owners, sample_out):
    owner = sample_owners[0]
    path = sample_out / "owners" / f"{slug(owner)}.csv"
    rows = pd.read_csv(path)
    expected = sample.decisions.table.query("owner_group == @owner")["dealer_id"]
    assert sorted(rows["dealer_id"]) == sorted(expected)
    assert {"jobs_lost_base", "revenue_at_risk_high", "reason", "host_name"} <= set(rows.columns)
    html = (sample_out / "owners" / f"{slug(owner)}.html").read_text()
    uri = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', html).group(1)
    assert base64.b64decode(uri).decode() == path.read_text()


# --- hostile names -------------------------------------------------------------------------


def test_hostile_owner_and_dealer_names_are_escaped(small, small_out):
    out, _ = small_out
    for owner in AFFECTED:
        path = out / "owners" / f"{slug(owner)}.html"
        html = path.read_text()
        for raw in (IMG, SCRIPT, SVG):
            assert raw not in html
        assert parse(path).texts["h1"] == [owner]  # shown as written, escaped once
    report = parse(out / "owners" / f"{slug(IMG)}.html")
    assert any(text.startswith(SCRIPT) for text in report.texts["h2"])  # the store, as text
    index = (out / "index.html").read_text()
    assert IMG not in index and "&lt;img src=x onerror=window.__pwned=1&gt;" in index


def test_hostile_owner_names_get_harmless_file_names_inside_owners(small_out):
    out, written = small_out
    folder = (out / "owners").resolve()
    for path in written:
        assert path.resolve().parent in (folder, out.resolve())
        if path.parent.name == "owners":
            assert SAFE_NAME.match(path.name), path.name
    assert not (out.parent / "etc").exists()
    assert not any(p.stem.lower() == "con" for p in folder.iterdir())


def test_every_link_in_the_index_resolves_to_a_file_in_the_output(small_out):
    out, _ = small_out
    links = [link for link in parse(out / "index.html").links if not link.startswith("#")]
    assert {"network.html", "data/decisions.csv", "data/summary.json"} <= set(links)
    assert sum(link.startswith("owners/") for link in links) == len(AFFECTED)
    for link in links:
        parts = urlsplit(link)
        assert not parts.scheme and not parts.netloc, link
        target = (out / unquote(parts.path)).resolve()
        assert target.is_file() and target.is_relative_to(out.resolve()), link


def test_report_links_are_local_or_data_uris(small_out):
    out, _ = small_out
    for path in (out / "owners").glob("*.html"):
        for link in parse(path).links:
            assert link.startswith(("data:text/csv", "#")), link


# --- matching owner names ------------------------------------------------------------------


def test_match_owners_ignores_case_spacing_and_accepts_part_of_a_name(sample):
    name = affected_owners(sample)[0]  # "Maple Lake Automotive" in the sample
    assert match_owners(sample, [name.upper()]) == [name]
    assert match_owners(sample, ["  " + name.lower().replace(" ", "   ") + " "]) == [name]
    assert match_owners(sample, [name.split()[0] + " " + name.split()[1], name]) == [name]


def test_match_owners_takes_a_clear_misspelling(sample):
    name = affected_owners(sample)[0]
    typo = name[:-3] + name[-2:]  # one letter dropped
    assert match_owners(sample, [typo]) == [name]


def test_match_owners_lists_the_groups_an_ambiguous_name_matches(sample):
    with pytest.raises(QueryError, match=r"matches \d+ owner groups: .*Give more of the name"):
        match_owners(sample, ["Maple"])


def test_match_owners_suggests_close_names_when_nothing_matches(sample):
    name = affected_owners(sample)[0]
    words = name.split()
    wrong = f"{words[0]} {words[1]} Group"  # "Maple Lake Group": close, but not clearly one
    with pytest.raises(QueryError, match="no owner group called .*Did you mean") as info:
        match_owners(sample, [wrong])
    assert repr(name) in str(info.value)
    with pytest.raises(QueryError, match="empty"):
        match_owners(sample, ["  "])


def test_match_owners_explains_a_host_brand_only_owner(small):
    with pytest.raises(QueryError, match="owns no Infiniti store"):
        match_owners(small, ["Other"])


# --- charts, PDF, CLI ----------------------------------------------------------------------


def test_bar_chart_draws_bars_and_ranges_to_one_scale():
    data = {"a": 10.0, "b": 5.0, "b_low": 4.0, "b_high": 6.0, "nan": math.nan}
    chart = bar_chart(
        "t",
        data,
        [
            (
                "g",
                [
                    BarSpec("x", [("a", "a", "c")], "a"),
                    BarSpec("y", [("b", "b", "c")], "b", "b_low", "b_high"),
                    BarSpec("z", [("n", "nan", "c")], "nan"),
                ],
            )
        ],
    )
    a, b, z = chart.groups[0].bars
    assert a.segments[0].width == pytest.approx(2 * b.segments[0].width)
    assert b.whisker == pytest.approx(
        (chart.plot_x + 0.4 * chart.plot_width, chart.plot_x + 0.6 * chart.plot_width)
    )
    assert z.segments[0].width == 0 and chart.height > 0


def test_pdf_without_a_renderer_says_what_to_install(small_out, monkeypatch):
    import dealernet.render._pdf
    from dealernet.render.reports import write_pdfs

    def missing():
        raise MissingDependencyError("no Chromium found")

    monkeypatch.setattr(dealernet.render._pdf, "chromium", missing)
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    report = next((small_out[0] / "owners").glob("*.html"))
    with pytest.raises(MissingDependencyError, match="pip install weasyprint"):
        write_pdfs([report])
    with pytest.raises(QueryError, match="paper"):
        write_pdfs([report], paper="legal")


def test_render_owner_report_is_one_offline_page(small):
    html = render_owner_report(small, "CON")
    assert html.startswith("<!DOCTYPE html>")
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "<iframe" in html and 'sandbox="allow-scripts"' in html


def test_cli_report_writes_named_reports_and_suggests_names(tmp_path):
    dealers = write_dealers(tmp_path)
    runner = CliRunner()
    out = tmp_path / "out"
    done = runner.invoke(
        cli, ["report", "-d", str(dealers), "--owner", "ETC/passwd", "-o", str(out)]
    )
    assert done.exit_code == 0, done.output
    assert [p.name for p in (out / "owners").glob("*.html")] == [f"{slug('../../etc/passwd')}.html"]
    bad = runner.invoke(
        cli, ["report", "-d", str(dealers), "--owner", "Gamma Motors", "-o", str(out)]
    )
    assert bad.exit_code == 1 and "Gamma" in bad.output and "Traceback" not in bad.output
    neither = runner.invoke(cli, ["report", "-d", str(dealers), "-o", str(out)])
    assert neither.exit_code == 2 and "--all" in neither.output


def test_cli_report_all_writes_every_affected_group(tmp_path):
    dealers = write_dealers(tmp_path)
    out = tmp_path / "out"
    done = CliRunner().invoke(cli, ["report", "-d", str(dealers), "--all", "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert len(list((out / "owners").glob("*.html"))) == len(AFFECTED)
    assert (out / "index.html").is_file()
    assert "index.html" in done.output
