"""``--set KEY=VALUE``: one reader, so a value means the same wherever it goes."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dealernet import AssumptionsError, ScenarioError, settings
from dealernet._overrides import (
    ASSUMPTIONS,
    SCENARIO,
    format_items,
    format_value,
    is_list,
    parse_item,
    parse_recorded,
    parse_value,
    parse_values,
    route,
    split_values,
    target,
)
from dealernet.analysis.pipeline import default_assumptions, default_scenario
from dealernet.cli._common import load_settings
from dealernet.planning.saved_run import _scenario as saved_scenario
from dealernet.planning.sweep import split_overrides
from properties import PARSER_PROPERTY


def same(a: object, b: object) -> bool:
    """Equal and of the same type (``True == 1`` and ``25 == 25.0`` do not count)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return type(a) is type(b) and a == b


# --- one value, one meaning ---------------------------------------------------------------

VALUES = [
    ("25", 25),
    ("0.5", 0.5),
    ("1e3", 1000.0),
    ("1_000", 1000),
    ("inf", math.inf),
    ("true", True),
    ("optimal", "optimal"),
    ('"optimal"', "optimal"),
    ("'a, b'", "a, b"),
    ('"x y"', "x y"),
    (".5", ".5"),  # not TOML, so text, as ever
    ("  30  ", 30),
    ("", ""),
]


@pytest.mark.parametrize(("text", "expected"), VALUES)
@pytest.mark.parametrize(
    "key", ["rules.nearest.max_distance_miles", "revenue_share.new.base", "monte_carlo.seed"]
)
def test_a_value_reads_the_same_for_scenario_assumptions_sweep_and_saved_run(
    key: str, text: str, expected: object
) -> None:
    single = parse_item(f"{key}={text}")
    assert single[0] == key and same(single[1], expected)
    to_scenario, to_assumptions = route([f"{key}={text}"])
    routed = to_scenario if target(key) == SCENARIO else to_assumptions
    assert same(routed[key], expected)
    if text.strip():  # a sweep's list, with this value first
        setting, swept = parse_values(f"{key}={text},7")
        assert setting == key and same(swept[0], expected) and same(swept[1], 7)
        assert split_overrides([f"{key}={text},7", "a.b=1"]) == (key, swept, ["a.b=1"])
    recorded = format_items({key: single[1]})  # as a scenario records it for a saved run
    assert same(parse_recorded(recorded)[key], expected)


def test_the_cli_and_a_saved_run_rebuild_the_same_scenario(tmp_path: Path) -> None:
    items = ("rules.nearest.max_distance_miles=12.5", "rules.nearest.assignment=optimal")
    scenario, assumptions = load_settings(
        settings.DEFAULT_SCENARIO, settings.DEFAULT_ASSUMPTIONS, (*items, "revenue_share.new=0.5")
    )
    nearest = scenario.rule("nearest")
    assert nearest.max_distance_miles == 12.5 and nearest.assignment == "optimal"
    assert assumptions["revenue_share.new"].base == assumptions["revenue_share.new"].low == 0.5
    assert scenario != default_scenario()
    summary = {
        "scenario": {
            "source": scenario.source,
            "name": scenario.name,
            "source_brand": scenario.source_brand,
            "host_brand": scenario.host_brand,
        }
    }
    notes: list[str] = []
    assert saved_scenario(summary, notes) == scenario
    assert notes == []


def test_runs_recorded_before_the_toml_form_still_read() -> None:
    old = "rules.nearest.assignment='optimal', rules.nearest.max_distance_miles=25.0"
    assert parse_recorded(old) == {
        "rules.nearest.assignment": "optimal",
        "rules.nearest.max_distance_miles": 25.0,
    }
    assert parse_recorded("") == {}


_values = st.one_of(
    st.text(max_size=20),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False),
    st.booleans(),
    st.lists(st.integers(0, 9), max_size=3),
)


@PARSER_PROPERTY
@given(value=_values)
def test_any_recorded_value_reads_back_the_same(value: object) -> None:
    assert same(parse_value(format_value(value)), value)


@PARSER_PROPERTY
@given(changes=st.dictionaries(st.sampled_from(["a.b", "rules.x.y", "c.d.e"]), _values))
def test_any_recorded_set_of_changes_reads_back_the_same(changes: dict[str, object]) -> None:
    back = parse_recorded(format_items(changes))
    assert list(back) == list(changes)
    assert all(same(back[k], v) for k, v in changes.items())


# --- splitting a sweep's values -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("10,20,30", ["10", "20", "30"]),
        ("1, 2", ["1", "2"]),
        ("nearest,optimal", ["nearest", "optimal"]),
        ('"a, b"', ['"a, b"']),
        ('"a, b",c', ['"a, b"', "c"]),
        ("[1, 2]", ["[1, 2]"]),
        ("[1, 2],[3]", ["[1, 2]", "[3]"]),
        ("30", ["30"]),
    ],
)
def test_values_split_at_commas_outside_quotes_and_brackets(text: str, pieces: list[str]) -> None:
    assert split_values(text) == pieces
    assert is_list(f"k.v={text}") == (len(pieces) > 1)


# --- malformed items are refused, naming the item -----------------------------------------


@pytest.mark.parametrize(
    ("item", "error", "says"),
    [
        ("rules.nearest.capacity", ScenarioError, "expected KEY=VALUE"),
        ("revenue_share.new.base", AssumptionsError, "expected KEY=VALUE"),
        ("rules.nearest.capacity 2", ScenarioError, "write rules.nearest.capacity=2"),
        ("revenue_share.new.base:0.5", AssumptionsError, "write revenue_share.new.base=0.5"),
        ("=2", AssumptionsError, "the setting before '=' is missing"),
        ("rules..capacity=2", ScenarioError, "has an empty part"),
        ("rules.nearest.=2", ScenarioError, "has an empty part"),
    ],
)
def test_a_malformed_item_is_refused_with_its_text_and_the_right_form(
    item: str, error: type[Exception], says: str
) -> None:
    with pytest.raises(error) as info:
        parse_item(item)
    message = str(info.value)
    assert repr(item) in message and says in message
    assert re.search(r"(e\.g\.|write) [\w.*]+=\S", message), message  # shows a right form


@pytest.mark.parametrize(
    ("item", "error", "says"),
    [
        ("rules.nearest.capacity=1,,2", ScenarioError, "empty value between commas"),
        ("revenue_share.new.base=0.3,", AssumptionsError, "empty value between commas"),
        ("rules.nearest.capacity=", ScenarioError, "no values after '='"),
        ("rules.nearest.capacity", ScenarioError, "expected KEY=V1,V2,..."),
    ],
)
def test_a_malformed_sweep_is_refused_with_its_text(
    item: str, error: type[Exception], says: str
) -> None:
    with pytest.raises(error) as info:
        parse_values(item)
    assert repr(item) in str(info.value) and says in str(info.value)


def test_the_cli_refuses_a_malformed_set_before_reading_any_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    with pytest.raises(ScenarioError, match="'rules.nearest.capacity': expected KEY=VALUE"):
        load_settings(missing, missing, ("rules.nearest.capacity",))


# --- routing by the first word ------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "goes_to"),
    [
        ("rules.nearest.capacity", SCENARIO),
        ("rules.*.max_distance_miles", SCENARIO),
        ("distance.circuity_factor", SCENARIO),
        ("scenario.colocation_radius_miles", SCENARIO),
        (" rules.nearest.capacity", SCENARIO),
        ("revenue_share.new.base", ASSUMPTIONS),
        ("monte_carlo.draws", ASSUMPTIONS),
        ("scenarios.name", ASSUMPTIONS),  # the first word must match exactly
        ("rule.nearest.capacity", ASSUMPTIONS),
    ],
)
def test_a_key_is_routed_by_its_first_word(key: str, goes_to: str) -> None:
    assert target(key) == goes_to


def test_route_keeps_order_and_the_last_of_a_repeated_key() -> None:
    to_scenario, to_assumptions = route(
        [
            "revenue_share.new.base=0.5",
            "rules.nearest.capacity=1",
            "distance.metric=road",
            "rules.nearest.capacity=2",
            " monte_carlo.seed = 7 ",
        ]
    )
    assert list(to_scenario.items()) == [("rules.nearest.capacity", 2), ("distance.metric", "road")]
    assert to_assumptions == {"revenue_share.new.base": 0.5, "monte_carlo.seed": 7}


def test_assumptions_take_typed_values_and_refuse_quoted_nonsense() -> None:
    a = default_assumptions()
    _, changes = route(["monte_carlo.draws=500", "revenue_share.new.base=0.55"])
    b = a.with_overrides(changes)
    assert b.draws == 500 and b["revenue_share.new"].base == 0.55
    with pytest.raises(AssumptionsError, match=r"--set monte_carlo.draws: must be a whole"):
        a.with_overrides(route(["monte_carlo.draws=500.5"])[1])
