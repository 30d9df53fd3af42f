"""The Excel workbook: one typed, formatted sheet per table, an About sheet, atomic writes.

Every sheet is read back with openpyxl (warnings as errors) and checked against the run's
own tables, the expected figures computed here from the tables themselves: headers, row
counts, whole dollars, codes kept as text, booleans, empty cells for missing values, and
text that looks like a formula stored as text (no ``<f>`` element anywhere in the file).
"""

from __future__ import annotations

import importlib.metadata
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from dealernet.analysis.parameter_labels import label
from dealernet.analysis.pipeline import run
from dealernet.analysis.result import Result
from dealernet.outputs.tables import TABLES
from dealernet.outputs.workbook import MAX_WIDTH, WORKBOOK, write_workbook
from dealernet.schema import BRAND, SOURCE_FILE
from dealernet.settings import NETWORK_LABELS, REAL_2015
from helpers import MILE, ORIGIN, east, network_from, site
from helpers import REAL_2015 as REAL_2015_DIR

TABLE_SHEETS = ["decisions", "impacts", "owners", "hosts", "regions"]
SHEET_NAMES = ["About", *TABLE_SHEETS, "assumptions", "sources"]
#: Dealer and owner names a spreadsheet would run as formulas, and one XML cannot hold.
FORMULA_NAME, AT_NAME, OWNER = "=1+1 Group", "@SUM(A1)", '=HYPERLINK("http://x","y")'
BELL_NAME = "Bell\x07 Motors"


def tables(result: Result) -> dict[str, pd.DataFrame]:
    return {
        "decisions": result.decisions.table,
        "impacts": result.impacts.table,
        "owners": result.owners,
        "hosts": result.hosts,
        "regions": result.regions,
    }


def opened(path: Path) -> Workbook:
    """The workbook as Excel users get it: loaded with every warning an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return load_workbook(path)


def rows(sheet: Worksheet) -> list[tuple[Any, ...]]:
    return list(sheet.iter_rows(values_only=True))


def column_cells(sheet: Worksheet, header: str) -> list[Any]:
    """The cells (not values) of one column below the header."""
    names = [c.value for c in sheet[1]]
    index = names.index(header) + 1
    return [row[0] for row in sheet.iter_rows(min_row=2, min_col=index, max_col=index)]


@pytest.fixture(scope="module")
def written(sample_result: Result, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample run's workbook, written once for the module."""
    path = tmp_path_factory.mktemp("xlsx") / WORKBOOK
    assert write_workbook(sample_result, path) == path
    return path


@pytest.fixture(scope="module")
def book(written: Path) -> Workbook:
    return opened(written)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Result, Path]]:
    """A tiny run whose dealers and owners are named like formulas, its sites said to come
    from the bundled 2015 roster (so its licence applies), and its workbook."""
    lat0, lon0 = ORIGIN
    network = network_from(
        [
            site("I1", "Infiniti", lat0, lon0, name=FORMULA_NAME, owner=OWNER),
            site("I2", "Infiniti", lat0 + 30 * MILE, lon0, name=AT_NAME, owner="Plain"),
            site("I3", "Infiniti", lat0 - 30 * MILE, lon0, name=BELL_NAME, owner="Plain"),
            site("N1", "Nissan", lat0, lon0 + east(4), owner=OWNER),
            site("N2", "Nissan", lat0 + 30 * MILE, lon0 + east(3), owner="Other"),
        ]
    )
    files = {"Infiniti": "infiniti.csv", "Nissan": "nissan.csv"}
    network[SOURCE_FILE] = [str(REAL_2015_DIR / files[b]) for b in network[BRAND]]
    result = run(network, what_drives=False)
    path = tmp_path_factory.mktemp("hostile") / WORKBOOK
    write_workbook(result, path)
    yield result, path


# --- sheets, headers, rows -----------------------------------------------------------------


def test_sheets_in_order(book: Workbook) -> None:
    assert book.sheetnames == SHEET_NAMES


@pytest.mark.parametrize("name", TABLE_SHEETS)
def test_header_rows_and_filter(book: Workbook, sample_result: Result, name: str) -> None:
    table = tables(sample_result)[name]
    sheet = book[name]
    values = rows(sheet)
    assert list(values[0]) == [str(c) for c in table.columns]
    assert len(values) - 1 == len(table) > 0
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(table.columns))}{len(table) + 1}"
    assert all(cell.font.b for cell in sheet[1])
    assert not any(cell.font.b for cell in sheet[2])


def test_no_missing_value_spelled_out(book: Workbook) -> None:
    """Missing values are empty cells: never the text of a NaN, an NA or a None."""
    spelled = {"nan", "NaN", "<NA>", "None", "NaT", "inf", "-inf"}
    for sheet in book:
        for row in rows(sheet):
            assert not spelled & {v for v in row if isinstance(v, str)}, sheet.title


def test_missing_is_an_empty_cell(book: Workbook, sample_result: Result) -> None:
    table = sample_result.decisions.table
    missing = table["colocation_test"].isna()
    assert missing.any() and not missing.all()
    cells = column_cells(book["decisions"], "colocation_test")
    assert [c.value is None for c in cells] == missing.tolist()


# --- types and number formats --------------------------------------------------------------


def test_money_whole_dollars(book: Workbook, sample_result: Result) -> None:
    table = sample_result.impacts.table
    for column in ("revenue_lost_base", "baseline_revenue_total", "payroll_lost_high"):
        cells = column_cells(book["impacts"], column)
        assert {c.number_format for c in cells} == {'"$"#,##0'}
        assert all(type(c.value) is int for c in cells)
        assert [c.value for c in cells] == [round(float(v)) for v in table[column]]
    assert any(float(v) % 1 for v in table["revenue_lost_base"])  # the table has cents


@pytest.mark.parametrize(
    ("sheet", "column", "number_format"),
    [
        ("impacts", "jobs_lost_base", "0.0"),
        ("impacts", "baseline_employees_total", "0.0"),
        ("impacts", "sales_site_base", "0%"),
        ("decisions", "distance_miles", "0.0"),
        ("owners", "stores_affected", "#,##0"),
        ("regions", "net_jobs_lost_base", "0.0"),
    ],
)
def test_number_formats(book: Workbook, sheet: str, column: str, number_format: str) -> None:
    cells = [c for c in column_cells(book[sheet], column) if c.value is not None]
    assert cells
    assert {c.number_format for c in cells} == {number_format}
    assert all(c.data_type == "n" for c in cells)


def test_jobs_to_a_tenth(book: Workbook, sample_result: Result) -> None:
    table = sample_result.owners
    cells = column_cells(book["owners"], "jobs_lost_base")
    assert [c.value for c in cells] == pytest.approx(table["jobs_lost_base"].round(1).tolist())
    assert all(round(c.value, 1) == c.value for c in cells)


def test_fips_code_stays_text(book: Workbook, sample_result: Result) -> None:
    regions = sample_result.regions
    counties = regions[regions["level"] == "county"]
    zeros = counties[counties["region"].str.startswith("0")]
    assert len(zeros), "the sample has a county whose FIPS starts with 0"
    cells = column_cells(book["regions"], "region")
    by_value = {c.value: c for c in cells}
    for fips in zeros["region"]:
        cell = by_value[fips]
        assert cell.value == fips and len(fips) == 5
        assert cell.data_type == "s" and cell.number_format == "@"


def test_dealer_ids_text(book: Workbook, sample_result: Result) -> None:
    cells = column_cells(book["decisions"], "dealer_id")
    assert [c.value for c in cells] == sample_result.decisions.table["dealer_id"].tolist()
    assert {c.number_format for c in cells} == {"@"}


def test_booleans(book: Workbook, sample_result: Result) -> None:
    seen: set[object] = set()
    for sheet, column, table in (
        ("decisions", "transfer", sample_result.decisions.table),
        ("hosts", "holds_source_store", sample_result.hosts),
    ):
        cells = column_cells(book[sheet], column)
        expected = [None if pd.isna(v) else bool(v) for v in table[column].astype(object)]
        assert [c.value for c in cells] == expected
        present = [c for c in cells if c.value is not None]
        assert present and all(c.data_type == "b" and type(c.value) is bool for c in present)
        seen |= set(expected)
    assert {True, False} <= seen


def test_column_widths_fit(book: Workbook, sample_result: Result) -> None:
    sheet = book["decisions"]
    names = sample_result.decisions.table["name"]
    index = list(sample_result.decisions.table.columns).index("name") + 1
    width = sheet.column_dimensions[get_column_letter(index)].width
    assert width == min(MAX_WIDTH, max(names.str.len().max(), len("name")) + 2)
    reason = list(sample_result.decisions.table.columns).index("reason") + 1
    assert sample_result.decisions.table["reason"].str.len().max() > MAX_WIDTH
    assert sheet.column_dimensions[get_column_letter(reason)].width == MAX_WIDTH


# --- About, assumptions, sources -----------------------------------------------------------


def test_about(book: Workbook, sample_result: Result) -> None:
    about = dict(r[:2] for r in rows(book["About"]) if r[0])
    assert about["Data"] == sample_result.data_origin == NETWORK_LABELS["sample"]
    assert about["dealernet version"] == importlib.metadata.version("dealernet")
    assert about["Scenario"] == sample_result.scenario.name
    assert about["Simulations"] == (
        f"{sample_result.assumptions.draws:,} draws, seed {sample_result.assumptions.seed}"
    )
    assert "10th / 50th / 90th percentiles" in about["low / base / high"]
    assert "smallest / most likely / largest" in about["low / base / high (assumptions)"]
    written = pd.Timestamp(about["Written (UTC)"])
    assert written.tzinfo is not None and written.utcoffset() == pd.Timedelta(0)
    assert abs(pd.Timestamp.now(tz="UTC") - written) < pd.Timedelta(hours=1)
    for name in TABLE_SHEETS:
        assert about[name] == TABLES[f"{name}.csv"]
    assert set(SHEET_NAMES) <= set(about)


def test_assumptions_sheet(book: Workbook, sample_result: Result) -> None:
    params = sample_result.assumptions.parameters
    values = rows(book["assumptions"])
    assert values[0] == ("key", "label", "base", "low", "high", "unit", "source")
    assert len(values) - 1 == len(params)
    for row in values[1:]:
        p = params[row[0]]
        assert row[1:] == (label(p.key), p.base, p.low, p.high, p.unit, p.source)
    cells = column_cells(book["assumptions"], "base")
    assert {c.number_format for c in cells} == {"General"}  # as written in the file


def test_sources_counts(book: Workbook, sample_result: Result) -> None:
    network = sample_result.network
    expected = network.groupby([SOURCE_FILE, BRAND]).size()
    values = rows(book["sources"])
    assert values[0] == ("source_file", "brand", "sites", "data", "licence")
    body = values[1:]
    assert len(body) == len(expected) == 2
    assert sum(r[2] for r in body) == len(network)
    for (file, brand), n in expected.items():
        shown = f"dealernet:networks/sample/{Path(file).name}"
        assert (shown, brand, n, NETWORK_LABELS["sample"], None) in body


def test_sources_licence_of_the_2015_rosters(hostile: tuple[Result, Path]) -> None:
    result, path = hostile
    values = rows(opened(path)["sources"])
    table, notice = values[1:3], [r[0] for r in values[3:] if r[0]]
    assert values[3] == (None,) * 5  # an empty row between the table and the notice
    assert [r[:3] for r in table] == [
        ("dealernet:networks/real-2015/infiniti.csv", "Infiniti", 3),
        ("dealernet:networks/real-2015/nissan.csv", "Nissan", 2),
    ]
    assert {r[3] for r in table} == {NETWORK_LABELS[REAL_2015]}
    assert all(r[4].startswith("The MIT License") for r in table)
    text = " ".join(notice)
    assert "Copyright (c) 2015 Simon Wenmouth" in text
    assert "shall be included in all copies or substantial portions" in text
    licence = (REAL_2015_DIR / "LICENSE").read_text(encoding="utf-8")
    assert " ".join(text.split()).endswith(" ".join(licence.split()))
    about = dict(r[:2] for r in rows(opened(path)["About"]) if r[0])
    assert about["Data"] == result.data_origin == NETWORK_LABELS[REAL_2015]


# --- formulas and text -----------------------------------------------------------------------


def test_formula_like_names_stay_text(hostile: tuple[Result, Path]) -> None:
    result, path = hostile
    book = opened(path)
    names = column_cells(book["decisions"], "name")
    assert [c.value for c in names[:2]] == [FORMULA_NAME, AT_NAME]
    assert all(c.data_type == "s" for c in names)
    owners = {c.value: c for c in column_cells(book["owners"], "owner_group")}
    assert owners[OWNER].data_type == "s"
    assert OWNER in set(result.owners["owner_group"])
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        xml = "".join(archive.read(n).decode("utf-8") for n in sheets)
    assert sheets and "<f>" not in xml and "<f " not in xml
    assert "=1+1 Group" in xml


def test_text_xml_cannot_hold_is_escaped(hostile: tuple[Result, Path]) -> None:
    _, path = hostile
    names = [c.value for c in column_cells(opened(path)["decisions"], "name")]
    assert names[2] == "Bell\\x07 Motors"


# --- pandas, atomic writes -------------------------------------------------------------------


def test_pandas_round_trip(written: Path, sample_result: Result) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = pd.read_excel(written, sheet_name="regions", engine="openpyxl")
    table = sample_result.regions
    assert list(back.columns) == list(table.columns) and len(back) == len(table)
    assert back["region"].tolist() == table["region"].tolist()  # "01097", not 1097
    assert back["stores"].tolist() == table["stores"].tolist()
    money = [round(float(v)) for v in table["revenue_lost_base"]]
    assert back["revenue_lost_base"].tolist() == money
    jobs = table["jobs_lost_base"].round(1).tolist()
    assert back["jobs_lost_base"].tolist() == pytest.approx(jobs)


def test_failed_write_keeps_the_earlier_file(
    sample_result: Result, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpyxl.writer.excel import ExcelWriter

    path = tmp_path / WORKBOOK
    write_workbook(sample_result, path)
    before = path.read_bytes()
    seen: list[int] = []
    original = ExcelWriter._write_worksheets

    def half_then_fail(self: ExcelWriter) -> None:
        original(self)  # the sheets are in the temporary file: half a workbook
        seen.append(Path(self._archive.filename).stat().st_size)
        raise RuntimeError("stopped mid-write")

    monkeypatch.setattr(ExcelWriter, "_write_worksheets", half_then_fail)
    with pytest.raises(RuntimeError, match="mid-write"):
        write_workbook(sample_result, path)
    assert seen and seen[0] > 0
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [WORKBOOK]

    fresh = tmp_path / "fresh"
    with pytest.raises(RuntimeError, match="mid-write"):
        write_workbook(sample_result, fresh / WORKBOOK)
    assert list(fresh.iterdir()) == []
