"""HTML maps: one marker per store and layer, lines to the right hosts, offline, escaped."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from dealernet import QueryError, formatting
from dealernet.analysis.result import Result
from dealernet.planning.selection import host_sites, select
from dealernet.render import maps
from dealernet.slugs import slug
from hostile import ESCAPED, EXPECTED, IMG, JINJA, SCENARIO_NAME, SCRIPT, hostile_result

DECISIONS = ("absorb", "close", "keep", "unaffected")


class Page(HTMLParser):
    """The parts of a map page the tests look at: tags, scripts, title and the JSON data."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.title = ""
        self._open: tuple[str, dict[str, str | None]] | None = None
        self._text: list[str] = []
        self.feed(html)
        self.close()
        blocks = [text for attrs, text in self.scripts if attrs.get("id") == "dealernet-map-data"]
        assert len(blocks) == 1
        self.data = json.loads(blocks[0])

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "title"):
            self._open, self._text = (tag, dict(attrs)), []

    def handle_data(self, data: str) -> None:
        if self._open:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag == self._open[0]:
            if tag == "script":
                self.scripts.append((self._open[1], "".join(self._text)))
            else:
                self.title = "".join(self._text)
            self._open = None


class Fragment(HTMLParser):
    """Tags and text of a tooltip or popup, and the text of its ``dn-name`` element."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.name = ""
        self._depth = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)
        if ("class", "dn-name") in attrs:
            self._depth = 1

    def handle_endtag(self, tag: str) -> None:
        self._depth = 0

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._depth:
            self.name += data


@pytest.fixture(scope="module")
def result(sample_result: Result) -> Result:
    """The shared sample run (``sample_result`` in conftest)."""
    return sample_result


@pytest.fixture(scope="module")
def national(result: Result, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("out")
    path = maps.write_map(result, maps.map_path(out))
    return path, path.read_text("utf-8")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, str]:
    folder = tmp_path_factory.mktemp("hostile")
    result = hostile_result(folder)
    return result, maps.render_map(result)


def test_markers_per_layer_equal_the_decisions_table(result: Result, national) -> None:
    data = Page(national[1]).data
    table = result.decisions.table
    shown = {d: sum(1 for s in data["sites"] if s[2] == d) for d in DECISIONS}
    assert shown == {d: int((table["decision"] == d).sum()) for d in DECISIONS}
    assert len(data["nissan"]) == len(host_sites(result)) == 1071
    absorbed = table.loc[table["decision"] == "absorb"]
    assert len(data["hosts"]) == absorbed["host_dealer_id"].nunique()
    places = result.access.places
    pushed = (places["miles_before"] <= 50) & (places["miles_after"] > 50)
    assert len(data["places"]) == int(pushed.sum()) > 0


def test_every_absorbed_store_has_one_line_to_its_host(result: Result, national) -> None:
    lines = np.array([line[:4] for line in Page(national[1]).data["lines"]])
    table = result.decisions.table
    where = result.network.set_index("dealer_id")
    absorbed = table.loc[table["decision"] == "absorb"]
    assert len(lines) == len(absorbed)
    for _, store in absorbed.iterrows():
        host = where.loc[store["host_dealer_id"]]
        expected = [store["latitude"], store["longitude"], host["latitude"], host["longitude"]]
        matches = np.all(np.abs(lines - np.array(expected)) < 1e-5, axis=1)
        assert matches.sum() == 1, store["dealer_id"]
        starts = np.all(np.abs(lines[:, :2] - np.array(expected[:2])) < 1e-5, axis=1)
        assert starts.sum() == 1, f"{store['dealer_id']} has more than one line"


def test_offline_map_loads_nothing_from_off_the_file(national) -> None:
    page = Page(national[1])
    for tag, attrs in page.tags:
        assert not (tag == "script" and attrs.get("src")), attrs
        assert not (tag == "link" and "stylesheet" in (attrs.get("rel") or "")), attrs
        assert not (tag in ("img", "iframe") and attrs.get("src")), attrs
    html = national[1]
    for library in ("jquery", "bootstrap", "awesome-markers", "fontawesome", "@import"):
        assert library not in html.lower()
    assert "sourceMappingURL" not in html
    assert "L.markerClusterGroup" in html and "Leaflet 1.9.3" in html  # inlined, not linked


def test_cdn_map_links_leaflet_and_the_plugin(result: Result, national) -> None:
    html = maps.render_map(result, cdn=True)
    page = Page(html)
    scripts = [a["src"] for t, a in page.tags if t == "script" and a.get("src")]
    sheets = [a["href"] for t, a in page.tags if t == "link" and a.get("rel") == "stylesheet"]
    assert scripts == [
        "https://unpkg.com/leaflet@1.9.3/dist/leaflet.js",
        "https://unpkg.com/leaflet.markercluster@1.4.1/dist/leaflet.markercluster.js",
    ]
    assert "https://unpkg.com/leaflet@1.9.3/dist/leaflet.css" in sheets and len(sheets) == 3
    assert len(html) < len(national[1]) - 150_000


def test_national_map_is_well_under_five_megabytes(national) -> None:
    assert national[0].stat().st_size < 3_000_000


def test_maps_are_byte_identical_across_runs(result: Result) -> None:
    selection = select(result, states=["TX"])
    assert maps.render_map(result, selection) == maps.render_map(result, selection)


def test_title_and_legend_give_the_scenario_totals_and_every_symbol(result: Result, national):
    html = national[1]
    assert result.scenario.name in html
    n = result.national
    jobs = formatting.span(n["jobs_lost_low"], n["jobs_lost_base"], n["jobs_lost_high"])
    money = formatting.span(
        n["revenue_lost_low"], n["revenue_lost_base"], n["revenue_lost_high"], "money"
    )
    assert jobs in html and money in html
    for label in (
        "Absorbed into a Nissan site",
        "Closed",
        "Kept: keeps its own showroom",
        "Unaffected: already shares a Nissan site",
        "Nissan site that takes",
        "From an absorbed store to its host",
        "Jobs lost (base) per state",
    ):
        assert label in html


def test_popup_has_owner_address_decision_host_and_ranges(result: Result, national) -> None:
    data = Page(national[1]).data
    table = result.decisions.table
    impacts = result.impacts.table.set_index("dealer_id")
    row = table.loc[table["decision"] == "absorb"].iloc[0]
    site = next(
        s
        for s in data["sites"]
        if abs(s[0] - row["latitude"]) < 1e-5 and abs(s[1] - row["longitude"]) < 1e-5
    )
    popup = Fragment(site[4])
    text = " ".join(popup.text)
    from dealernet.formatting import span

    loss = impacts.loc[row["dealer_id"]]
    assert popup.name == row["name"]
    assert row["owner_group"] in text and row["host_name"] in text
    assert span(*(loss[f"jobs_lost_{p}"] for p in ("low", "base", "high"))) in text
    money = span(*(loss[f"revenue_lost_{p}"] for p in ("low", "base", "high")), "money")
    assert money in text
    assert ("href", f"owners/{slug(row['owner_group'])}.html") in popup.attrs
    assert Fragment(site[3]).tags == ["strong", "br"]


def test_report_links_are_relative_to_the_map_folder(result: Result, tmp_path: Path) -> None:
    selection = select(result, states=["TX"])
    path = maps.write_map(result, maps.map_path(tmp_path, selection), selection)
    assert path.parent == tmp_path / "regions"
    data = Page(path.read_text("utf-8")).data
    links = [v for s in data["sites"] for k, v in Fragment(s[4]).attrs if k == "href"]
    assert links and all(link.startswith("../owners/") for link in links)
    table = result.decisions.table
    affected = table.loc[table["decision"].isin(["absorb", "close"]), "owner_group"]
    assert {link[len("../owners/") : -5] for link in links} <= {slug(o) for o in affected}


def test_regional_map_shows_the_selection_and_its_counties(result: Result) -> None:
    selection = select(result, near="Denver, CO", radius_miles=60)
    page = Page(maps.render_map(result, selection))
    assert len(page.data["sites"]) == int(selection.mask.sum()) > 0
    assert len(page.data["nissan"]) == int(selection.host_mask.sum())
    assert page.data["counties"]["features"] and page.data["circle"][0] == pytest.approx(
        39.739, 1e-3
    )
    assert "within 60 miles of Denver, CO" in page.title


def test_empty_selection_is_an_error(result: Result) -> None:
    with pytest.raises(QueryError, match="no Infiniti or Nissan site"):
        maps.build_map(result, select(result, states=["VI"]))


def test_hostile_names_are_escaped_everywhere(hostile) -> None:
    result, html = hostile
    assert (
        dict(
            zip(
                result.decisions.table["dealer_id"], result.decisions.table["decision"], strict=True
            )
        )
        == EXPECTED
    )
    page = Page(html)
    assert page.title.startswith(SCENARIO_NAME)
    for raw in (IMG, SCRIPT, "<svg onload", "<b onmouseover", "<b>Bold Owner</b>"):
        assert raw not in html
    assert "49 Motors" not in html and "42 Nissan" not in html  # not evaluated as Jinja
    scripts = [a for t, a in page.tags if t == "script"]
    assert len(scripts) == 4  # Leaflet, plug-in, the data block, our builder; none injected
    assert {t for t, _ in page.tags} <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "script",
        "body",
        "div",
        "h1",
        "span",
        "b",
        "details",
        "summary",
        "h2",
        "ul",
        "li",
        "svg",
        "path",
        "rect",
        "circle",
        "p",
    }
    data = page.data
    fragments = [Fragment(t) for s in data["sites"] for t in s[3:5]]
    fragments += [Fragment(t) for card in data["cards"] for t in card]
    fragments += [Fragment(line[4]) for line in data["lines"]]
    for fragment in fragments:
        assert set(fragment.tags) <= {"strong", "br", "div", "table", "tr", "th", "td", "span", "a"}
        assert all(not k.startswith("on") for k, _ in fragment.attrs)
        assert all(not (v or "").startswith("javascript:") for _, v in fragment.attrs)
    names = {f.name for f in fragments if f.name}
    assert {IMG, JINJA, ESCAPED, "{{ 6*7 }} Nissan"} <= names


def test_a_customer_point_without_a_name_or_state_has_a_tooltip() -> None:
    """``--population`` points need only coordinates and people: the pushed-away point's
    tooltip once failed on the missing ``name`` (a StrictUndefined error ended the run)."""
    from dealernet.render._templates import macros

    tips = macros("_map_tooltip.html.j2")
    row = {"population": 1200, "miles_before": 12.0, "miles_after": 61.5}
    text = str(tips.place(row, "Infiniti"))
    assert text.startswith("<strong>Unnamed point</strong> (pop. 1,200)")
    assert "61.5 straight-line miles after" in text
    named = str(tips.place({**row, "name": "Plano <b>", "state": "TX"}, "Infiniti"))
    assert named.startswith("<strong>Plano &lt;b&gt;, TX</strong>")
