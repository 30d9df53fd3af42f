"""The safe condition language: what it allows, what it refuses, and how it says so."""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dealernet import ConditionError
from dealernet.engine.conditions import BOOL, MAX_LENGTH, NUMBER, TEXT, parse_condition
from properties import PARSER_PROPERTY

FIELDS = {
    "state": TEXT,
    "annual_new_units": NUMBER,
    "employees": NUMBER,
    "nearest_host_same_owner": BOOL,
    "zip": TEXT,
}
WHERE = "scenario.toml, rule 'nearest', key 'when'"


@pytest.fixture
def sites() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "state": ["TX", "OK", None, "CA", "TX"],
            "annual_new_units": [700.0, 200.0, np.nan, 400.0, 0.0],
            "employees": [60, 20, 30, 45, 10],
            "nearest_host_same_owner": pd.array([True, False, None, True, False], dtype="boolean"),
            "zip": [75001, 73001, None, 90210, 75002],
        }
    )


def holds(text: str, frame: pd.DataFrame, fields: object = FIELDS) -> list[bool]:
    return parse_condition(text, fields).evaluate(frame).tolist()  # type: ignore[arg-type]


# --- what conditions can say --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('state == "TX"', [True, False, False, False, True]),
        ('state != "TX"', [False, True, False, True, False]),
        ("annual_new_units >= 600", [True, False, False, False, False]),
        ("300 <= annual_new_units < 600", [False, False, False, True, False]),
        ('state in ["TX", "OK"]', [True, True, False, False, True]),
        ('state not in ["TX"]', [False, True, False, True, False]),
        ("annual_new_units in [200, 400.0]", [False, True, False, True, False]),
        ('state == "TX" and employees > 20', [True, False, False, False, False]),
        ('state == "OK" or employees >= 45', [True, True, False, True, False]),
        ("annual_new_units / employees > 5", [True, True, False, True, False]),
        ("employees * 2 - 10 == 30", [False, True, False, False, False]),
        ("employees % 20 == 0", [True, True, False, False, False]),
        ("-employees < -40", [True, False, False, True, False]),
        ("nearest_host_same_owner", [True, False, False, True, False]),
        ("nearest_host_same_owner == false", [False, True, False, False, True]),
        ("true", [True] * 5),
        ("False", [False] * 5),
        ('zip == "75001"', [True, False, False, False, False]),
    ],
)
def test_conditions_evaluate_row_by_row(
    sites: pd.DataFrame, text: str, expected: list[bool]
) -> None:
    assert holds(text, sites) == expected


def test_missing_values_make_comparisons_false_even_under_not(sites: pd.DataFrame) -> None:
    # Row 2 has no volume and no state: neither the test nor its negation holds.
    assert holds("annual_new_units >= 600", sites)[2] is False
    assert holds("not (annual_new_units >= 600)", sites)[2] is False
    assert holds('state != "TX"', sites)[2] is False
    # but a known-false side settles "and", and a known-true side settles "or"
    assert holds("annual_new_units >= 600 or employees == 30", sites)[2] is True
    assert holds("not (annual_new_units >= 600 and employees > 100)", sites)[2] is True


def test_division_by_zero_is_missing_not_an_error(sites: pd.DataFrame) -> None:
    assert holds("employees / annual_new_units > 0", sites)[4] is False
    assert holds("not (employees / annual_new_units > 0)", sites)[4] is False


def test_text_compared_with_number_is_false_when_kinds_are_unknown(sites: pd.DataFrame) -> None:
    untyped = list(FIELDS)
    assert holds("state == 5", sites, untyped) == [False] * 5
    assert holds("state != 5", sites, untyped) == [True, True, False, True, True]
    assert holds("state > 5", sites, untyped) == [False] * 5


def test_text_compared_with_number_is_an_error_when_kinds_are_known() -> None:
    with pytest.raises(ConditionError, match="compares text with a number"):
        parse_condition("state > 5", FIELDS, where=WHERE)
    with pytest.raises(ConditionError, match="arithmetic on text"):
        parse_condition('state + 1 == "TX"', FIELDS)


def test_a_field_the_data_lacks_counts_as_missing(sites: pd.DataFrame) -> None:
    condition = parse_condition("annual_revenue > 0", {"annual_revenue": NUMBER})
    assert condition.evaluate(sites).tolist() == [False] * 5


def test_fields_lists_the_names_used_in_order() -> None:
    condition = parse_condition('employees > 1 and state == "TX" or employees < 0', FIELDS)
    assert condition.fields == ("employees", "state")
    assert condition.text == 'employees > 1 and state == "TX" or employees < 0'
    assert str(condition) == condition.text


def test_string_comparison_is_case_sensitive(sites: pd.DataFrame) -> None:
    assert holds('state == "tx"', sites) == [False] * 5


def test_state_codes_are_checked_with_a_suggestion() -> None:
    choices = {"state": ["TX", "OK", "CA"]}
    with pytest.raises(ConditionError, match="Did you mean 'TX'"):
        parse_condition('state == "tx"', FIELDS, choices=choices)
    with pytest.raises(ConditionError, match="'Texas'"):
        parse_condition('state in ["OK", "Texas"]', FIELDS, choices=choices)
    parse_condition('state in ["OK", "TX"]', FIELDS, choices=choices)


# --- what it refuses ----------------------------------------------------------------------


def test_code_injection_is_rejected_without_running_anything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        pytest.fail("a condition ran a command")

    for module, name in ((os, "system"), (os, "popen"), (subprocess, "Popen"), (subprocess, "run")):
        monkeypatch.setattr(module, name, forbidden)
    with pytest.raises(ConditionError) as info:
        parse_condition("__import__('os').system('id')", FIELDS, where=WHERE)
    message = str(info.value)
    assert WHERE in message
    assert "__import__('os').system('id')" in message
    assert "function call" in message
    assert "Conditions may use" in message


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("state.upper() == 'TX'", "function call"),
        ("state.real", "attribute access"),
        ("state[0] == 'T'", "indexing"),
        ("(lambda: 1)() == 1", "function call"),
        ("lambda: 1", "lambda"),
        ("[x for x in state] == 1", "comprehension"),
        ("f'{state}' == 'TX'", "f-string"),
        ("(employees := 3) > 1", "assignment"),
        ("1 if employees else 0", "if / else"),
        ("{'a': 1} == 1", "dictionary"),
        ("employees ** 2 > 1", "operator **"),
        ("employees // 2 > 1", "operator //"),
        ("employees & 1", "operator &"),
        ("state is None", "`is`"),
        ("b'TX' == state", "bytes"),
        ("None == employees", "None"),
        ("1j == employees", "complex"),
        ("~employees > 1", "~"),
        ('state in "TX"', "list of values"),
        ("employees == [1, 2]", "list"),
        ('state in ["TX"] == 1', "chains `in`"),
        ("employees in [state]", "list item"),
        ("employees", "not a true / false"),
        ('"TX"', "not a true / false"),
        ("employees and state == 'TX'", "true / false"),
    ],
)
def test_anything_outside_the_grammar_is_a_clear_error(text: str, what: str) -> None:
    with pytest.raises(ConditionError) as info:
        parse_condition(text, FIELDS, where=WHERE)
    message = str(info.value)
    assert message.startswith(WHERE)
    assert what in message
    assert text[:40] in message


def test_unknown_field_suggests_the_closest_and_lists_known_fields() -> None:
    with pytest.raises(ConditionError) as info:
        parse_condition("anual_new_units > 600", FIELDS, where=WHERE)
    message = str(info.value)
    assert "Did you mean `annual_new_units`?" in message
    assert (
        "Known fields: annual_new_units, employees, nearest_host_same_owner, state, zip" in message
    )


def test_syntax_error_gives_the_column_and_hints_at_double_equals() -> None:
    with pytest.raises(ConditionError) as info:
        parse_condition('state = "TX"', FIELDS, where=WHERE)
    message = str(info.value)
    assert "column 7" in message
    assert "Use ==" in message
    with pytest.raises(ConditionError, match="and / or / not instead of"):
        parse_condition('state == "TX" && employees > 1', FIELDS)


def test_long_deep_and_empty_conditions_are_rejected() -> None:
    with pytest.raises(ConditionError, match="characters long"):
        parse_condition("employees > 1 or " * 200 + "true", FIELDS)
    assert len("employees > 1 or " * 200) > MAX_LENGTH
    with pytest.raises(ConditionError, match="nested too deeply"):
        parse_condition("not " * 60 + "true", FIELDS)
    with pytest.raises(ConditionError, match="too many nested parentheses|nested too deeply"):
        parse_condition("(" * 300 + "true" + ")" * 300, FIELDS)
    with pytest.raises(ConditionError, match="is empty"):
        parse_condition("   ", FIELDS)


def test_non_text_condition_is_a_condition_error() -> None:
    with pytest.raises(ConditionError, match="must be text"):
        parse_condition(42, FIELDS)  # type: ignore[arg-type]


# --- properties ---------------------------------------------------------------------------

_TOKENS = st.sampled_from(
    [
        "state",
        "employees",
        "annual_new_units",
        "nearest_host_same_owner",
        "zip",
        "nope",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "=",
        "and",
        "or",
        "not",
        "in",
        "not in",
        "is",
        "+",
        "-",
        "*",
        "/",
        "%",
        "**",
        "(",
        ")",
        "[",
        "]",
        ",",
        ".",
        ":",
        "lambda",
        "if",
        "else",
        "true",
        "false",
        "True",
        "None",
        '"TX"',
        "'OK'",
        "0",
        "1.5",
        "-3",
        "1e999",
        "__import__",
        "'os'",
        "system",
        "f'{x}'",
        ":=",
        "\\",
        "\x00",
        "#",
        "\n",
        "é",
    ]
)


@PARSER_PROPERTY
@given(st.one_of(st.text(max_size=200), st.lists(_TOKENS, max_size=25).map(" ".join)))
def test_any_text_either_parses_or_raises_condition_error(text: str) -> None:
    frame = pd.DataFrame(
        {
            "state": ["TX", None, "CA"],
            "employees": [1.0, np.nan, 0.0],
            "annual_new_units": [np.nan, 5.0, 0.0],
            "nearest_host_same_owner": [True, False, None],
            "zip": ["75001", None, "x"],
        }
    )
    try:
        condition = parse_condition(text, FIELDS, where=WHERE)
    except ConditionError as exc:
        assert str(exc).startswith(WHERE)
        return
    result = condition.evaluate(frame)
    assert result.dtype == bool
    assert result.shape == (3,)
