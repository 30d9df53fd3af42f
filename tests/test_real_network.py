"""The whole pipeline on the bundled real 2015 network, the default of ``dealernet run``.

Checked against the roster files themselves (read here with the csv module, not the
loader) and against pyproj, and for honesty: every output names the data's origin, no
owner is invented, and every inferred owner carries its evidence.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

import dealernet
from dealernet.render.run_folder import write_run
from helpers import REAL_2015

LABEL = "real 2015 dealer locations; owners inferred; sales estimated"


def _roster(name: str) -> list[dict[str, str]]:
    with (REAL_2015 / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def real(
    real_result: dealernet.Result, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dealernet.Result, Path]:
    """The shared national run (``real_result`` in conftest), written as ``run`` writes it."""
    out = tmp_path_factory.mktemp("real")
    write_run(real_result, out)
    return real_result, out


def test_every_roster_row_is_a_site_at_its_published_place(real) -> None:
    result, _ = real
    for name, brand in (("infiniti", "Infiniti"), ("nissan", "Nissan")):
        rows = _roster(name)
        sites = result.network[result.network["brand"] == brand].set_index("dealer_id")
        assert len(sites) == len(rows)
        for row in rows[::25]:
            site = sites.loc[row["dealer_id"]]
            assert site["latitude"] == pytest.approx(float(row["latitude"]))
            assert site["longitude"] == pytest.approx(float(row["longitude"]))
            assert site["city"] == row["city"]
    assert len(_roster("infiniti")) == 207 and len(_roster("nissan")) == 1056


def test_every_infiniti_store_is_decided_and_host_distances_are_geodesic(real) -> None:
    result, _ = real
    table = result.decisions.table
    assert len(table) == 207
    assert set(table["decision"]) <= {"keep", "absorb", "close", "unaffected"}
    absorbed = table[table["decision"] == "absorb"]
    hosts = result.network.set_index("dealer_id").loc[absorbed["host_dealer_id"]]
    _, _, metres = Geod(ellps="WGS84").inv(
        absorbed["longitude"].to_numpy(),
        absorbed["latitude"].to_numpy(),
        hosts["longitude"].to_numpy(),
        hosts["latitude"].to_numpy(),
    )
    np.testing.assert_allclose(absorbed["distance_miles"], metres / 1609.344, atol=1e-6)
    assert (hosts["brand"] == "Nissan").all()


def test_every_output_names_the_data_origin(real) -> None:
    result, out = real
    assert result.data_origin == LABEL
    assert json.loads((out / "data" / "summary.json").read_text())["data_origin"] == LABEL
    pages = [out / "network.html", out / "index.html", *sorted((out / "owners").glob("*.html"))]
    assert len(pages) > 100
    for page in pages[:: max(1, len(pages) // 20)] + pages[:2]:
        assert LABEL in page.read_text(encoding="utf-8"), page.name
    assert LABEL in repr(result)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Notes on this run" in index  # the volume rules cannot fire on a roster
    assert "annual_new_units &gt;= 600` never held" in index


def test_no_owner_is_invented(real) -> None:
    result, out = real
    infiniti = result.network[result.network["brand"] == "Infiniti"]
    sources = infiniti["owner_source"].value_counts()
    assert "file" not in sources  # the roster names no owner
    assert (infiniti.loc[infiniti["owner_group"].isna(), "owner_source"] == "unknown").all()
    inferred = infiniti[infiniti["owner_source"] == "inferred"]
    assert len(inferred) > 0
    assert inferred["owner_evidence"].str.len().gt(10).all()
    review = pd.read_csv(out / "data" / "owners_inferred.csv", dtype=str)
    assert set(inferred["dealer_id"]) <= set(review["dealer_id"])
    every_page = " ".join(p.read_text(encoding="utf-8") for p in (out / "owners").glob("*.html"))
    assert "(none)" not in every_page
    owners = pd.read_csv(out / "data" / "owners.csv", dtype=str)
    assert "(none)" not in set(owners["owner_group"])


def test_bert_ogden_infiniti_and_nissan_are_one_inferred_group(real) -> None:
    result, _ = real
    network = result.network.set_index("dealer_id")
    infiniti, nissan = network.loc["70545"], network.loc["2871"]
    assert infiniti["name"] == "Bert Ogden Infiniti" and nissan["name"] == "Bert Ogden Nissan"
    assert infiniti["owner_group"] == nissan["owner_group"]
    assert infiniti["owner_source"] == "inferred"
