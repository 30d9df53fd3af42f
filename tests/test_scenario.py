"""Scenario files: the bundled ones load, and malformed ones are refused with every problem."""

from __future__ import annotations

import contextlib
import copy
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dealernet import ScenarioError, settings
from dealernet._overrides import format_items, parse_item, parse_recorded
from dealernet.engine.scenario import (
    ABSORB,
    CLOSE,
    KEEP,
    OPTIMAL,
    REQUIRE,
    Scenario,
    load_scenario,
    parse_scenario,
)
from properties import PARSER_PROPERTY

MINIMAL = {
    "scenario": {"name": "test", "source_brand": "Infiniti", "host_brand": "Nissan"},
    "rules": [{"id": "all", "action": "absorb"}],
}


def scenario_with(*rules: dict[str, object], **meta: object) -> dict[str, object]:
    data = copy.deepcopy(MINIMAL)
    data["rules"] = list(rules)
    data["scenario"].update(meta)  # type: ignore[union-attr]
    return data


def write(tmp_path: Path, text: str, name: str = "scenario.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the bundled scenarios ----------------------------------------------------------------


BUNDLED = ["consolidation", "announced-2024", "all-stand-alone", "conservative"]


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_scenarios_load(scenarios_dir: Path, name: str) -> None:
    scenario = load_scenario(scenarios_dir / f"{name}.toml")
    assert scenario.source_brand == "Infiniti"
    assert scenario.host_brand == "Nissan"
    assert scenario.rules
    assert scenario.source.endswith(f"{name}.toml")


def test_exactly_the_named_scenarios_ship_and_consolidation_is_the_default(
    scenarios_dir: Path,
) -> None:
    assert sorted(p.stem for p in scenarios_dir.glob("*.toml")) == sorted(BUNDLED)
    assert settings.bundled_scenarios() == sorted(BUNDLED)
    assert settings.DEFAULT_SCENARIO == "consolidation"
    assert scenarios_dir / "consolidation.toml" == settings.DEFAULT_SCENARIO_PATH
    assert load_scenario(settings.DEFAULT_SCENARIO).source == str(settings.DEFAULT_SCENARIO_PATH)


@pytest.mark.parametrize(
    ("old", "new"), [("default", "consolidation"), ("absorb-all", "all-stand-alone")]
)
def test_old_scenario_names_still_resolve(
    scenarios_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str
) -> None:
    target = scenarios_dir / f"{new}.toml"
    assert not (scenarios_dir / f"{old}.toml").exists()  # an alias, not a second copy
    monkeypatch.chdir(tmp_path)  # bare names are looked up where no such file exists
    for name in (old, f"{old}.toml"):
        assert settings.scenario_path(name) == target, name
        assert load_scenario(name) == load_scenario(target)
    # a run folder written before the rename recorded the old file's full path
    assert settings.scenario_path(scenarios_dir / f"{old}.toml") == target
    # a file of the user's own under the old name is the user's
    own = tmp_path / f"{old}.toml"
    own.write_text("x = 1\n", encoding="utf-8")
    assert settings.scenario_path(f"{old}.toml") == Path(f"{old}.toml")
    # and an old name in another folder is not the bundled file
    elsewhere = tmp_path / "elsewhere" / f"{old}.toml"
    assert settings.scenario_path(elsewhere) == elsewhere


def test_announced_2024_only_co_locates_with_the_owners_own_store(scenarios_dir: Path) -> None:
    scenario = load_scenario(scenarios_dir / "announced-2024.toml")
    co_locate, rest = scenario.rules
    assert (co_locate.action, co_locate.same_owner, co_locate.max_distance_miles) == (
        ABSORB,
        REQUIRE,
        40.0,
    )
    assert co_locate.when is None
    assert (rest.action, rest.when) == (KEEP, None)
    assert CLOSE not in {r.action for r in scenario.rules}
    # the same distance as consolidation's same-owner rule, as its comment says
    same = load_scenario(scenarios_dir / "consolidation.toml").rule("same-owner")
    assert co_locate.max_distance_miles == same.max_distance_miles


def test_all_stand_alone_says_it_bounds_stores_not_jobs(scenarios_dir: Path) -> None:
    text = (scenarios_dir / "all-stand-alone.toml").read_text(encoding="utf-8")
    assert "upper bound on stores affected" in text
    assert "NOT an\n# upper bound on jobs lost" in text


def test_consolidation_scenario_is_the_plan_in_the_issue(scenarios_dir: Path) -> None:
    scenario = load_scenario(scenarios_dir / "consolidation.toml")
    assert scenario.rule_ids == ("keep-strong", "same-owner", "nearest", "close-rest")
    keep, same, nearest, close = scenario.rules
    assert keep.action == KEEP and keep.when is not None
    assert keep.when.text == "annual_new_units >= 600"
    assert (same.action, same.same_owner, same.capacity, same.max_distance_miles) == (
        ABSORB,
        REQUIRE,
        2,
        40.0,
    )
    assert (nearest.max_distance_miles, nearest.capacity, nearest.assignment) == (30.0, 1, OPTIMAL)
    assert nearest.exclude_hosts is not None
    assert close.action == CLOSE and close.when is None
    assert scenario.colocation_radius_miles == 0.25
    assert scenario.distance.metric == "geodesic"


def test_all_stand_alone_has_no_limits(scenarios_dir: Path) -> None:
    (rule,) = load_scenario(scenarios_dir / "all-stand-alone.toml").rules
    assert rule.action == ABSORB
    assert rule.max_distance_miles is None and rule.capacity is None and rule.when is None


def test_defaults_fill_in_what_a_file_leaves_out() -> None:
    scenario = parse_scenario(MINIMAL, "x.toml")
    assert scenario.colocation_radius_miles == settings.COLOCATION_RADIUS_MILES
    assert scenario.distance.circuity_factor == settings.CIRCUITY_FACTOR
    assert scenario.distance.metric == "geodesic"
    rule = scenario.rules[0]
    assert (rule.same_owner, rule.assignment, rule.capacity) == ("ignore", "nearest", None)


def test_brand_spellings_are_normalised() -> None:
    data = scenario_with(
        {"id": "a", "action": "absorb"}, source_brand="INFINITI", host_brand="nissan"
    )
    scenario = parse_scenario(data)
    assert (scenario.source_brand, scenario.host_brand) == ("Infiniti", "Nissan")


# --- malformed scenarios ----------------------------------------------------------------


def test_malformed_scenario_lists_every_problem(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[scenario]
name = "broken"
source_brand = "Infinity Motors"
host_brand = "Nissan"
colocation_radius_miles = -1

[distance]
metric = "crow"
circuity_factor = 0.8

[[rules]]
id = "keep-strong"
when = "annual_new_unit >= 600"
action = "keep"
capacity = 2

[[rules]]
id = "nearest"
action = "absorb"
max_distance_miles = -5
max_distanse = 3
capacity = 1.5
same_owner = "always"
assignment = "best"

[[rules]]
id = "nearest"
action = "merge"

[[rules]]
action = "close"
""",
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    expected = [
        "unknown brand 'Infinity Motors'",
        "[scenario], key 'colocation_radius_miles': must be at least 0",
        "[distance], key 'metric'",
        "[distance], key 'circuity_factor': must be at least 1",
        "rule 'keep-strong', key 'when'",
        "Did you mean `annual_new_units`?",
        "rule 'keep-strong', key 'capacity': only applies to action = \"absorb\"",
        "rule 'nearest', key 'max_distance_miles': must be at least 0",
        "unknown key 'max_distanse' (did you mean 'max_distance_miles'?)",
        "rule 'nearest', key 'capacity': must be a whole number",
        "rule 'nearest', key 'same_owner'",
        "rule 'nearest', key 'assignment'",
        "duplicate rule id 'nearest'",
        "text 'merge' is not one of keep, absorb, close",
        "rule #4: missing key 'id'",
    ]
    for piece in expected:
        assert piece in message, piece
    assert f"{path} has {len(expected) - 1} problems" in message  # "Did you mean" is in a line
    problem_lines = [line for line in message.splitlines() if line.startswith("  - ")]
    assert all(str(path) in line for line in problem_lines)


def test_source_and_host_must_differ() -> None:
    with pytest.raises(ScenarioError, match="source_brand and host_brand are both 'Nissan'"):
        parse_scenario(scenario_with({"id": "a", "action": "close"}, source_brand="Nissan"))


def test_missing_tables_and_keys_are_named() -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenario({"scenrio": {}}, "s.toml")
    message = str(info.value)
    assert "unknown key 'scenrio' (did you mean 'scenario'?)" in message
    assert "missing the [scenario] table" in message
    assert "missing [[rules]]" in message
    with pytest.raises(ScenarioError, match="missing key 'host_brand'"):
        parse_scenario(
            {"scenario": {"name": "x", "source_brand": "Infiniti"}, "rules": MINIMAL["rules"]}
        )


def test_wrong_types_are_reported_with_a_fix() -> None:
    data = scenario_with(
        {"id": "a", "action": "absorb", "max_distance_miles": "40", "same_owner": True},
        {"id": "b", "action": "close", "when": 5},
    )
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, "s.toml")
    message = str(info.value)
    assert "must be a number, not text '40' (remove the quotes)" in message
    assert 'must be "require", "prefer" or "ignore", not true/false' in message
    assert "rule 'b', key 'when': must be a condition in quotes" in message


def test_rule_after_an_unconditional_close_can_never_apply() -> None:
    data = scenario_with({"id": "close-all", "action": "close"}, {"id": "late", "action": "keep"})
    with pytest.raises(ScenarioError, match="rule 'late': can never apply: rule 'close-all'"):
        parse_scenario(data)


def test_conditions_are_checked_against_the_right_fields() -> None:
    ok = scenario_with(
        {
            "id": "a",
            "action": "absorb",
            "when": 'state == "TX" and distance_to_nearest_host < 50 and owner_store_count > 1',
            "exclude_hosts": "has_source_showroom or annual_new_units < 300",
        }
    )
    assert parse_scenario(ok).rules[0].exclude_hosts is not None
    bad = scenario_with({"id": "a", "action": "absorb", "when": "has_source_showroom"})
    with pytest.raises(ScenarioError, match="rule 'a', key 'when'.*unknown field"):
        parse_scenario(bad, "s.toml")


def test_bad_condition_names_file_rule_key_and_text() -> None:
    data = scenario_with(
        {"id": "nearest", "action": "absorb", "when": "__import__('os').system('id')"}
    )
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, "scenario.toml")
    assert (
        "scenario.toml, rule 'nearest', key 'when': condition `__import__('os').system('id')`"
        in str(info.value)
    )


def test_toml_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '[scenario]\nname = "x"\nsource_brand "Infiniti"\n')
    with pytest.raises(ScenarioError, match=r"not valid TOML: .*line 3, column 14"):
        load_scenario(path)


def test_unreadable_files_are_scenario_errors(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no scenario file at"):
        load_scenario(tmp_path / "missing.toml")
    with pytest.raises(ScenarioError, match="cannot read scenario file"):
        load_scenario(tmp_path)  # a folder
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('name = "Peña"'.encode("latin-1"))
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_scenario(latin1)


# --- overrides ----------------------------------------------------------------------------


@pytest.fixture
def default(scenarios_dir: Path) -> Scenario:
    return load_scenario(scenarios_dir / "consolidation.toml")


def test_overrides_give_a_new_validated_scenario(default: Scenario) -> None:
    changed = default.with_overrides(
        {"rules.nearest.max_distance_miles": 25, "scenario.colocation_radius_miles": 0.5}
    )
    assert changed.rule("nearest").max_distance_miles == 25
    assert changed.colocation_radius_miles == 0.5
    assert default.rule("nearest").max_distance_miles == 30  # the original is untouched
    assert changed.rule("same-owner") == default.rule("same-owner")
    assert "rules.nearest.max_distance_miles=25" in changed.source


def test_star_override_sets_every_rule_that_takes_the_key(default: Scenario) -> None:
    changed = default.with_overrides({"rules.*.max_distance_miles": 15})
    assert [r.max_distance_miles for r in changed.rules if r.action == ABSORB] == [15, 15]


def test_none_override_removes_a_limit(default: Scenario) -> None:
    changed = default.with_overrides({"rules.nearest.capacity": None})
    assert changed.rule("nearest").capacity is None


def test_bad_overrides_are_refused_clearly(default: Scenario) -> None:
    with pytest.raises(ScenarioError, match="no rule 'neerest' \\(did you mean 'nearest'\\?\\)"):
        default.with_overrides({"rules.neerest.capacity": 2})
    with pytest.raises(ScenarioError, match="not a setting path"):
        default.with_overrides({"nearest.capacity": 2})
    with pytest.raises(ScenarioError, match="must be at least 0"):
        default.with_overrides({"rules.nearest.max_distance_miles": -1})
    with pytest.raises(ScenarioError, match="unknown key 'capasity'"):
        default.with_overrides({"rules.nearest.capasity": 1})
    with pytest.raises(ScenarioError, match="only applies to action"):
        default.with_overrides({"rules.close-rest.capacity": 1})


def test_to_dict_round_trips(default: Scenario) -> None:
    assert parse_scenario(default.to_dict(), default.source) == default


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rules.nearest.max_distance_miles=25", ("rules.nearest.max_distance_miles", 25)),
        ("rules.nearest.assignment=optimal", ("rules.nearest.assignment", "optimal")),
        ('scenario.name = "x y"', ("scenario.name", "x y")),
        ("distance.circuity_factor=1.3", ("distance.circuity_factor", 1.3)),
    ],
)
def test_parse_override_reads_toml_values(text: str, expected: tuple[str, object]) -> None:
    assert parse_item(text) == expected


def test_parse_override_needs_an_equals_sign() -> None:
    with pytest.raises(ScenarioError, match="expected KEY=VALUE"):
        parse_item("rules.nearest.capacity")


def test_overridden_source_records_the_changes_so_they_can_be_redone(default: Scenario) -> None:
    changes = {"rules.nearest.assignment": "optimal", "scenario.name": "a, b"}
    changed = default.with_overrides(changes).with_overrides({"rules.*.capacity": 2})
    base, _, recorded = changed.source.partition(" with ")
    assert base == default.source
    assert recorded == format_items({**changes, "rules.*.capacity": 2})
    assert default.with_overrides(parse_recorded(recorded)) == changed


# --- no input may raise anything but ScenarioError -----------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 1000),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "absorb",
            "keep",
            "close",
            "Infiniti",
            "Nissan",
            "annual_new_units >= 600",
            "require",
            "optimal",
        ]
    ),
)
_keys = st.sampled_from(
    [
        "id",
        "action",
        "when",
        "reason",
        "max_distance_miles",
        "same_owner",
        "capacity",
        "exclude_hosts",
        "assignment",
        "name",
        "source_brand",
        "host_brand",
        "colocation_radius_miles",
        "metric",
        "circuity_factor",
        "bogus",
    ]
)
_tables = st.dictionaries(_keys, _scalars, max_size=8)


@PARSER_PROPERTY
@given(
    scenario=st.one_of(_tables, _scalars),
    distance=st.one_of(_tables, _scalars),
    rules=st.one_of(st.lists(st.one_of(_tables, _scalars), max_size=5), _scalars),
)
def test_any_parsed_toml_gives_a_scenario_or_a_scenario_error(scenario, distance, rules) -> None:
    data = {"scenario": scenario, "distance": distance, "rules": rules}
    try:
        result = parse_scenario(data, "fuzz.toml")
    except ScenarioError as exc:
        assert "fuzz.toml" in str(exc)
    else:
        assert result.rules


@PARSER_PROPERTY
@given(text=st.text(max_size=300))
def test_any_file_text_gives_a_scenario_or_a_scenario_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    with contextlib.suppress(ScenarioError):  # anything else fails the test
        load_scenario(path)


def test_a_folder_named_like_a_bundled_scenario_does_not_hide_it(tmp_path, monkeypatch):
    """``run --scenario announced-2024 --out announced-2024`` twice: the second run must
    still read the bundled scenario, not the run folder of that name."""
    from dealernet.engine.scenario import load_scenario

    monkeypatch.chdir(tmp_path)
    (tmp_path / "announced-2024").mkdir()
    assert (
        load_scenario("announced-2024").name
        == load_scenario(settings.SCENARIOS_DIR / "announced-2024.toml").name
    )
    (tmp_path / "mine").mkdir()
    with pytest.raises(ScenarioError, match="not a regular file but a folder"):
        load_scenario("mine")
