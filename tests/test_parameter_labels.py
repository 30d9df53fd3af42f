"""Assumption keys read as plain English on the pages, with the key kept for ``--set``."""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import pandas as pd
import pytest

from dealernet.analysis.assumptions import PARAMETERS
from dealernet.analysis.parameter_labels import label, readable
from dealernet.analysis.result import Result
from dealernet.analysis.sensitivity import COLUMNS, NATIONAL, Sensitivity
from dealernet.render._templates import macros
from dealernet.render.report_assumptions import applied_parameters
from dealernet.render.reports import write_reports
from dealernet.render.sensitivity_view import drivers, tornado
from dealernet.slugs import slug
from helpers import ASSUMPTIONS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def shipped_keys() -> list[str]:
    """Every parameter key of the bundled assumptions file, read with ``tomllib`` alone."""
    data = tomllib.loads(ASSUMPTIONS.read_text(encoding="utf-8"))
    return [
        f"{family}.{name}"
        for family, entries in data.items()
        if family not in ("monte_carlo", "correlations")
        for name in entries
    ]


def test_every_shipped_key_has_its_own_plain_label() -> None:
    keys = shipped_keys()
    assert len(keys) > 30 and "market.decay_sales" in keys
    labels = {key: label(key) for key in keys}
    for key, text in labels.items():
        assert "." not in text and "_" not in text, (key, text)
        assert text != key and text != readable(key), key  # written for it, not made up
        # A rough guard for the tornado's label column (200 px at 11.5 px type).
        assert len(text) <= 40, text
    assert len(set(labels.values())) == len(labels)  # no two assumptions read alike


def test_every_parameter_the_model_knows_is_labelled() -> None:
    for pattern in PARAMETERS:
        key = pattern.replace("*", "Lexus")
        assert label(key) != readable(key), key


def test_brand_keyed_families_take_the_brand_in_brackets() -> None:
    assert label("revenue_per_new_unit.Infiniti") == "Revenue per new unit (Infiniti)"
    assert label("revenue_per_new_unit.default") == "Revenue per new unit (any other brand)"
    assert label("attractiveness.Mercedes-Benz") == "Pull of one store (Mercedes-Benz)"
    assert label("blue_sky_multiple.default") == "Blue-sky multiple (any other brand)"
    assert label("national_units") == "US new-unit sales"  # the family, as a note names it
    assert label("staff.per_100_new_units") == "Staff per 100 new units"


def test_an_unknown_key_falls_back_to_a_readable_form() -> None:
    assert label("my_costs.extra_rent") == "My costs / extra rent"
    assert label("floorplan_interest") == "Floorplan interest"
    assert label("revenue_share.parts") == "Revenue share / parts"  # known family, new key
    assert label("revenue_per_new_unit.") == "Revenue per new unit / "
    assert label("") == ""


def tiny_sensitivity() -> Sensitivity:
    """Three assumptions moving jobs lost, ranked by swing; one that moves nothing."""
    rows = [
        ("market.decay_sales", 80.0, 140.0, 1),
        ("staff_share.office", 95.0, 105.0, 3),
        ("revenue_per_new_unit.default", 120.0, 70.0, 2),
        ("earnings.annual", 100.0, 100.0, 4),
    ]
    table = pd.DataFrame(
        {
            "scope": NATIONAL,
            "measure": "jobs_lost",
            "parameter": [r[0] for r in rows],
            "label": "not read by the pages",
            "unit": "u",
            "value_low": 1.0,
            "value_base": 2.0,
            "value_high": 3.0,
            "at_low": [r[1] for r in rows],
            "at_base": 100.0,
            "at_high": [r[2] for r in rows],
            "swing": [r[2] - r[1] for r in rows],
            "rank": [r[3] for r in rows],
        }
    )[list(COLUMNS)]
    return Sensitivity(table=table, skipped={})


def test_the_tornado_names_its_bars_by_their_labels() -> None:
    chart = tornado(tiny_sensitivity(), "jobs_lost")
    assert chart is not None
    assert [b.label for b in chart.bars] == [
        "Sales customers' distance decay",
        "Revenue per new unit (any other brand)",
        "Staff share: office and F&I",
    ]
    svg = str(macros("_tornado_chart.svg.j2").tornado_chart(chart, "t"))
    shown = [html.unescape(t) for t in re.findall(r'<text x="0"[^>]*>([^<]*)</text>', svg)]
    assert shown == [b.label for b in chart.bars]
    assert "F&amp;I" in svg and "market.decay_sales" not in svg


def test_drivers_carry_the_label_made_from_the_key() -> None:
    found = drivers(tiny_sensitivity(), "jobs_lost", NATIONAL)
    assert [(d["parameter"], d["label"]) for d in found] == [
        ("market.decay_sales", "Sales customers' distance decay"),
        ("revenue_per_new_unit.default", "Revenue per new unit (any other brand)"),
        ("staff_share.office", "Staff share: office and F&I"),
    ]


def test_the_sensitivity_table_has_a_label_after_the_parameter(sample_result: Result) -> None:
    assert COLUMNS.index("label") == COLUMNS.index("parameter") + 1
    assert sample_result.sensitivity is not None
    table = sample_result.sensitivity.table
    assert list(table.columns) == list(COLUMNS) and len(table) > 0
    assert (table["label"] == table["parameter"].map(label)).all()
    decay = table.loc[table["parameter"] == "market.decay_sales", "label"]
    assert set(decay) == {"Sales customers' distance decay"}


def test_the_owner_report_shows_labels_with_their_keys(
    sample_result: Result, tmp_path: Path
) -> None:
    assert sample_result.sensitivity is not None
    table = sample_result.sensitivity.table
    moved = table[
        (table["scope"] != NATIONAL)
        & (table["measure"] == "profit_change")
        & (table["rank"] == 1)
        & (table["swing"] != 0)
    ]
    owner = str(moved["scope"].iloc[0])
    top = str(moved["parameter"].iloc[0])
    write_reports(sample_result, tmp_path, [owner])
    page = (tmp_path / "owners" / f"{slug(owner)}.html").read_text(encoding="utf-8")
    drivers_part = page.split('id="drivers"', 1)[1].split("</ol>", 1)[0]
    first = re.search(r"<li>(.*?) <code class=\"small\">([^<]*)</code>", drivers_part)
    assert first and (html.unescape(first.group(1)), first.group(2)) == (label(top), top)
    for row in applied_parameters(sample_result):
        key = re.escape(row["key"])
        cell = re.search(rf'<tr data-param="{key}"><td>(.*?)<br><code class="small">{key}<', page)
        assert cell and html.unescape(cell.group(1)) == label(row["key"]), row["key"]


@pytest.mark.parametrize("key", ["<b>x</b>.y", "a&b"])
def test_a_label_made_from_a_key_is_escaped_on_the_page(key: str) -> None:
    chart = tornado(
        Sensitivity(table=tiny_sensitivity().table.assign(parameter=key).head(1), skipped={}),
        "jobs_lost",
    )
    assert chart is not None
    svg = str(macros("_tornado_chart.svg.j2").tornado_chart(chart, "t"))
    assert "<b>" not in svg and html.escape(label(key), quote=False) in svg
