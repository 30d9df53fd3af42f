"""``dealernet serve`` through its HTTP API (Starlette's TestClient): the form checked like a
scenario file, per-tab state, uploads, downloads and the guards.

The figures the page shows are checked against runs made here with the library, and the
scenario the page downloads against a run of that file; the browser tests
(``test_browser_serve.py``) check the page itself against the CLI.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from starlette.testclient import TestClient

import hostile
from dealernet._toml import tomllib
from dealernet.analysis.pipeline import default_assumptions, default_scenario, run
from dealernet.engine.rules import apply_rules
from dealernet.engine.scenario import load_scenario, parse_scenario
from dealernet.outputs.terminal import TOTALS_ROWS
from dealernet.serve import form, tabs
from dealernet.serve.app import FRAME_POLICY, TOKEN_COOKIE, create_app
from dealernet.settings import bundled_scenarios, scenario_path
from helpers import SCENARIOS_DIR, network_from, site
from serving import TEST_HOSTS, explorer_over


@pytest.fixture(scope="module")
def explorer(sample_network: Any) -> tabs.Tabs:
    return explorer_over(sample_network)


@pytest.fixture(scope="module")
def client(explorer: tabs.Tabs) -> Iterator[TestClient]:
    with TestClient(create_app(explorer, hosts=TEST_HOSTS)) as test_client:
        yield test_client


def open_tab(client: TestClient) -> dict[str, Any]:
    answer = client.post("/api/tabs", json={})
    assert answer.status_code == 200, answer.text
    return answer.json()


def change(client: TestClient, tab: str, **data: Any) -> dict[str, Any]:
    answer = client.post(f"/api/tabs/{tab}/change", json=data)
    assert answer.status_code == 200, answer.text
    return answer.json()


def nearest_at(miles: float) -> list[dict[str, Any]]:
    return [{"id": "nearest", "on": True, "max_distance_miles": miles}]


def shown_totals(result: Any) -> list[tuple[str, str, str, str]]:
    """The national totals of ``result`` formatted as the terminal formats them."""
    rows = []
    for measure, fmt in TOTALS_ROWS:
        if measure and f"{measure}_base" in result.national.index:
            cells = tuple(fmt(result.national[f"{measure}_{x}"]) for x in ("low", "base", "high"))
            rows.append((measure, *cells))
    return rows


def page_totals(state: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(r["measure"], r["low"], r["base"], r["high"]) for r in state["totals"]]


# --- the page -------------------------------------------------------------------------


def test_page_loads_nothing_from_elsewhere_and_runs_only_its_own_script(
    client: TestClient,
) -> None:
    answer = client.get("/")
    assert answer.status_code == 200
    policy = answer.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)  # type: ignore[union-attr]
    scripts = re.findall(r"<script([^>]*)>", answer.text)
    assert scripts == [f' nonce="{nonce}"']
    assert not re.search(r"""(src|href)=["']?https?:""", answer.text)
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert client.get("/").headers["content-security-policy"] != policy  # a nonce per page


def test_a_new_tab_shows_the_scenario_files_run(client: TestClient, sample_result: Any) -> None:
    opened = open_tab(client)
    assert [r["id"] for r in opened["rules"]] == [r.id for r in sample_result.scenario.rules]
    state = opened["state"]
    assert page_totals(state) == shown_totals(sample_result)
    counts = sample_result.decisions.counts_by_rule()
    assert [(r["rule"], r["stores"]) for r in state["decisions"]["rows"]] == [
        (str(i), f"{n:,}") for i, n in counts["sites"].items()
    ]
    assert state["draws"] == sample_result.assumptions.draws
    assert state["changed"]["count"] == 0 and state["changes"] == []
    assert "synthetic" in state["origin"]


# --- changes --------------------------------------------------------------------------


def test_a_distance_change_previews_then_gives_the_full_figures_of_that_scenario(
    client: TestClient, sample_network: Any, sample_result: Any
) -> None:
    tab = open_tab(client)["tab"]
    preview = change(client, tab, rules=nearest_at(8), quality="preview")
    assert preview["draws"] == tabs.PREVIEW["monte_carlo.draws"]
    full = change(client, tab, rules=nearest_at(8), quality="full")
    assert full["draws"] == default_assumptions().draws

    scenario = default_scenario().with_overrides({"rules.nearest.max_distance_miles": 8})
    expected = run(sample_network, scenario, what_drives=False)
    assert page_totals(full) == shown_totals(expected)
    assert page_totals(full) != shown_totals(sample_result)
    # the preview's decisions are the full run's: only the draws differ
    assert preview["decisions"] == full["decisions"]
    assert full["changes"] == ["rules.nearest.max_distance_miles: 30.0 -> 8.0"]

    before = sample_result.decisions.table.set_index("dealer_id")
    after = expected.decisions.table.set_index("dealer_id").reindex(before.index)
    moved = (before["decision"] != after["decision"]) | (
        before["host_dealer_id"].fillna("") != after["host_dealer_id"].fillna("")
    )
    assert full["changed"]["count"] == int(moved.sum()) > 0
    assert {r["dealer_id"] for r in full["changed"]["rows"]} == set(before.index[moved])


def test_a_rule_switched_off_is_left_out_of_the_scenario(client: TestClient) -> None:
    tab = open_tab(client)["tab"]
    state = change(client, tab, rules=[{"id": "keep-strong", "on": False}], quality="preview")
    rules = [r["rule"] for r in state["decisions"]["rows"]]
    assert "keep-strong" not in rules and "nearest" in rules
    assert state["changes"] == ["rule keep-strong switched off"]
    toml = client.get(f"/tabs/{tab}/scenario.toml").text
    assert 'id = "keep-strong"' not in toml and 'id = "nearest"' in toml


@pytest.mark.parametrize(
    ("rules", "words"),
    [
        (nearest_at(-3), "max_distance_miles"),
        ([{"id": "nearest", "capacity": "lots"}], "capacity"),
        ([{"id": "nearest", "same_owner": "sometimes"}], "same_owner"),
        ([{"id": "nearest", "when": "annual_new_units >>> 3"}], "when"),
        ([{"id": "no-such-rule", "on": False}], "no-such-rule"),
        ([{"id": "nearest", "max_distance_miles": [1, 2]}], "max_distance_miles"),
    ],
)
def test_settings_a_scenario_file_could_not_hold_are_refused_and_change_nothing(
    client: TestClient, rules: list[dict[str, Any]], words: str
) -> None:
    tab = open_tab(client)["tab"]
    change(client, tab, rules=nearest_at(20), quality="preview")
    good = client.get(f"/tabs/{tab}/scenario.toml").text
    answer = change(client, tab, rules=rules, quality="preview")
    assert answer.keys() == {"errors"}
    assert words in " ".join(answer["errors"])
    assert client.get(f"/tabs/{tab}/scenario.toml").text == good


def test_a_condition_cannot_run_code(client: TestClient, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    tab = open_tab(client)["tab"]
    when = f"__import__('os').system('touch {marker}') == 0"
    answer = change(client, tab, rules=[{"id": "nearest", "when": when}], quality="preview")
    assert "errors" in answer
    assert not marker.exists()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b"[1, 2]", 400),
        (b"{" + b" " * 300_000 + b"}", 413),
        (b"[" * 100_000 + b"]" * 100_000, 400),
        (b'{"rules": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", 400),
    ],
    ids=["not-json", "a-list", "too-large", "too-deep-and-large", "too-deep"],
)
def test_a_form_that_is_not_a_small_json_object_is_refused(
    client: TestClient, body: bytes, status: int
) -> None:
    tab = open_tab(client)["tab"]
    answer = client.post(f"/api/tabs/{tab}/change", content=body)
    assert answer.status_code == status


def test_a_store_listed_to_keep_keeps_its_showroom(client: TestClient, sample_result: Any) -> None:
    table = sample_result.decisions.table
    store = table[table["decision"] == "absorb"].iloc[0]
    spelled = f"{store['name']} ({store['city']}, {store['state']})"
    tab = open_tab(client)["tab"]
    state = change(client, tab, keep_names=[spelled], quality="preview")
    rows = {r["rule"]: r for r in state["decisions"]["rows"]}
    assert rows[form.KEEP_RULE]["stores"] == "1"
    assert state["changed"]["rows"] == [
        {
            "dealer_id": store["dealer_id"],
            "name": store["name"],
            "state": store["state"],
            "was": f"absorb into {store['host_name']}",
            "now": "keep",
        }
    ]


def test_a_store_listed_to_close_by_its_id_closes(client: TestClient, sample_result: Any) -> None:
    table = sample_result.decisions.table
    store = table[table["decision"] == "keep"].iloc[0]
    tab = open_tab(client)["tab"]
    state = change(client, tab, close_names=[store["dealer_id"]], quality="preview")
    assert [r["now"] for r in state["changed"]["rows"]] == ["close"]


@pytest.mark.parametrize("name", ["Infiniti", "no store of this name at all"])
def test_a_store_name_that_is_not_one_store_is_an_error_saying_so(
    client: TestClient, name: str
) -> None:
    tab = open_tab(client)["tab"]
    answer = change(client, tab, keep_names=[name], quality="preview")
    assert "errors" in answer
    assert name in " ".join(answer["errors"])


def test_two_tabs_do_not_see_each_others_settings(client: TestClient) -> None:
    first, second = open_tab(client)["tab"], open_tab(client)["tab"]
    untouched = client.get(f"/tabs/{second}/scenario.toml").text
    change(client, first, rules=nearest_at(6), quality="preview")
    assert "max_distance_miles = 6" in client.get(f"/tabs/{first}/scenario.toml").text
    assert client.get(f"/tabs/{second}/scenario.toml").text == untouched
    assert "max_distance_miles = 6" not in untouched


def test_an_unknown_tab_is_not_found(client: TestClient) -> None:
    assert client.get("/tabs/nope/scenario.toml").status_code == 404
    assert client.post("/api/tabs/nope/change", json={}).status_code == 404


# --- downloads ------------------------------------------------------------------------


def test_the_downloaded_scenario_reruns_to_the_same_decisions(
    client: TestClient, explorer: tabs.Tabs, sample_network: Any, tmp_path: Path
) -> None:
    tab = open_tab(client)["tab"]
    keep = sample_network[sample_network["brand"] == "Infiniti"]["dealer_id"].iloc[3]
    change(
        client,
        tab,
        rules=[*nearest_at(17.5), {"id": "same-owner", "on": False}],
        keep_names=[keep],
        quality="full",
    )
    answer = client.get(f"/tabs/{tab}/scenario.toml")
    assert "attachment" in answer.headers["content-disposition"]
    path = tmp_path / "explorer.toml"
    path.write_bytes(answer.content)
    again = run(sample_network, load_scenario(path), what_drives=False)
    shown = explorer.get(tab).result
    pd.testing.assert_frame_equal(
        again.decisions.table.drop(columns="reason"), shown.decisions.table.drop(columns="reason")
    )
    assert shown_totals(again) == shown_totals(shown)


def test_the_run_folder_download_is_the_tabs_settings_at_full_draws(
    client: TestClient, explorer: tabs.Tabs
) -> None:
    tab = open_tab(client)["tab"]
    change(client, tab, rules=nearest_at(9), quality="preview")
    answer = client.get(f"/tabs/{tab}/run.zip")
    assert answer.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    names = set(archive.namelist())
    assert {"network.html", "dealernet.xlsx", "dealernet.gpkg", "data/decisions.csv"} <= names
    assert any(n.startswith("owners/") for n in names)
    decisions = pd.read_csv(archive.open("data/decisions.csv"), dtype={"dealer_id": str})
    full = explorer.get(tab).full
    assert full is not None and full.assumptions.draws == default_assumptions().draws
    assert full.scenario.rule("nearest").max_distance_miles == 9
    assert decisions["decision"].tolist() == full.decisions.table["decision"].tolist()


def test_the_map_and_an_owners_report_are_served_in_the_frame_policy(
    client: TestClient,
) -> None:
    opened = open_tab(client)
    tab = opened["tab"]
    answer = client.get(f"/tabs/{tab}/map.html")
    assert answer.status_code == 200 and answer.headers["content-security-policy"] == FRAME_POLICY
    owner = next(r for r in opened["state"]["owners"]["rows"] if r["report"])
    assert f"owners/{owner['report']}.html" in answer.text
    report = client.get(f"/tabs/{tab}/owners/{owner['report']}.html")
    assert report.status_code == 200
    assert owner["owner"].replace("&", "&amp;") in report.text
    for stem in ("no-such-owner", "..%2F..%2Frun", "%2Fetc%2Fpasswd"):
        assert client.get(f"/tabs/{tab}/owners/{stem}.html").status_code == 404


# --- uploads --------------------------------------------------------------------------


BAD_CSV = (
    "dealer_id,name,brand,city,state,latitude,longitude\n"
    "B-1,Good Infiniti,Infiniti,Dallas,TX,32.78,-96.80\n"
    "B-2,Bad Latitude,Infiniti,Dallas,TX,north,-96.80\n"
    "B-3,Far Nissan,Nissan,Dallas,TX,132.78,-96.80\n"
)


def uploads_left() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("dealernet-upload-*")}


def test_a_bad_upload_lists_its_problems_as_validate_does_and_keeps_the_network(
    client: TestClient, tmp_path: Path
) -> None:
    from dealernet.io.loader import read_network

    opened = open_tab(client)
    before = uploads_left()
    answer = client.post(
        f"/api/tabs/{opened['tab']}/dealers",
        files=[("files", ("my dealers.csv", BAD_CSV.encode(), "text/csv"))],
    )
    assert answer.status_code == 200
    body = answer.json()
    assert "opened" not in body and body["problems"]
    path = tmp_path / "my dealers.csv"
    path.write_text(BAD_CSV)
    report = read_network(path, skip_invalid=False, raise_on_error=False).report
    assert [(p["line"], p["column"], p["problem"], p["fix"]) for p in body["problems"]] == [
        (p.row, p.column, p.message, p.fix) for p in report.problems
    ]
    assert {p["file"] for p in body["problems"]} == {"my dealers.csv"}  # as the user named it
    assert uploads_left() == before
    again = change(client, opened["tab"], quality="preview")
    assert again["decisions"] == opened["state"]["decisions"]


def test_an_upload_of_good_files_opens_them_in_that_tab_only(
    client: TestClient, explorer: tabs.Tabs, tmp_path: Path
) -> None:
    mine, other = open_tab(client)["tab"], open_tab(client)["tab"]
    payload = pd.DataFrame(list(hostile.ROWS), columns=list(hostile.COLUMNS)).to_csv(index=False)
    answer = client.post(
        f"/api/tabs/{mine}/dealers",
        files=[("files", ("../../hostile.csv", payload.encode(), "text/csv"))],
    )
    body = answer.json()
    assert answer.status_code == 200 and "opened" in body, body
    opened = body["opened"]
    assert opened["tab"] == mine and opened["network"] == "your files: hostile.csv"
    decided = explorer.get(mine).result.decisions.table.set_index("dealer_id")["decision"]
    assert decided.to_dict() | hostile.EXPECTED == decided.to_dict()
    owners = {r["owner"] for r in opened["state"]["owners"]["rows"]}
    assert hostile.SCRIPT in owners  # sent as text: the page writes it with textContent
    assert explorer.get(other).network is explorer.network
    assert not (tmp_path.parent / "hostile.csv").exists()


@pytest.mark.parametrize(
    ("sent", "ours"),
    [
        ("../../etc/passwd.csv", "passwd.csv"),
        ("..\\..\\Windows\\dealers.XLSX", "dealers.xlsx"),
        ("<script>.csv", "script.csv"),
        ("no suffix", "no-suffix"),
        ("dealers.c$v", "dealers"),
        ("", "dealers"),
    ],
)
def test_an_uploaded_file_gets_a_safe_name_of_ours(sent: str, ours: str) -> None:
    assert tabs._upload_name(sent) == ours


def test_uploaded_files_with_the_same_name_do_not_overwrite_each_other() -> None:
    used: set[str] = set()
    names = [tabs._unique(tabs._upload_name(n), used) for n in ("a.csv", "A.csv", "sub/a.csv")]
    assert len({n.lower() for n in names}) == 3


def test_an_upload_too_large_is_refused(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    tab = open_tab(client)["tab"]
    monkeypatch.setattr(tabs, "MAX_UPLOAD_BYTES", 1_000)
    answer = client.post(
        f"/api/tabs/{tab}/dealers", files=[("files", ("big.csv", b"x" * 5_000, "text/csv"))]
    )
    assert "errors" in answer.json() and "MB" in answer.json()["errors"][0]


# --- guards ---------------------------------------------------------------------------


def test_a_host_name_the_server_does_not_answer_to_is_refused(client: TestClient) -> None:
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400


def test_a_change_from_another_site_is_refused(client: TestClient) -> None:
    tab = open_tab(client)["tab"]
    answer = client.post(
        f"/api/tabs/{tab}/change", json={}, headers={"origin": "http://evil.example"}
    )
    assert answer.status_code == 403
    ours = client.post(
        f"/api/tabs/{tab}/change",
        json={"quality": "preview"},
        headers={"origin": "http://testserver"},
    )
    assert ours.status_code == 200


def test_served_beyond_this_machine_the_token_is_required(explorer: tabs.Tabs) -> None:
    app = create_app(explorer, token="s3cret-token", hosts=TEST_HOSTS)
    with TestClient(app) as stranger:
        assert stranger.get("/").status_code == 403
        assert stranger.get("/?token=wrong").status_code == 403
        assert stranger.post("/api/tabs", json={}).status_code == 403
    with TestClient(app) as user:
        answer = user.get("/?token=s3cret-token", follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/"
        cookie = answer.headers["set-cookie"]
        assert f"{TOKEN_COOKIE}=s3cret-token" in cookie
        assert "samesite=strict" in cookie.lower() and "httponly" in cookie.lower()
        user.cookies.set(TOKEN_COOKIE, "s3cret-token")
        assert user.get("/").status_code == 200
        tab = user.post("/api/tabs", json={}).json()["tab"]
        refused = user.post(
            f"/api/tabs/{tab}/change", json={}, headers={"origin": "http://evil.example"}
        )
        assert refused.status_code == 403


def test_the_hosts_answered_to_follow_the_listening_address() -> None:
    from dealernet.cli.serve import allowed_hosts

    assert "evil.example" not in allowed_hosts("127.0.0.1")
    assert allowed_hosts("10.0.0.5")[0] == "10.0.0.5"
    assert allowed_hosts("0.0.0.0") == ["*"]


# --- the form and its scenario file -----------------------------------------------------


@pytest.mark.parametrize("name", bundled_scenarios())
def test_every_bundled_scenario_survives_the_form_and_its_toml_unchanged(name: str) -> None:
    scenario = load_scenario(scenario_path(name))
    settings = form.form_of(scenario)
    again = form.scenario_of(scenario, settings)
    assert again.to_dict() == scenario.to_dict()
    text = form.scenario_toml(again, scenario)
    assert parse_scenario(tomllib.loads(text), "downloaded").to_dict() == scenario.to_dict()
    assert str(SCENARIOS_DIR) not in text  # the server's folders are not shown


def test_listed_ids_with_quotes_and_backslashes_select_exactly_their_store() -> None:
    odd = ['A"1\\x', "it's", "plain"]
    network = network_from(
        [site(i, "Infiniti", 32.78 + n, -96.8) for n, i in enumerate(odd)]
        + [site("N-1", "Nissan", 40.0, -80.0)]
    )
    base = default_scenario()
    scenario = form.scenario_of(base, form.Settings(rules=(), keep=(odd[0],), close=(odd[1],)))
    text = form.scenario_toml(scenario, base)
    decided = apply_rules(network, parse_scenario(tomllib.loads(text), "downloaded")).table
    by_id = decided.set_index("dealer_id")
    assert by_id.loc[odd[0], "rule_id"] == form.KEEP_RULE
    assert by_id.loc[odd[1], "rule_id"] == form.CLOSE_RULE
    assert by_id.loc["plain", "rule_id"] not in (form.KEEP_RULE, form.CLOSE_RULE)


def test_the_form_changes_only_what_it_names() -> None:
    base = default_scenario()
    settings = form.settings_from(
        {"rules": [{"id": "nearest", "max_distance_miles": 12, "capacity": None}]}, base
    )
    changed = form.scenario_of(base, settings)
    assert changed.rule("nearest").max_distance_miles == 12
    assert changed.rule("nearest").capacity != base.rule("nearest").capacity  # back to default
    assert [r.to_dict() for r in changed.rules if r.id != "nearest"] == [
        r.to_dict() for r in base.rules if r.id != "nearest"
    ]
    assert form.differences(base, changed) == [
        "rules.nearest.capacity: 1 -> no limit",
        "rules.nearest.max_distance_miles: 30.0 -> 12.0",
    ]


# --- the command ------------------------------------------------------------------------


def test_the_command_serves_the_page_at_the_address_it_prints(tmp_path: Path) -> None:
    import subprocess
    import sys
    import urllib.request

    command = [sys.executable, "-m", "dealernet", "serve", "--dealers", "sample"]
    server = subprocess.Popen(
        [*command, "--no-browser", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert server.stdout is not None
        address = ""
        for line in server.stdout:
            if line.startswith("dealernet explorer: "):
                address = line.split(": ", 1)[1].strip()
                break
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", address), address
        with urllib.request.urlopen(address, timeout=30) as answer:
            assert answer.status == 200 and b"dealernet explorer" in answer.read()
    finally:
        server.terminate()
        server.communicate(timeout=30)  # closes its pipes
    assert list(tmp_path.iterdir()) == []  # nothing written where it ran


def test_a_port_in_use_is_an_error_that_says_what_to_do() -> None:
    import socket
    import subprocess
    import sys

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "dealernet", "serve", "--dealers", "sample"]
            + ["--no-browser", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1 port {port}" in done.stderr
    assert "--port 0" in done.stderr and "Traceback" not in done.stderr


def test_the_workbook_and_the_gis_bundle_download_for_the_tabs_settings(
    client: TestClient, explorer: tabs.Tabs, tmp_path: Path
) -> None:
    import geopandas as gpd
    import openpyxl
    import pyogrio

    tab = open_tab(client)["tab"]
    change(client, tab, rules=nearest_at(11), quality="preview")
    book = client.get(f"/tabs/{tab}/dealernet.xlsx")
    assert book.status_code == 200 and "attachment" in book.headers["content-disposition"]
    (tmp_path / "b.xlsx").write_bytes(book.content)
    assert openpyxl.load_workbook(tmp_path / "b.xlsx", read_only=True).sheetnames
    gis = client.get(f"/tabs/{tab}/dealernet.gpkg")
    (tmp_path / "g.gpkg").write_bytes(gis.content)
    assert "stores" in [name for name, _ in pyogrio.list_layers(tmp_path / "g.gpkg")]
    full = explorer.get(tab).full
    assert full is not None and full.scenario.rule("nearest").max_distance_miles == 11
    stores = gpd.read_file(tmp_path / "g.gpkg", layer="stores").set_index("dealer_id")
    decided = full.decisions.table.set_index("dealer_id")["decision"]
    assert stores["decision"].reindex(decided.index).tolist() == decided.tolist()


def test_a_store_listed_both_to_keep_and_to_close_is_an_error(client: TestClient) -> None:
    tab = open_tab(client)["tab"]
    answer = change(client, tab, keep_names=["SAMPLE-INF-0001"], close_names=["SAMPLE-INF-0001"])
    assert "both to keep and to close" in " ".join(answer["errors"])


def test_a_name_that_fits_several_stores_lists_them_by_name_and_city(
    client: TestClient, sample_result: Any
) -> None:
    table = sample_result.decisions.table
    counts = table["name"].value_counts()
    unique = table[(table["name"].map(counts) == 1) & (table["decision"] == "absorb")].iloc[0]
    tab = open_tab(client)["tab"]
    state = change(client, tab, close_names=[unique["name"]], quality="preview")
    assert [r["dealer_id"] for r in state["changed"]["rows"]] == [unique["dealer_id"]]
    answer = change(client, tab, keep_names=["Infiniti"], quality="preview")
    listed = " ".join(answer["errors"])
    assert f"matches {len(table)} stores" in listed
    spelled = re.findall(r"'([^']+) \(([^,]+), ([A-Z]{2})\) \[([^\]]+)\]'", listed)
    by_id = table.set_index("dealer_id")
    assert spelled and all(
        (by_id.at[i, "name"], by_id.at[i, "city"], by_id.at[i, "state"]) == (n, c, st)
        for n, c, st, i in spelled
    )


def test_a_rule_that_decides_nothing_is_noted_as_the_cli_notes_it(client: TestClient) -> None:
    tab = open_tab(client)["tab"]
    rules = [{"id": "keep-strong", "when": "annual_new_units >= 1000000"}]
    state = change(client, tab, rules=rules, quality="preview")
    assert "rule keep-strong (keep) decided no store" in state["notes"]


def test_upload_problems_never_show_the_private_folder(client: TestClient) -> None:
    tab = open_tab(client)["tab"]
    twice = BAD_CSV + "B-1,Again,Infiniti,Dallas,TX,32.79,-96.81\n"
    answer = client.post(
        f"/api/tabs/{tab}/dealers",
        files=[("files", ("Our Dealers.csv", twice.encode(), "text/csv"))],
    )
    problems = answer.json()["problems"]
    text = json.dumps(problems)
    assert problems and "dealernet-upload-" not in text and tempfile.gettempdir() not in text
    assert any("Our Dealers.csv" in p["problem"] for p in problems)  # the duplicate's other row


def test_the_scenario_file_says_how_to_rerun_it_on_the_same_network(client: TestClient) -> None:
    tab = open_tab(client)["tab"]
    text = client.get(f"/tabs/{tab}/scenario.toml").text
    assert "dealernet run --dealers sample --scenario THIS_FILE" in text
