"""One owner, one key, one report file: owner names that differ only in how they are written.

Issue 14: owner names differing by case, repeated spaces, a tab or a non-breaking space
were one owner to the rules but separate groups in the roll-ups, and their reports fought
over one file. These tests build such networks (by hand and by hypothesis) and check the
rules, the roll-ups, the report files and the matcher all see one owner.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dealernet import slugs
from dealernet._names import display_name, name_key
from dealernet.analysis.pipeline import run
from dealernet.io.loader import load_network
from dealernet.io.owner_names import unify_owner_names
from dealernet.render.reports import match_owners, write_reports
from dealernet.schema import OWNER_GROUP
from helpers import MILE, ORIGIN, network_from, site

LAT, LON = ORIGIN


def respell(name: str, how: int) -> str:
    """``name`` written one of the ways a spreadsheet gets it wrong."""
    ways = (
        lambda s: s,
        str.lower,
        str.upper,
        lambda s: s.replace(" ", "  "),
        lambda s: s.replace(" ", "\t", 1),
        lambda s: s.replace(" ", "\u00a0"),
        lambda s: f"  {s} ",
        lambda s: s.replace(" ", " \u200b", 1),
    )
    return ways[how % len(ways)](name)


def owned_network(spellings: list[str]) -> object:
    """One Infiniti store per spelling, each 30 miles from the last, with a Nissan host
    10 miles away owned by another group, so every store is absorbed and reported."""
    rows = []
    for i, owner in enumerate(spellings):
        lat = LAT + i * 30 * MILE
        rows.append(site(f"I-{i}", "Infiniti", lat, LON, owner=owner, annual_new_units=300))
        rows.append(site(f"N-{i}", "Nissan", lat + 10 * MILE, LON, owner="Host Group"))
    return network_from(rows)


def run_quietly(network: object) -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return run(network, what_drives=False)


@given(
    owners=st.lists(
        st.sampled_from(["Alpha Group", "Beta Motors", "A/B Motors", "A-B Motors"]),
        min_size=1,
        max_size=6,
    ),
    hows=st.lists(st.integers(0, 7), min_size=6, max_size=6),
)
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_one_report_file_per_group_always(
    owners: list[str], hows: list[int], tmp_path_factory: pytest.TempPathFactory
) -> None:
    spellings = [respell(o, h) for o, h in zip(owners, hows, strict=False)]
    result = run_quietly(owned_network(spellings))
    groups = set(result.owners[OWNER_GROUP])
    assert len(groups) == len({name_key(o) for o in owners})  # by key, not by spelling
    out = tmp_path_factory.mktemp("reports")
    write_reports(result, out)
    files = sorted((out / "owners").glob("*.html"))
    assert len(files) == len(groups)  # never two groups in one file, never one group in two
    index = (out / "index.html").read_text(encoding="utf-8")
    stems = slugs.file_stems(groups)
    assert sorted(f.stem for f in files) == sorted(stems.values())
    for group in groups:
        assert f"owners/{stems[group]}.html" in index


def test_the_first_spelling_is_shown_and_the_rules_agree() -> None:
    spellings = ["Alpha Group", "alpha  group", "ALPHA\tGROUP", "Alpha\u00a0Group"]
    network = owned_network(spellings)
    with pytest.warns(UserWarning, match="read as the owner 'Alpha Group'"):
        result = run(network, what_drives=False)
    assert list(result.owners[OWNER_GROUP]) == ["Alpha Group"]
    assert int(result.owners["stores"].iloc[0]) == 4
    assert set(result.decisions.table[OWNER_GROUP]) == {"Alpha Group"}
    # the exact spelling, any spelling, reads as the one group
    assert match_owners(result, ["ALPHA GROUP", "alpha\u00a0group"]) == ["Alpha Group"]


def test_loader_rewrites_variants_and_warns_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "dealers.csv"
    path.write_text(
        "dealer_id,name,brand,owner_group,latitude,longitude\n"
        "I-1,Infiniti A,Infiniti,Alpha Group,32.8,-96.8\n"
        "I-2,Infiniti B,Infiniti,alpha  group,33.2,-96.8\n"
        "N-1,Nissan A,Nissan,ALPHA GROUP,32.9,-96.8\n",
        encoding="utf-8",
    )
    network = load_network(path)
    assert set(network[OWNER_GROUP]) == {"Alpha Group"}
    found = network.attrs["validation"].warnings
    assert [(p.row, p.value) for p in found] == [(3, "alpha  group"), (4, "ALPHA GROUP")]
    assert all("the owner is written 'Alpha Group' at line 2" in p.message for p in found)


def test_different_owners_stay_different() -> None:
    frame = owned_network(["A/B Motors", "A-B Motors", "AB Motors"])
    unified, owners = unify_owner_names(frame)  # type: ignore[arg-type]
    assert owners == {}
    assert unified is frame
    names = ["A/B Motors", "A-B Motors", "AB Motors"]
    stems = slugs.file_stems(names)
    assert len(set(stems.values())) == 3  # "a-b-motors" twice: both get a hash
    assert stems["AB Motors"] == "ab-motors"
    assert all(stems[n].startswith("a-b-motors-") for n in ("A/B Motors", "A-B Motors"))


@given(st.text(max_size=40))
def test_name_key_ignores_only_what_a_reader_cannot_see(text: str) -> None:
    assert name_key(display_name(text)) == name_key(text)
    assert name_key(name_key(text)) == name_key(text)
    assert name_key(f" {text.upper()} ") == name_key(text.upper())
    assert not any(c in name_key(text) for c in "\t\n\r\x00\x1b\u00a0\u200b\u202e")


def test_two_names_with_one_file_name_never_share_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slugs, "_plain", lambda normal, prefix: "clash")
    stems = slugs.file_stems(["Alpha Group", "Beta Motors"])
    assert len(set(stems.values())) == 2 and all(v.startswith("clash-") for v in stems.values())
    assert slugs.file_stems(["Alpha Group", "Alpha Group"]) == {"Alpha Group": "clash"}
    monkeypatch.setattr(slugs, "_digest", lambda normal: "0" * 64)  # even equal hashes
    stems = slugs.file_stems(["Alpha Group", "Beta Motors"])
    assert len(set(stems.values())) == 2  # a longer prefix is taken: never one file for two
