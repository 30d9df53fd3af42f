"""Assumptions files: every parameter sourced, unknown keys and bad values refused."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from dealernet import AssumptionsError
from dealernet._overrides import parse_items
from dealernet.analysis.assumptions import (
    OPTIONAL_DEFAULT,
    PARAMETERS,
    draw,
    load_assumptions,
    parse_assumptions,
)
from helpers import ASSUMPTIONS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SHIPPED = ASSUMPTIONS


def shipped_data() -> dict:
    return tomllib.loads(SHIPPED.read_text(encoding="utf-8"))


def test_shipped_file_has_every_parameter_with_a_range_unit_and_source() -> None:
    a = load_assumptions(SHIPPED)
    for spec in PARAMETERS:
        prefix = spec.removesuffix(".*")
        if spec in OPTIONAL_DEFAULT:  # no default: each brand names its own, or none
            continue
        key = f"{prefix}.default" if spec.endswith("*") else spec
        p = a[key]
        assert p.low <= p.base <= p.high
        assert p.unit.strip() and p.source.strip()
    assert a.draws >= 2000
    for brand in ("Infiniti", "Nissan"):
        assert a.for_brand("revenue_per_new_unit", brand).key.endswith(brand)


def test_calibration_figures_match_the_sourced_facts() -> None:
    a = load_assumptions(SHIPPED)
    # Infiniti: two nine-month figures (Automotive News, Dec 2024), annualised x 12/9 and
    # divided by that year's new units a store (US sales over 197 stores)
    per_unit_2023 = 421_169 / 0.013 * 12 / 9 / (64_699 / 197)
    per_unit_2024 = 79_581 / 0.003 * 12 / 9 / (58_070 / 197)
    infiniti = a["revenue_per_new_unit.Infiniti"]
    assert per_unit_2024 < infiniti.base < per_unit_2023
    assert infiniti.low < min(per_unit_2023, per_unit_2024)
    assert infiniti.high > max(per_unit_2023, per_unit_2024)
    # Nissan: January-June 2024, annualised x 2
    nissan = a.base("revenue_per_new_unit.Nissan") * a.base("new_units_per_store.Nissan")
    assert nissan == pytest.approx(262_582 / 0.010 * 2, rel=0.01)
    staff = a.base("staff.fixed") + a.base("staff.per_100_new_units") * 9.4
    assert staff == pytest.approx(65, abs=1)  # NADA: 65 employees at ~940 new units


def test_source_lines_say_which_months_the_profit_figures_cover() -> None:
    a = load_assumptions(SHIPPED)
    for key in ("revenue_per_new_unit.Infiniti", "return_on_sales.Infiniti"):
        source = a[key].source
        assert "January-September 2023" in source and "January-September 2024" in source, key
        assert "in 2023," not in source  # the $421,169 is not a full-year figure
    assert "January-June 2024" in a["return_on_sales.Nissan"].source


def test_unknown_key_is_an_error_with_a_suggestion() -> None:
    data = shipped_data()
    data["revenue_share"]["ne"] = data["revenue_share"].pop("new")
    with pytest.raises(AssumptionsError) as info:
        parse_assumptions(data, "mine.toml")
    text = str(info.value)
    assert "mine.toml" in text
    assert "unknown parameter 'revenue_share.ne'" in text
    assert "did you mean 'revenue_share.new'" in text
    assert "missing parameter revenue_share.new" in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"base": 1.5, "high": 1.6}, "out of range (0 to 1)"),
        ({"low": 0.9}, "needs low <= base <= high"),
        ({"base": "lots"}, "must be a number, not text 'lots'"),
        ({"source": ""}, "must be non-empty text"),
    ],
)
def test_out_of_range_and_malformed_values_are_errors(change: dict, message: str) -> None:
    data = shipped_data()
    data["revenue_share"]["new"].update(change)
    with pytest.raises(AssumptionsError, match="revenue_share.new"):
        parse_assumptions(data)
    with pytest.raises(AssumptionsError) as info:
        parse_assumptions(data)
    assert message in str(info.value)


def test_every_problem_is_listed_at_once() -> None:
    data = shipped_data()
    data["revenue_share"]["new"]["low"] = 0.9
    data["earnings"]["annual"]["base"] = -1
    data["bogus"] = {"x": {"base": 1}}
    with pytest.raises(AssumptionsError) as info:
        parse_assumptions(data)
    text = str(info.value)
    assert "revenue_share.new" in text and "earnings.annual" in text and "bogus.x" in text


def test_set_overrides_one_value() -> None:
    a = load_assumptions(SHIPPED)
    b = a.with_overrides(parse_items(["revenue_share.new.base=0.5"]))
    assert b["revenue_share.new"].base == 0.5
    assert a["revenue_share.new"].base != 0.5  # the original is untouched


@pytest.mark.parametrize(
    "item", ["revenue_share.new.base=2", "revenue_share.ne.base=0.5", "revenue_share.new.base=abc"]
)
def test_bad_overrides_are_errors(item: str) -> None:
    a = load_assumptions(SHIPPED)
    with pytest.raises(AssumptionsError, match="--set"):
        a.with_overrides(parse_items([item]))


def test_override_without_equals_sign_is_an_error() -> None:
    with pytest.raises(AssumptionsError, match="KEY=VALUE"):
        parse_items(["revenue_share.new.base"])


def test_missing_or_broken_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AssumptionsError, match="no assumptions file at"):
        load_assumptions(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[revenue_share.new\nbase = 1")
    with pytest.raises(AssumptionsError, match="not valid TOML"):
        load_assumptions(broken)


def test_draws_follow_ranges_and_correlations() -> None:
    a = load_assumptions(SHIPPED)
    draws = draw(a, list(a.parameters))
    for key, values in draws.items():
        p = a[key]
        assert values.shape == (a.draws,)
        assert p.low <= values.min() and values.max() <= p.high, key
    rho = np.corrcoef(draws["market.decay_sales"], draws["market.decay_service"])[0, 1]
    assert rho == pytest.approx(
        a.correlations[("market.decay_sales", "market.decay_service")], abs=0.1
    )
    independent = np.corrcoef(draws["earnings.annual"], draws["revenue_share.new"])[0, 1]
    assert abs(independent) < 0.1
