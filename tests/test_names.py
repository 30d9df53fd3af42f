"""One name matcher for every command: the same typo is read the same way, and says so.

``report``, ``map`` and ``query`` all read ``--owner`` (and ``--state``, ``--near``,
``--host``, ``--region``, ``--county``) through :class:`dealernet._names.Names`: an exact
name wins, a clear close spelling is read as the name with a note on standard error, and
an ambiguous or hopeless name is refused with the names it could be.
"""

from __future__ import annotations

import ast
import difflib
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import dealernet
from dealernet import QueryError, _names
from dealernet._names import CUTOFF, MARGIN, Match, Names, corrected, listing, state_names
from dealernet.analysis.result import Result
from dealernet.cli.main import cli
from dealernet.planning.query import query
from dealernet.planning.selection import select
from dealernet.render.reports import match_owners, owner_matches
from dealernet.slugs import slug
from helpers import MILE, ORIGIN, east, network_from, site

PACKAGE = Path(dealernet.__file__).parent
OWNER = "Maple Lake Automotive"
TYPO = "Maple Lake Automotie"
NOTE = f"--owner {TYPO!r} read as {OWNER!r}"


def small_network() -> pd.DataFrame:
    """Infiniti stores near Dallas owned by look-alike groups, and Nissan hosts."""
    lat, lon = ORIGIN
    return network_from(
        [
            site("I-1", "Infiniti", lat, lon, owner=OWNER, annual_new_units=250),
            site("I-2", "Infiniti", lat + 10 * MILE, lon, owner="Alpha Group"),
            site("I-3", "Infiniti", lat - 10 * MILE, lon, owner="Alpha Groups"),
            site("I-4", "Infiniti", lat + 20 * MILE, lon, owner="Prairie Lake Motors"),
            site("N-1", "Nissan", lat, lon + east(3), owner=OWNER, name="Nissan of Dallas"),
            site("N-2", "Nissan", lat + 11 * MILE, lon, owner="Beta", name="Nissan of Plano"),
            site("N-3", "Nissan", lat - 11 * MILE, lon, owner="Beta", name="Nissan of Waco"),
            site("N-4", "Nissan", lat + 21 * MILE, lon, owner="Beta", name="Nissan of Allen"),
        ]
    )


@pytest.fixture(scope="module")
def dealers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small network as a dealer file a user would write."""
    columns = ["dealer_id", "name", "brand", "owner_group", "city", "state"]
    columns += ["latitude", "longitude", "annual_new_units"]
    path = tmp_path_factory.mktemp("dealers") / "dealers.csv"
    pd.DataFrame(small_network())[columns].to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def result(dealers: Path) -> Result:
    return dealernet.run(dealernet.load_network(dealers), what_drives=False)


def invoke(*args: str) -> tuple[int, str, str]:
    """Run the CLI; exit code, standard output and standard error, kept apart."""
    done = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in done.output, done.output
    return done.exit_code, done.stdout, done.stderr


# --- the matcher ------------------------------------------------------------------------


def groups() -> Names:
    return Names(["Alpha Group", "Alpha Groups", OWNER], kind=_names.OWNER, partial=True)


def test_exact_beats_a_closer_looking_fuzzy_or_partial_match() -> None:
    found = groups().match("  alpha   GROUP ")
    assert found == Match("  alpha   GROUP ", "Alpha Group", True, _names.OWNER, "Alpha Group")
    assert groups().match("Alpha Groups").value == "Alpha Groups"


def test_a_clear_typo_is_read_as_the_name_and_is_not_exact() -> None:
    found = groups().match(TYPO)
    assert (found.value, found.exact) == (OWNER, False)
    assert found.note("--owner") == NOTE
    assert found.note() == f"owner group {TYPO!r} read as {OWNER!r}"
    assert corrected([groups().match("alpha group"), found]) == (found,)


def test_part_of_one_name_is_read_as_it_and_noted() -> None:
    found = groups().match("maple lake")
    assert (found.value, found.exact) == (OWNER, False)


def test_an_ambiguous_typo_is_refused_with_both_candidates() -> None:
    with pytest.raises(QueryError, match="about equally close") as info:
        groups().match("Alpha Grop")
    assert "'Alpha Group'" in str(info.value) and "'Alpha Groups'" in str(info.value)
    with pytest.raises(QueryError, match=r"matches 2 owner groups: 'Alpha Group' and 'Alpha"):
        groups().match("alpha")


def test_a_hopeless_name_is_refused_with_suggestions() -> None:
    with pytest.raises(QueryError, match=r"no owner group called 'Maple Lake Holdings'") as info:
        groups().match("Maple Lake Holdings")
    assert f"Did you mean {OWNER!r}?" in str(info.value)
    with pytest.raises(QueryError, match=r"no owner group called 'zzz'\.$"):
        groups().match("zzz")  # nothing close: nothing suggested, nothing guessed
    with pytest.raises(QueryError, match="empty"):
        groups().match("   ")


def test_the_cut_offs_decide_and_a_rival_within_the_margin_blocks() -> None:
    ratio = lambda a, b: difflib.SequenceMatcher(None, b, a).ratio()  # noqa: E731
    names = Names(["abcdefgh", "abcdwxyz"], kind="thing")
    assert ratio("abcdefgx", "abcdefgh") >= CUTOFF  # one letter off in eight: 0.875
    assert names.match("abcdefgx").value == "abcdefgh"
    assert ratio("abcdeqrs", "abcdefgh") < CUTOFF  # three off: 0.625, only a suggestion
    with pytest.raises(QueryError, match=r"Did you mean 'abcdefgh'\?"):
        names.match("abcdeqrs")
    rivals = Names(["abcdefghij", "abcdefghik"], kind="thing")
    assert abs(ratio("abcdefghi", "abcdefghij") - ratio("abcdefghi", "abcdefghik")) < MARGIN
    with pytest.raises(QueryError, match="about equally close"):
        rivals.match("abcdefghi")


def test_states_read_codes_names_and_close_spellings() -> None:
    states = state_names()
    assert [states.match(s).value for s in ("tx", "Texas", " TEXAS ", "48")] == ["TX"] * 4
    assert all(states.match(s).exact for s in ("tx", "Texas", "D.C.", "Puerto Rico"))
    texs = states.match("Texs")
    assert (texs.value, texs.exact, texs.label) == ("TX", False, "Texas")
    with pytest.raises(QueryError, match=r"no state called 'XX'\. Use a postal code"):
        states.match("XX")  # two letters one off are never guessed


def test_listing_counts_beyond_the_limit() -> None:
    assert listing(["a"]) == "'a'"
    assert listing(["a", "b"], "or") == "'a' or 'b'"
    assert listing("abcdefg", limit=3) == "'a', 'b', 'c' and 4 more"


def test_no_command_keeps_a_matcher_of_its_own() -> None:
    """The cut-offs live in _names only: the name-reading modules no longer use difflib."""
    for module in (
        "planning/selection.py",
        "planning/query.py",
        "render/reports.py",
        "geo/places.py",
        "geo/regions.py",
        "geo/counties.py",
    ):
        tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert "difflib" not in imported, module


# --- the library: selections, queries and reports read names alike ----------------------


def test_exact_owner_selects_only_that_group(result: Result) -> None:
    table = result.decisions.table
    selection = select(result, owners=["alpha group"])
    assert list(table.loc[selection.mask, "dealer_id"]) == ["I-2"]
    assert selection.corrections == ()
    assert match_owners(result, ["Alpha Group"]) == ["Alpha Group"]


def test_select_query_and_reports_read_a_typo_alike(result: Result) -> None:
    selection = select(result, owners=[TYPO])
    answer = query(result, owner=TYPO)
    (report,) = owner_matches(result, [TYPO])
    assert selection.label == answer.label == report.value == OWNER
    assert selection.corrections == answer.corrections == (report,)
    both = "'Alpha Group' and 'Alpha Groups'"
    with pytest.raises(QueryError, match=both):
        select(result, owners=["Alpha Grop"])
    with pytest.raises(QueryError, match=both):
        query(result, owner="Alpha Grop")
    with pytest.raises(QueryError, match=both):
        match_owners(result, ["Alpha Grop"])


def test_every_name_filter_of_a_query_reports_its_corrections(result: Result) -> None:
    answer = query(
        result,
        states="Texs",
        county="Dalas, TX",
        region="Sout",
        near="Dalas, TX",
        radius_miles=100,
        host="Nisan of Plano",
    )
    read = {m.kind: (m.query, m.shown) for m in answer.corrections}
    assert read == {
        _names.STATE: ("Texs", "Texas"),
        _names.PLACE: ("Dalas, TX", "Dallas, TX"),
        _names.COUNTY: ("Dalas, TX", "Dallas County, TX"),
        _names.REGION: ("Sout", "South"),
        _names.HOST: ("Nisan of Plano", "Nissan of Plano (N-2)"),
    }
    assert list(answer.sites["dealer_id"]) == ["I-2"]
    exact = query(result, states="TX", region="South", host="Nissan of Plano")
    assert exact.corrections == ()


# --- the command line --------------------------------------------------------------------


def test_report_map_and_query_accept_the_same_typo_and_say_so(
    dealers: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    common = ["-d", str(dealers), "-o", str(out)]
    code, _, err = invoke("report", "--owner", TYPO, *common)
    assert code == 0 and NOTE in err
    assert [p.name for p in (out / "owners").glob("*.html")] == [f"{slug(OWNER)}.html"]
    drawn = tmp_path / "map.html"
    code, _, err = invoke("map", "--owner", TYPO, "--output", str(drawn), *common)
    assert code == 0 and NOTE in err and drawn.is_file()
    code, typed, err = invoke("query", "--owner", TYPO, "--format", "csv", *common)
    assert code == 0 and NOTE in err
    code, exact, err = invoke("query", "--owner", OWNER, "--format", "csv", *common)
    assert code == 0 and typed == exact and "read as" not in err


def test_state_typo_becomes_tx_with_a_note(dealers: Path, tmp_path: Path) -> None:
    common = ["-d", str(dealers), "-o", str(tmp_path)]
    code, typed, err = invoke("query", "--state", "Texs", "--format", "csv", *common)
    assert code == 0 and "--state 'Texs' read as 'Texas'" in err
    assert typed == invoke("query", "--state", "TX", "--format", "csv", *common)[1]
    code, _, err = invoke("map", "--state", "Texs", "--output", str(tmp_path / "tx.html"), *common)
    assert code == 0 and "--state 'Texs' read as 'Texas'" in err


def test_ambiguous_and_hopeless_names_are_refused_the_same_by_every_command(
    dealers: Path, tmp_path: Path
) -> None:
    common = ["-d", str(dealers), "-o", str(tmp_path)]
    for command in ("report", "map", "query"):
        code, _, err = invoke(command, "--owner", "Alpha Grop", *common)
        assert code == 1 and "'Alpha Group' and 'Alpha Groups'" in err, (command, err)
        code, _, err = invoke(command, "--owner", "Maple Lake Holdings", *common)
        assert code == 1 and f"Did you mean {OWNER!r}?" in err, (command, err)


def test_another_word_is_not_a_typo_even_when_the_whole_name_is_close() -> None:
    """ "Granite Peak" is a different group from "Granite Oak": never read one as the other."""
    typed, real = "granite peak auto partners", "granite oak auto partners"
    assert difflib.SequenceMatcher(None, typed, real).ratio() >= _names.CUTOFF
    names = _names.Names(["Granite Oak Auto Partners"], kind=_names.OWNER)
    with pytest.raises(QueryError, match="Granite Oak Auto Partners"):
        names.match("Granite Peak Auto Partners")
    assert names.match("Granite Oak Auto Partnrs").value == "Granite Oak Auto Partners"
