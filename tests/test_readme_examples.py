"""The docs' "two stores, line by line" table is quoted from a real run: it must stay so.

The table is a generated snippet (``docs/_generated/two-stores.md``, from
``python docs/make_figures.py``) that the method pages include; this reads it as the
reference page shows it and checks every line against a fresh run of the real roster.
"""

from __future__ import annotations

import re

import pytest

import dealernet
from docs_text import page

#: The page that quotes the table (the owners' method page includes the same snippet).
PAGE = "reference/method.md"


def _money(text: str) -> float:
    """``-$820 k`` / ``+$1.31 M`` as dollars."""
    found = re.search(r"([+-]?)\$([\d.]+) ([kM])", text)
    assert found, text
    sign = -1 if found[1] == "-" else 1
    return sign * float(found[2]) * (1e3 if found[3] == "k" else 1e6)


def _table() -> dict[str, list[str]]:
    """The rows of the table, by their first cell."""
    text = page(PAGE)
    start = text.index("**Two stores, line by line**")
    rows = [line for line in text[start:].splitlines() if line.startswith("| ")][:12]
    return {r.split("|")[1].strip(): [c.strip() for c in r.split("|")[2:4]] for r in rows}


@pytest.fixture(scope="module")
def stores() -> dict[str, dict]:
    result = dealernet.run(dealernet.load_network("real-2015"), what_drives=False)
    table = result.impacts.table.merge(
        result.decisions.table[["dealer_id", "name", "city", "transfer"]]
    )
    wanted = {"co": ("Lokey Infiniti", "Clearwater"), "tr": ("Sewell Infiniti", "Dallas")}
    out = {}
    for key, (name, city) in wanted.items():
        row = table[(table["name"] == name) & (table["city"] == city)]
        assert len(row) == 1, name
        out[key] = row.iloc[0].to_dict()
    return out


def test_the_docs_quote_each_line_of_both_stores(stores: dict[str, dict]) -> None:
    table = _table()
    co, tr = stores["co"], stores["tr"]
    lines = {
        "gross profit lost: sales (new, used, F&I)": (0, -co["gross_profit_lost_sales_base"]),
        "gross profit lost: service and parts": (0, -co["gross_profit_lost_service_base"]),
        "payroll no longer paid (13 jobs)": (0, co["payroll_avoided_base"]),
        "showroom costs no longer paid": (0, co["occupancy_avoided_base"]),
        "profit of the store given up": (1, -tr["profit_given_up_base"]),
        "**change in yearly pre-tax profit**": (0, co["profit_change_base"]),
        "once: buy-out received": (1, tr["buyout_base"]),
        "the host's owner gains a year": (1, tr["host_gross_profit_gained_base"]),
    }
    for label, (column, value) in lines.items():
        assert _money(table[label][column]) == pytest.approx(value, rel=0.01, abs=1e3), label
    change = table["**change in yearly pre-tax profit**"][1]
    assert _money(change) == pytest.approx(tr["profit_change_base"], rel=0.01)
    assert round(co["jobs_lost_base"]) == 13
    assert not co["transfer"] and tr["transfer"]  # the columns' titles say which is which
