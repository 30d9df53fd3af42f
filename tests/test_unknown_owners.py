"""Never invent an owner: a store whose owner is not known stands alone everywhere.

With no owner column every store used to belong to one owner called "(none)": one report of
146 stores said "none into a store the group owns", "$4.64 B at risk to the group", and that
"Bert Ogden Infiniti" moving into "Bert Ogden Nissan" was "another owner's store". Here the
sample is run with its owner column removed, as a user would run a locator roster, and a
small toy network mixes owners from the file, inferred owners and unknown ones.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from dealernet.analysis.owner_groups import NOT_KNOWN, unknown_owner_key
from dealernet.analysis.pipeline import run
from dealernet.cli.main import cli
from dealernet.engine.rules import apply_rules
from dealernet.engine.scenario import Scenario, parse_scenario
from dealernet.planning.query import query
from dealernet.planning.saved_run import load_results
from dealernet.planning.sql import run_sql
from dealernet.render.maps import map_path, write_map
from dealernet.render.reports import write_reports
from dealernet.schema import OWNER_INFERRED, OWNER_SOURCE
from dealernet.slugs import slug
from helpers import DEALERS, MILE, ORIGIN, east, network_from, site

#: What no page or table may say about a store whose owner is not known.
INVENTED = ("the group owns", "another owner's store", "(none)")
SKIPPED = "owner not known, so the same-owner rule did not apply"
LAT, LON = ORIGIN


def read(path: Path) -> str:
    return html.unescape(path.read_text(encoding="utf-8"))


def csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def scenario(*rules: dict[str, object]) -> Scenario:
    head = {"name": "test", "source_brand": "Infiniti", "host_brand": "Nissan"}
    return parse_scenario({"scenario": head, "rules": list(rules)}, "test.toml")


# --- the sample without its owner column, run as a user runs it ------------------------------


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``dealernet run`` on the sample's dealer files with the owner_group column dropped."""
    folder = tmp_path_factory.mktemp("noowner")
    for path in sorted(DEALERS.glob("*.csv")):
        csv(path).drop(columns=["owner_group"]).to_csv(folder / path.name, index=False)
    out = tmp_path_factory.mktemp("noowner-out")
    args = ["run", "--dealers", str(folder), "--out", str(out)]
    done = CliRunner().invoke(cli, [*args, "--no-sensitivity"])  # owners, not what drives
    assert done.exit_code == 0, done.output
    return out


@pytest.fixture(scope="module")
def decisions(out: Path) -> pd.DataFrame:
    return csv(out / "data" / "decisions.csv")


@pytest.fixture(scope="module")
def alone(decisions: pd.DataFrame) -> pd.DataFrame:
    """Stores whose owner is still not known after inference (most of the sample's)."""
    unknown = decisions.loc[decisions["owner_group"] == ""]
    assert len(unknown) > 100, "the sample's names should leave most owners unknown"
    return unknown


def reports_alone(out: Path, stores: pd.DataFrame) -> list[Path]:
    """The report of each store of ``stores`` (whose owner is not known) that has one."""
    keys = (
        unknown_owner_key(n, d) for n, d in zip(stores["name"], stores["dealer_id"], strict=True)
    )
    return [p for k in keys if (p := out / "owners" / f"{slug(k)}.html").is_file()]


def test_no_page_or_table_invents_an_owner(out: Path, alone: pd.DataFrame) -> None:
    mine = reports_alone(out, alone)
    assert len(mine) > 100
    for page in mine:
        text = read(page)
        found = [p for p in INVENTED if p in text]
        assert not found, (page.name, found)
    for page in [
        out / "index.html",
        out / "network.html",
        *sorted((out / "owners").glob("*.html")),
    ]:
        text = read(page)
        assert "(none)" not in text and "another owner's store" not in text, page.name
    for table in [*sorted((out / "data").glob("*.csv")), *sorted((out / "owners").glob("*.csv"))]:
        frame = csv(table)
        for column in ("owner_group", "host_owner_group"):
            if column in frame:
                assert "(none)" not in set(frame[column]), (table.name, column)


def test_each_affected_store_of_unknown_owner_has_its_own_report(
    out: Path, alone: pd.DataFrame
) -> None:
    affected = alone.loc[alone["decision"].isin(["absorb", "close"])]
    for store in affected.itertuples():
        key = unknown_owner_key(store.name, store.dealer_id)
        page = out / "owners" / f"{slug(key)}.html"
        assert page.name.startswith(slug(store.name) + "-dealer-"), page.name  # the store's name
        text = read(page)
        heading = re.search(r"<h1[^>]*>(.*?)</h1>", text, re.S)
        assert heading and store.name in heading.group(1) and NOT_KNOWN in heading.group(1)
        assert f'data-dealer-id="{store.dealer_id}"' in text
        others = set(alone["dealer_id"]) - {store.dealer_id}
        assert not any(f'data-dealer-id="{d}"' in text for d in others)  # this store alone
    index = read(out / "index.html")
    assert "each is listed on its own" in index or "is listed on its own" in index


def test_owners_csv_has_one_row_per_store_of_unknown_owner(out: Path, alone: pd.DataFrame) -> None:
    owners = csv(out / "data" / "owners.csv")
    rows = owners.loc[owners[OWNER_SOURCE] == "unknown"]
    assert sorted(rows["dealer_id"]) == sorted(alone["dealer_id"])
    assert set(rows["stores"]) == {"1"}
    keys = {unknown_owner_key(n, d) for n, d in zip(alone["name"], alone["dealer_id"], strict=True)}
    assert set(rows["owner_group"]) == keys
    # figures that need the owner are missing, not 0 or False
    assert set(rows["absorbed_into_same_owner"]) == {""}
    assert set(rows["owns_a_host"]) == {""}
    assert set(owners.loc[owners[OWNER_SOURCE] != "unknown", "dealer_id"]) <= {""}


def test_same_owner_host_is_missing_where_either_owner_is_unknown(decisions: pd.DataFrame) -> None:
    has_host = decisions["host_dealer_id"] != ""
    blind = has_host & ((decisions["owner_group"] == "") | (decisions["host_owner_group"] == ""))
    assert blind.sum() > 100
    assert set(decisions.loc[blind, "same_owner_host"]) == {""}


def test_the_same_owner_rule_says_it_did_not_apply(decisions: pd.DataFrame, alone) -> None:
    # the default scenario's `same-owner` rule requires the owner's own Nissan store
    reached = (alone["decision"] != "unaffected") & (alone["rule_id"] != "keep-strong")
    reasons = alone.loc[reached, "reason"]
    assert len(reasons) > 100
    assert reasons.str.contains(SKIPPED, regex=False).all()
    assert (alone["rule_id"] != "same-owner").all()


def test_query_and_sql_list_stores_of_unknown_owner_as_owners_csv_does(out: Path, alone) -> None:
    result = load_results(out)
    groups = query(result, group_by="owner").groups
    assert groups is not None
    mine = groups.loc[groups[OWNER_SOURCE] == "unknown"]
    assert sorted(mine["dealer_id"]) == sorted(alone["dealer_id"])
    assert (mine["stores"] == 1).all()
    assert mine["absorbed_into_same_owner"].isna().all()
    answer = run_sql(
        result,
        "SELECT count(*) AS n, max(stores) AS most FROM owners WHERE owner_source = 'unknown'",
    )
    assert int(answer["n"].iat[0]) == len(alone) and int(answer["most"].iat[0]) == 1
    # a store alone can be asked for by its name, as its report is
    name = alone.loc[alone["decision"] == "absorb", "name"].iloc[0]
    ids = set(alone.loc[alone["name"] == name, "dealer_id"])
    chosen = query(result, owner=unknown_owner_key(name, sorted(ids)[0])).sites
    assert list(chosen["dealer_id"]) == [sorted(ids)[0]]


# --- a toy network: owners from the file, inferred and unknown ------------------------------


def toy() -> pd.DataFrame:
    """Near Dallas: an inferred pair, a known group, stores and hosts of unknown owner."""
    return network_from(
        [
            site("I-1", "Infiniti", LAT, LON, name="Bert Ogden Infiniti"),
            site("N-1", "Nissan", LAT, LON + east(3), name="Bert Ogden Nissan"),
            site("I-2", "Infiniti", LAT + 20 * MILE, LON, name="Lakeside Infiniti"),
            site("N-2", "Nissan", LAT + 25 * MILE, LON, name="Harbor Nissan"),
            site("I-3", "Infiniti", LAT + 300 * MILE, LON, name="Prairie Infiniti"),
            site(
                "I-4", "Infiniti", LAT - 20 * MILE, LON, owner="Maple Group", name="Maple Infiniti"
            ),
            site("N-3", "Nissan", LAT - 28 * MILE, LON, owner="Maple Group", name="Maple Nissan"),
            site("I-5", "Infiniti", LAT, LON - east(60), owner="Solo Motors", name="Solo Infiniti"),
            site("N-4", "Nissan", LAT, LON - east(64), name="Open Road Nissan"),
        ]
    )


REQUIRE = {"id": "own", "action": "absorb", "same_owner": "require", "max_distance_miles": 40}


def test_a_require_same_owner_rule_never_fires_for_an_unknown_owner() -> None:
    decisions = apply_rules(toy(), scenario(REQUIRE))
    table = decisions.table.set_index("dealer_id")
    assert table.loc["I-4", "decision"] == "absorb"  # the file's owner: its own store
    assert bool(table.loc["I-4", "same_owner_host"]) is True
    for store in ("I-1", "I-2", "I-3"):
        assert table.loc[store, "decision"] == "keep", store
        assert SKIPPED in table.loc[store, "reason"], table.loc[store, "reason"]
        steps = decisions.trace[store].steps
        assert steps and SKIPPED in steps[0].detail and not steps[0].decided
    assert any("owner not known for 3 of the 5 stores" in n for n in decisions.notes)


def test_a_later_rule_decides_and_the_reason_still_says_why_same_owner_did_not() -> None:
    nearest = {"id": "nearest", "action": "absorb", "max_distance_miles": 30}
    decisions = apply_rules(toy(), scenario(REQUIRE, nearest, {"id": "rest", "action": "close"}))
    table = decisions.table.set_index("dealer_id")
    assert table.loc["I-2", "decision"] == "absorb" and table.loc["I-2", "rule_id"] == "nearest"
    assert table.loc["I-3", "decision"] == "close"
    for store in ("I-2", "I-3"):
        assert f"{SKIPPED} (rule own)" in table.loc[store, "reason"], table.loc[store, "reason"]
        assert pd.isna(table.loc[store, "same_owner_host"])
    # a known owner absorbed into a host of unknown owner: not "the same", not "another's"
    assert table.loc["I-5", "decision"] == "absorb"
    assert pd.isna(table.loc["I-5", "same_owner_host"])
    assert "its owner not known" in table.loc["I-5", "reason"]
    near = decisions.trace["I-2"].nearest_hosts
    assert all(h.same_owner is None for h in near)


def test_a_prefer_rule_places_an_unknown_owner_by_miles_and_says_so() -> None:
    rule = {"id": "pref", "action": "absorb", "same_owner": "prefer", "max_distance_miles": 30}
    table = apply_rules(toy(), scenario(rule)).table.set_index("dealer_id")
    assert table.loc["I-2", "host_dealer_id"] == "N-2"
    assert SKIPPED in table.loc["I-2", "reason"]
    assert SKIPPED not in table.loc["I-4", "reason"]


@pytest.fixture(scope="module")
def toy_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """The toy run through the pipeline (which infers owners), with its map and reports."""
    result = run(toy())
    out = tmp_path_factory.mktemp("toy")
    write_map(result, map_path(out))
    write_reports(result, out)
    return out, result


def test_an_inferred_owner_is_labelled_inferred(toy_out) -> None:
    out, result = toy_out
    network = result.network.set_index("dealer_id")
    assert network.loc["I-1", OWNER_SOURCE] == OWNER_INFERRED, "Bert Ogden should be inferred"
    group = str(network.loc["I-1", "owner_group"])
    assert network.loc["N-1", "owner_group"] == group
    owners = result.owners.set_index("owner_group")
    assert owners.loc[group, OWNER_SOURCE] == OWNER_INFERRED
    report = read(out / "owners" / f"{slug(group)}.html")
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", report, re.S)
    assert heading and "(inferred)" in heading.group(1)
    assert "Yes" in report  # Bert Ogden Infiniti moves into the group's own Nissan store
    index = read(out / "index.html")
    assert re.search(re.escape(group) + r"</a> <span class=\"small\">\(inferred\)", index)
    popups = json.loads(
        re.search(r'application/json"[^>]*>(.*?)</script>', read(map_path(out)), re.S).group(1)
    )
    site_cards = {html.unescape(s[4]) for s in popups["sites"]}
    assert any("Bert Ogden Infiniti" in c and f"{group} (inferred)" in c for c in site_cards)


def test_toy_pages_say_owner_not_known_and_nothing_invented(toy_out) -> None:
    out, result = toy_out
    table = result.decisions.table
    unknown = table.loc[table["owner_group"].isna()]
    assert set(unknown["dealer_id"]) == {"I-2", "I-3"}
    assert len(reports_alone(out, unknown)) == 2
    for page in reports_alone(out, unknown):
        text = read(page)
        assert not [p for p in INVENTED if p in text], page.name
    for page in [out / "index.html", map_path(out), *sorted((out / "owners").glob("*.html"))]:
        assert "(none)" not in read(page), page.name
    lakeside = read(out / "owners" / f"{slug(unknown_owner_key('Lakeside Infiniti', 'I-2'))}.html")
    assert "Not known: this store's owner is not known" in lakeside
    solo = read(out / "owners" / f"{slug('Solo Motors')}.html")
    assert "Not known: the Nissan store's owner is not known" in solo
    assert "owner not known</span>" in solo  # its host's owner


def test_where_the_file_gives_owners_nothing_changes(sample_result) -> None:
    owners = sample_result.owners
    assert set(owners[OWNER_SOURCE]) == {"file"}
    assert owners["dealer_id"].isna().all()
    assert owners["absorbed_into_same_owner"].notna().all()
    assert (
        sample_result.decisions.table.loc[
            sample_result.decisions.table["host_dealer_id"].notna(), "same_owner_host"
        ]
        .notna()
        .all()
    )


def test_the_nearest_host_same_owner_field_is_not_known_for_an_unknown_owner() -> None:
    """A condition on it can never read "another owner's store" where nobody knows."""
    from dealernet.engine.colocation import NEAREST_HOST_SAME_OWNER, classify

    sites = classify(toy(), "Infiniti", "Nissan", radius_miles=0.25).set_index("dealer_id")
    same = sites[NEAREST_HOST_SAME_OWNER]
    assert same["I-4"] is True  # Maple Infiniti, nearest host Maple Nissan: both known
    assert same["I-5"] is None  # Solo Motors is known, its nearest host's owner is not
    assert same[["I-1", "I-2", "I-3"]].isna().all()  # the store's own owner is not known
