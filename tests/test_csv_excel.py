"""CSV files that open cleanly in Excel and come back whole: a byte-order mark, one boolean
spelling, whole dollars, codes as quoted text, and the formula guard undone on reading."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dealernet._csv import BOM, csv_file_text, rounded
from dealernet.analysis.pipeline import run
from dealernet.analysis.result import Result
from dealernet.formatting import format_of
from dealernet.planning.saved_run import load_results
from dealernet.planning.sql import run_sql
from helpers import MILE, ORIGIN, east, network_from, site

LAT, LON = ORIGIN
OWNER = "=1+1 Müller & Söhne"
STORE = "@SUM(A1) Infiniti"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    sites = [
        site("I1", "Infiniti", LAT, LON, owner=OWNER, name=STORE, annual_new_units=250),
        site("N1", "Nissan", LAT, LON + east(5), owner="Other Group", annual_new_units=900),
        site("I2", "Infiniti", LAT + 60 * MILE, LON, owner="Beta", annual_new_units=300),
        site("N2", "Nissan", LAT + 60 * MILE, LON + east(8), owner="Beta"),
        site("I3", "Infiniti", LAT + 300 * MILE, LON, owner="Gamma"),
    ]
    network = network_from(sites)
    network["zip"] = ["01097", "02134", "00501", "07030", "08540"]
    result = run(network, what_drives=False)
    out = tmp_path_factory.mktemp("excel")
    result.write(out, reports=False)
    return result, out


def _files(out: Path) -> list[Path]:
    return sorted((out / "data").glob("*.csv"))


def test_every_file_starts_with_a_byte_order_mark_and_a_plain_header(written) -> None:
    _, out = written
    for path in _files(out):
        text = path.read_text(encoding="utf-8")
        assert text.startswith(BOM), path.name
        assert not text[1:].startswith('"'), path.name  # the header is not quoted
    owners = (out / "data" / "owners.csv").read_bytes().decode("utf-8-sig")
    assert "Müller & Söhne" in owners  # UTF-8, which the mark tells Excel


def test_one_boolean_spelling_and_whole_dollars(written) -> None:
    _, out = written
    for path in _files(out):
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
        header, body = rows[0], rows[1:]
        for i, column in enumerate(header):
            cells = {r[i] for r in body if r[i] != ""}
            assert not cells & {"True", "False", "TRUE", "FALSE"}, (path.name, column)
            if format_of(column) == "money" and cells and not column.endswith("_source"):
                assert all("." not in c for c in cells), (path.name, column, cells)


def test_codes_are_quoted_text(written) -> None:
    _, out = written
    text = (out / "data" / "decisions.csv").read_text(encoding="utf-8-sig")
    assert '"I1",' in text
    regions = (out / "data" / "regions.csv").read_text(encoding="utf-8-sig")
    county = [line for line in regions.splitlines() if line.startswith('"county"')]
    assert county and all(line.split(",")[1].startswith('"') for line in county)
    assert len(county[0].split(",")[1].strip('"')) == 5  # a 5-digit FIPS code, zeros kept


def test_formula_like_text_is_defused_in_the_file(written) -> None:
    _, out = written
    text = (out / "data" / "decisions.csv").read_text(encoding="utf-8-sig")
    assert f'"\'{OWNER}"' in text and f'"\'{STORE}"' in text


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as the files hold them: rounded, dollars whole, missing as None."""
    out = rounded(frame.reset_index(drop=True))
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_float_dtype(values) and format_of(str(column)) == "money":
            out[column] = values.round(0)
    return out.astype(object).where(out.notna(), None)


@pytest.mark.parametrize("table", ["decisions", "impacts", "owners", "regions", "hosts"])
def test_a_run_read_back_gives_every_value_as_written(written, table: str) -> None:
    result, out = written
    loaded = load_results(out)
    frames = {
        "decisions": (result.decisions.table, loaded.decisions.table),
        "impacts": (result.impacts.table, loaded.impacts.table),
        "owners": (result.owners, loaded.owners),
        "regions": (result.regions, loaded.regions),
        "hosts": (result.hosts, loaded.hosts),
    }
    before, after = (_comparable(f) for f in frames[table])
    assert list(after.columns) == list(before.columns)
    assert len(after) == len(before)
    for column in before.columns:
        for a, b in zip(before[column], after[column], strict=True):
            if a is None or b is None:
                assert a is None and b is None, (table, column, a, b)
            elif isinstance(a, (bool, np.bool_)) or isinstance(b, (bool, np.bool_)):
                assert bool(a) == bool(b), (table, column)
            elif isinstance(a, (int, float, np.number)) and not isinstance(a, bool):
                assert float(b) == pytest.approx(float(a), abs=1e-6), (table, column)
            else:
                assert str(b) == str(a), (table, column)


def test_answers_from_a_read_back_run_carry_no_guard(written) -> None:
    _, out = written
    loaded = load_results(out, draws=False)
    names = run_sql(loaded, "SELECT name, owner_group FROM decisions WHERE dealer_id = 'I1'")
    assert names["name"].iat[0] == STORE and names["owner_group"].iat[0] == OWNER


def test_csv_file_text_of_a_table_with_codes(tmp_path: Path) -> None:
    frame = pd.DataFrame({"zip": ["01097"], "revenue_lost_base": [12.6], "flag": [True]})
    text = csv_file_text(frame)
    assert text == BOM + 'zip,revenue_lost_base,flag\n"01097",13,"true"\n'
    back = pd.read_csv(io.StringIO(text), dtype=str)
    assert back.columns.tolist() == ["zip", "revenue_lost_base", "flag"]  # pandas drops the mark
    assert back["zip"].iat[0] == "01097"
