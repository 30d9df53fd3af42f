"""Other brands than Infiniti into Nissan: every figure says which generic assumptions it used."""

from __future__ import annotations

import json

import pytest

from dealernet import run
from dealernet.analysis.pipeline import default_assumptions
from dealernet.engine.scenario import load_scenario
from dealernet.outputs.tables import summary_json
from dealernet.render.reports import render_owner_report
from dealernet.settings import DEFAULT_SCENARIO_PATH
from helpers import ORIGIN, east, network_from, site

LAT, LON = ORIGIN


@pytest.fixture(scope="module")
def lincoln_into_ford(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Three Lincoln stores (one beside a Ford store, two stand-alone) and three Ford
    stores near Dallas; the bundled consolidation rules with the brands swapped."""
    folder = tmp_path_factory.mktemp("lincoln")
    text = DEFAULT_SCENARIO_PATH.read_text(encoding="utf-8")
    path = folder / "lincoln.toml"
    path.write_text(
        text.replace('"Infiniti"', '"Lincoln"').replace('"Nissan"', '"Ford"'), encoding="utf-8"
    )
    rows = [
        site("L1", "Lincoln", LAT, LON + east(4), owner="Prairie Motors"),
        site("L2", "Lincoln", LAT + 0.2, LON, owner="Hill Auto"),
        site("L3", "Lincoln", LAT, LON + east(30.02)),
        site("F1", "Ford", LAT, LON, owner="Prairie Motors"),
        site("F2", "Ford", LAT + 0.2, LON + east(10)),
        site("F3", "Ford", LAT, LON + east(30)),
    ]
    return network_from(rows), load_scenario(path)


def test_a_lincoln_run_names_the_generic_assumptions_it_used(lincoln_into_ford) -> None:
    network, scenario = lincoln_into_ford
    result = run(network, scenario, what_drives=False)
    notes = " ".join(result.assumption_notes)
    for prefix in ("new_units_per_store", "revenue_per_new_unit", "return_on_sales"):
        assert f"{prefix}.Lincoln" in notes
    assert "no national_units.Lincoln" in notes
    assert json.loads(summary_json(result))["assumption_notes"] == result.assumption_notes
    page = render_owner_report(result, "Hill Auto")
    assert "Lincoln has no own" in page
    assert "new_units_per_store.default" in page and "used for Lincoln: no own entry" in page
    # Entries of brands the run does not have are not listed as used.
    assert "revenue_per_new_unit.Nissan" not in page


def test_a_brand_entry_given_with_set_is_used_and_no_longer_reported(lincoln_into_ford) -> None:
    network, scenario = lincoln_into_ford
    own = default_assumptions().with_overrides({"new_units_per_store.Lincoln": 170})
    result = run(network, scenario, own, what_drives=False)
    notes = " ".join(result.assumption_notes)
    assert "new_units_per_store.Lincoln" not in notes and "revenue_per_new_unit.Lincoln" in notes
    # Without a national total, the stores' volumes add up to 170 a store in every draw.
    assert result.national["new_units_base"] == pytest.approx(170 * 3)
    assert result.national["new_units_low"] == pytest.approx(170 * 3)
