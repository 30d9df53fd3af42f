"""TOML settings files: one reader and one checker, so every file reports problems alike."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from dealernet import AssumptionsError, InputFileError, QueryError, ScenarioError
from dealernet._toml import Checker, read_toml
from dealernet.analysis.assumptions import load_assumptions
from dealernet.engine.scenario import load_scenario
from dealernet.geo.regions import load_regions
from helpers import ASSUMPTIONS

SHIPPED_ASSUMPTIONS = ASSUMPTIONS

LOADERS: list[tuple[Callable[[Path], object], type[Exception], str]] = [
    (load_scenario, ScenarioError, "scenario file"),
    (load_assumptions, AssumptionsError, "assumptions file"),
    (load_regions, QueryError, "regions file"),
]


def write(tmp_path: Path, text: str, name: str = "settings.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- reading ------------------------------------------------------------------------------


def test_read_toml_reads_a_file_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes('\ufeffname = "x"\n[t]\nn = 2\n'.encode())
    assert read_toml(path, "test file") == {"name": "x", "t": {"n": 2}}


@pytest.mark.parametrize(("load", "error", "what"), LOADERS)
def test_a_syntax_error_names_the_file_and_the_line(
    tmp_path: Path, load: Callable[[Path], object], error: type[Exception], what: str
) -> None:
    path = write(tmp_path, '# a comment\n[table]\nkey "no equals sign"\n')
    with pytest.raises(error) as info:
        load(path)
    message = str(info.value)
    assert f"{what} {path} is not valid TOML" in message
    assert "line 3, column 5" in message


@pytest.mark.parametrize(("load", "error", "what"), LOADERS)
def test_a_missing_unreadable_or_non_utf8_file_is_a_clear_error(
    tmp_path: Path, load: Callable[[Path], object], error: type[Exception], what: str
) -> None:
    with pytest.raises(error, match=f"no {what} at {tmp_path / 'nope.toml'}"):
        load(tmp_path / "nope.toml")
    with pytest.raises(error, match=f"cannot read {what}"):
        load(tmp_path)  # a folder
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('name = "Peña"'.encode("latin-1"))
    with pytest.raises(error, match=r"is not UTF-8 text \(byte 10\)"):
        load(latin1)


def test_read_toml_raises_input_file_error_unless_told_otherwise(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no test file at .*; try this"):
        read_toml(tmp_path / "nope.toml", "test file", hint="; try this")


# --- checking: every problem at once ------------------------------------------------------


def test_a_regions_file_lists_every_problem_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[groups]]
id = "west"
name = "West"
kind = "region"
states = ["CA", "Oregon", "XX"]

[[groups]]
id = "north west"
name = "North West"
kind = "region"
states = ["WA", "CA"]

[[groups]]
id = "west"
name = "Far West"
kind = "zone"
states = ["NV"]

[[groups]]
name = "Nowhere"
kind = "region"
states = []
""",
        "regions.toml",
    )
    with pytest.raises(QueryError) as info:
        load_regions(path)
    message = str(info.value)
    expected = [
        "group #1 (West), key 'states': unknown state 'XX'",
        "group #2 (North West), key 'id': 'north west' may use only letters, digits, - and _",
        "group #3: duplicate id 'west' (group #1 has it)",
        "group #4 (Nowhere): missing key 'id'",
        "group #4 (Nowhere), key 'states': must be a list of postal codes or names, not an empty",
    ]
    for problem in expected:
        assert f"{path}, {problem}" in message, message
    assert message.startswith(f"regions file {path} has {len(expected)} problems:")


def test_a_regions_file_with_groups_of_one_kind_sharing_a_state_lists_each(
    tmp_path: Path,
) -> None:
    groups = [("a", "CA", "region"), ("b", "CA", "region"), ("c", "TX", "region")]
    groups += [("d", "TX", "region"), ("e", "CA", "zone")]
    text = "".join(
        f'[[groups]]\nid = "{i}"\nname = "{i.upper()}"\nkind = "{k}"\nstates = ["{s}"]\n'
        for i, s, k in groups
    )
    with pytest.raises(QueryError) as info:
        load_regions(write(tmp_path, text, "regions.toml"))
    message = str(info.value)
    assert "has 2 problems" in message
    assert "CA is in both 'A' and 'B' (kind 'region')" in message
    assert "TX is in both 'C' and 'D' (kind 'region')" in message


def test_a_regions_file_without_groups_says_what_it_needs(tmp_path: Path) -> None:
    with pytest.raises(QueryError, match=r"needs one or more \[\[groups\]\] tables"):
        load_regions(write(tmp_path, 'source = "mine"\n', "regions.toml"))


def test_an_assumptions_file_lists_every_problem_at_once(tmp_path: Path) -> None:
    text = SHIPPED_ASSUMPTIONS.read_text(encoding="utf-8")
    changes = {
        "draws = 2000": "draws = 5\ndrwas = 3",
        "[revenue_share.new]\nbase = 0.55": "[revenue_share.new]\nbase = 'lots'\nbsae = 0.6",
        "[revenue_share.used]\nbase = 0.30": "[revenue_share.used]\nbase = 1.5",
        '"market.decay_sales~market.decay_service" = 0.6': (
            '"market.decay_sale~market.decay_service" = 0.6'
        ),
    }
    for old, new in changes.items():
        assert old in text
        text = text.replace(old, new)
    path = write(tmp_path, text, "assumptions.toml")
    with pytest.raises(AssumptionsError) as info:
        load_assumptions(path)
    message = str(info.value)
    expected = [
        "[revenue_share.new]: unknown key 'bsae' (did you mean 'base'?)",
        "[revenue_share.new], key 'base': must be a number, not text 'lots'",
        "[revenue_share.used]: base = 1.5 is out of range (0 to 1)",
        "[revenue_share.used]: needs low <= base <= high",
        "[correlations], key 'market.decay_sale~market.decay_service': 'market.decay_sale' is "
        "not a parameter of this file (did you mean 'market.decay_sales'?)",
        "[monte_carlo]: unknown key 'drwas' (did you mean 'draws'?)",
        "[monte_carlo], key 'draws': must be between 10 and 1,000,000, not 5",
    ]
    for problem in expected:
        assert f"{path}, {problem}" in message, message
    assert message.startswith(f"assumptions {path} has {len(expected)} problems:")
    assert "missing parameter revenue_share.new" not in message  # it is there, just malformed


def test_an_assumption_quoted_as_text_is_still_a_number(tmp_path: Path) -> None:
    text = SHIPPED_ASSUMPTIONS.read_text(encoding="utf-8")
    text = text.replace("[revenue_share.new]\nbase = 0.55", '[revenue_share.new]\nbase = "0.58"')
    assert load_assumptions(write(tmp_path, text))["revenue_share.new"].base == 0.58


def test_a_draws_of_zero_is_refused_not_replaced_by_the_default(tmp_path: Path) -> None:
    text = SHIPPED_ASSUMPTIONS.read_text(encoding="utf-8").replace("draws = 2000", "draws = 0")
    with pytest.raises(AssumptionsError, match="key 'draws': must be between 10"):
        load_assumptions(write(tmp_path, text))


def test_checker_numbers_take_text_only_when_told() -> None:
    check = Checker("f.toml")
    assert check.as_number("2.5", "here", text_ok=True) == 2.5
    assert check.as_number("2.5", "there") is None
    assert check.as_number(-1, "low", minimum=0) is None
    assert check.problems == [
        "f.toml, there: must be a number, not text '2.5' (remove the quotes)",
        "f.toml, low: must be at least 0, not -1",
    ]
