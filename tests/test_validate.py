"""Validation: every error and warning, with its message, location and exit status."""

from __future__ import annotations

import csv
import string
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from dealernet import InvalidInputError, load_network, validate_network
from dealernet.cli.main import cli
from properties import LOADER_PROPERTY

HEADER = "dealer_id,name,brand,owner_group,latitude,longitude,zip\n"
GOOD = [
    "I-1,Infiniti of Dallas,Infiniti,Lone Star,32.9101,-96.7702,75240\n",
    "N-1,Dallas Nissan,Nissan,Lone Star,32.9201,-96.7802,75240\n",
]


def write(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "d.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + "".join(GOOD) + "".join(rows), encoding="utf-8")
    return path


def invoke(*args: str | Path):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def only_problem(path: Path, severity: str = "error"):
    report = validate_network(path)
    found = [p for p in report.problems if p.severity == severity]
    assert len(found) == 1, [p.describe() for p in report.problems]
    return found[0]


def test_valid_file_exits_zero(tmp_path: Path) -> None:
    result = invoke("validate", write(tmp_path))
    assert result.exit_code == 0
    assert "0 errors" in result.output


@pytest.mark.parametrize(
    ("row", "column", "message", "fix"),
    [
        ("I-2,X,Infiniti,G,95.5,-96.7,\n", "latitude", "latitude out of range", "between -90"),
        ("I-2,X,Infiniti,G,32.5,-196.7,\n", "longitude", "longitude out of range", "-180"),
        ("I-2,X,Infiniti,G,-96.7,32.5,\n", "latitude", "look swapped", "Exchange"),
        ("I-2,X,Infiniti,G,-80.19,25.76,\n", "latitude", "look swapped", "Exchange"),
        ("I-2,X,Infiniti,G,abc,-96.7,\n", "latitude", "not a number", "decimal number"),
        ('I-2,X,Infiniti,G,"32,78",-96.7,\n', "latitude", "not a number", "decimal point"),
        ("I-2,X,Infiniti,G,N 32.78,-96.7,\n", "latitude", "not a number", "signed decimal"),
        ("I-2,X,Infiniti,G,nan,-96.7,\n", "latitude", "not a number", "real number"),
        ("I-2,X,Infiniti,G,32.7,inf,\n", "longitude", "not a number", "real number"),
        ("I-2,X,Infiniti,G,,,99999\n", "zip", "no coordinates and no usable ZIP", "5-digit"),
        # a US site with its minus sign lost lands in Asia: an error, not a warning
        ("I-2,X,Infiniti,G,32.9,96.7,\n", "longitude", "with a minus sign", "add the minus sign"),
        ("I-2,X,Infiniti,G,,,\n", "zip", "no coordinates and no usable ZIP", "5-digit"),
        ("I-2,X,Infiniti,G,32.7,,\n", "longitude", "longitude is missing", "both"),
        ("I-2,X,Toyotaa,G,33.1,-96.1,\n", "brand", "unknown brand", "Did you mean 'Toyota'"),
        ("I-2,X,,G,33.1,-96.1,\n", "brand", "brand is missing", "Fill in"),
        (",X,Infiniti,G,33.1,-96.1,\n", "dealer_id", "dealer id is missing", "needs a dealer id"),
    ],
)
def test_each_row_error_names_file_line_column_value_and_fix(
    tmp_path: Path, row: str, column: str, message: str, fix: str
) -> None:
    path = write(tmp_path, row)
    problem = only_problem(path)
    assert problem.file == str(path)
    assert problem.row == 4  # header is line 1, two good rows, then this one
    assert problem.column == column
    cell = next(csv.reader([row]))[HEADER.strip().split(",").index(column)]
    assert problem.value is not None and cell in problem.value  # swapped: both coordinates
    assert message in problem.message
    assert fix in problem.fix
    result = invoke("validate", path)
    assert result.exit_code == 1
    assert f"line 4, column '{column}'" in result.output
    assert "Traceback" not in result.output


def test_duplicate_id_lists_both_places(tmp_path: Path) -> None:
    report = validate_network(write(tmp_path, "I-1,Other,Infiniti,G,33.1,-96.1,\n"))
    rows = sorted(p.row for p in report.errors)
    assert rows == [2, 4]
    assert "also at" in report.errors[0].message


def test_missing_required_column_lists_accepted_spellings(tmp_path: Path) -> None:
    path = write(tmp_path, header="dealer_id,brand,latitude,longitude,zip\n")
    path.write_text("dealer_id,brand,latitude,longitude\nI-1,Infiniti,32.9,-96.7\n")
    problem = only_problem(path)
    assert "missing required column 'name'" in problem.message
    assert "'Dealer Name'" in problem.fix or "'dealer name'" in problem.fix
    assert invoke("validate", path).exit_code == 1


def test_file_without_location_columns_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("dealer_id,name,brand\nI-1,X,Infiniti\n")
    assert "no location columns" in only_problem(path).message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (HEADER.encode(), "header but no data rows"),
        (b"\x00\x01\x02\xff\xfe\x00junk" * 50, "binary"),
    ],
)
def test_unreadable_or_empty_files_are_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(content)
    assert message in only_problem(path).message
    result = invoke("validate", path)
    assert result.exit_code == 1
    assert "Traceback" not in result.output


@pytest.mark.parametrize("suffix", [".xlsx", ".gpkg", ".geojson", ".parquet"])
def test_corrupt_binary_formats_are_errors(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"d{suffix}"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook or layer")
    problem = only_problem(path)
    assert problem.file == str(path)
    assert invoke("validate", path).exit_code == 1


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    result = invoke("validate", tmp_path / "nope.csv")
    assert result.exit_code == 1
    assert "no such file or folder" in result.output


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("I-2,X,Infiniti,G,,,80222\n", "ZIP code's centroid"),
        ("I-2,X,Infiniti,G,48.85,-2.35,\n", "outside the 50 states and DC"),
        ("I-2,X,Infiniti,G,18.40,-66.10,\n", "outside the 50 states and DC"),  # Puerto Rico
        ("I-2,X,Infiniti,G,48.85,2.35,\n", "outside the 50 states and DC"),  # Paris, east
        (GOOD[0], "exact duplicate"),
    ],
)
def test_warnings_do_not_fail_validation(tmp_path: Path, row: str, message: str) -> None:
    path = write(tmp_path, row)
    problem = only_problem(path, "warning")
    assert message in problem.message
    assert problem.row == 4
    assert validate_network(path).ok
    assert invoke("validate", path).exit_code == 0


def test_all_problems_of_all_files_are_reported_at_once(tmp_path: Path) -> None:
    a = write(tmp_path, "I-2,X,Infiniti,G,95,-96.7,\n", name="a.csv")
    b = write(tmp_path, "I-3,Y,Nisan,G,33,-96.7,\n", "I-2,Z,Infiniti,G,34,-96.7,\n", name="b.csv")
    report = validate_network([a, b])
    assert {(p.file, p.row) for p in report.errors} == {(str(a), 4), (str(b), 4), (str(b), 5)}
    assert sum("duplicate dealer id" in p.message for p in report.errors) == 2  # I-2, a and b
    assert sum("unknown brand" in p.message for p in report.errors) == 1
    # the good rows repeated in both files are exact copies: warned about, not errors
    assert sum("exact duplicate" in p.message for p in report.warnings) == 2


def test_run_refuses_invalid_input_with_the_same_report(tmp_path: Path) -> None:
    path = write(tmp_path, "I-2,X,Infiniti,G,95.5,-96.7,\n")
    result = invoke("run", "--dealers", path, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert "line 4, column 'latitude'" in result.output
    assert "--skip-invalid" in result.output
    with pytest.raises(InvalidInputError) as info:
        load_network(path)
    assert info.value.report is not None
    assert len(info.value.report.errors) == 1


def test_skip_invalid_drops_bad_rows_and_says_which(tmp_path: Path) -> None:
    path = write(tmp_path, "I-2,X,Infiniti,G,95.5,-96.7,\n", "I-3,Y,Infiniti,G,33.0,-97.0,\n")
    net = load_network(path, skip_invalid=True)
    assert list(net["dealer_id"]) == ["I-1", "N-1", "I-3"]
    assert net.attrs["validation"].dropped_rows == [(str(path), 4)]
    out = tmp_path / "out"
    result = invoke("run", "--dealers", path, "--skip-invalid", "--no-sensitivity", "--out", out)
    assert result.exit_code == 0
    assert "Skipped 1 invalid rows" in result.output


def test_problems_can_be_written_to_a_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "I-2,X,Infiniti,G,95.5,-96.7,\n", "I-3,X,Infiniti,G,,,10001\n")
    out = tmp_path / "problems.csv"
    invoke("validate", path, "--problems", out)
    text = out.read_text()
    assert "latitude out of range" in text and "centroid" in text


# --- no input may cause a traceback ---------------------------------------------------------

_SETTINGS = LOADER_PROPERTY


@_SETTINGS
@given(data=st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise_anything_but_a_clean_report(
    tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    report = validate_network(path)
    assert report.files == [str(path)]


_cells = st.text(alphabet=string.printable + "é°\u00a0", max_size=12)


@_SETTINGS
@given(
    header=st.lists(
        st.sampled_from(["dealer_id", "name", "brand", "lat", "lon", "zip", "Owner", "x", "?"]),
        min_size=1,
        max_size=7,
    ),
    rows=st.lists(st.lists(_cells, min_size=0, max_size=8), max_size=6),
    sep=st.sampled_from([",", ";", "\t"]),
)
def test_arbitrary_csv_text_gives_a_report_or_a_clean_error(
    tmp_path: Path, header: list[str], rows: list[list[str]], sep: str
) -> None:
    import csv

    path = tmp_path / "fuzz.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=sep)
        writer.writerow(header)
        writer.writerows(rows)
    report = validate_network(path)  # raises nothing: every problem is in the report
    assert report.files == [str(path)]
    assert report.ok or report.errors
