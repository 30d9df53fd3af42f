"""Every shipped scenario's figures at base, for the spread beside a run's range."""

from __future__ import annotations

import pytest

from dealernet import run
from dealernet.analysis.pipeline import default_assumptions
from dealernet.analysis.scenario_spread import at_base, scenario_spread
from dealernet.engine.scenario import load_scenario
from dealernet.geo.customers import load_customers
from dealernet.io.competitors import load_competitors
from dealernet.settings import DEFAULT_SCENARIO_PATH, SCENARIOS_DIR


def test_each_shipped_scenario_is_the_run_of_that_scenario_at_base(
    sample_network, tmp_path
) -> None:
    shipped = [(p.stem, load_scenario(p)) for p in sorted(SCENARIOS_DIR.glob("*.toml"))]
    text = DEFAULT_SCENARIO_PATH.read_text(encoding="utf-8")
    other = tmp_path / "lincoln.toml"
    other.write_text(
        text.replace('"Infiniti"', '"Lincoln"').replace('"Nissan"', '"Ford"'), encoding="utf-8"
    )
    competitors = load_competitors(None, exclude_brands=("Infiniti", "Nissan"))
    found = scenario_spread(
        sample_network,
        default_assumptions(),
        competitors,
        load_customers(),
        [*shipped, ("lincoln", load_scenario(other))],
    )
    assert found.skipped == {"lincoln": "the network has no Lincoln or Ford stores"}
    table = found.table.set_index("scenario")
    assert list(table.index) == [stem for stem, _ in shipped]
    # An independent pass: the whole pipeline for one scenario, every assumption at base.
    stem, scenario = shipped[0]
    whole = run(sample_network, scenario=scenario, assumptions=at_base(default_assumptions()))
    assert table.loc[stem, "jobs_lost"] == pytest.approx(whole.national["jobs_lost_base"])
    assert table.loc[stem, "revenue_lost"] == pytest.approx(whole.national["revenue_lost_base"])
    counts = whole.decisions.counts()
    assert table.loc[stem, "absorbed"] == counts.get("absorb", 0)
    # The scenarios differ: the spread is not one figure repeated.
    assert table["jobs_lost"].nunique() > 1
