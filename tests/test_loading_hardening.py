"""Loading faults the corpus (``tests/data/bad/loading/``) cannot express: what is loaded.

The corpus checks messages and exit codes; these check the loaded network itself (no
mojibake, the coordinates' state used, refused rows dropped with ``--skip-invalid``), the
limits by API, and that the new checks stay quiet on the shipped networks.
"""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from dealernet.io import workbooks
from dealernet.io.loader import load_network, validate_network
from dealernet.io.readers import discover, read_table
from dealernet.io.tables import FileProblem
from dealernet.io.text_files import decode_lines
from dealernet.io.validate import PLAUSIBLE
from dealernet.schema import NAME, NUMERIC_COLUMNS, STATE
from helpers import DEALERS, ROOT

CORPUS = ROOT / "tests" / "data" / "bad" / "loading"


def test_one_cp1252_line_never_garbles_the_utf8_rows() -> None:
    network = load_network(CORPUS / "mixed_encoding.csv")
    assert list(network[NAME]) == ["Müller Infiniti", "Café Infiniti"]
    report = network.attrs["validation"]
    assert [(p.row, p.severity) for p in report.problems] == [(3, "warning")]


def test_decode_lines_reports_line_character_and_byte() -> None:
    data = "a,b\nü,1\n".encode() + b"caf\xe9,2\n"
    text, encoding, bad = decode_lines(data)
    assert encoding == "utf-8"
    assert text == "a,b\nü,1\ncafé,2\n"
    assert bad == [(3, 4, b"\xe9", "é")]
    assert decode_lines("Peña".encode("cp1252"))[:2] == ("Peña", "cp1252")


def test_the_coordinates_state_is_the_one_used() -> None:
    network = load_network(CORPUS / "state_wrong.csv")
    assert list(network[STATE]) == ["TX", "TX"]


def test_a_shifted_row_is_dropped_with_skip_invalid_and_the_rest_load() -> None:
    network = load_network(CORPUS / "comma_shift.csv", skip_invalid=True)
    assert list(network["dealer_id"]) == ["L-1", "L-2"]
    report = network.attrs["validation"]
    assert report.dropped_rows == [(str(CORPUS / "comma_shift.csv"), 3)]


def test_a_formula_without_value_drops_only_its_row() -> None:
    network = load_network(CORPUS / "formula_no_value.xlsx", skip_invalid=True)
    assert list(network["dealer_id"]) == ["L-1"]
    assert network["location_quality"].tolist() == ["exact"]


def test_plain_parquet_loads_like_a_csv() -> None:
    network = load_network(CORPUS / "plain.parquet")
    assert network["latitude"].tolist() == pytest.approx([32.7767, 30.2672])
    assert network["annual_new_units"].tolist() == [820.0, 640.0]


def test_every_numeric_column_has_a_plausible_range() -> None:
    assert set(PLAUSIBLE) == set(NUMERIC_COLUMNS)
    for soft, hard, _unit in PLAUSIBLE.values():
        assert 0 < soft < hard


def test_shipped_networks_raise_no_new_warnings() -> None:
    """The checks must not cry wolf on real data: no state, case, ZIP or column warnings."""
    for network in (DEALERS, "real-2015"):
        report = validate_network(network)
        assert report.ok
        noisy = [
            p
            for p in report.problems
            if any(w in p.message for w in ("state", "letter case", "ZIP", "columns", "cells"))
        ]
        assert not noisy, noisy[:3]


def test_dimension_claiming_the_whole_sheet_reads_in_a_moment() -> None:
    start = time.perf_counter()
    [table] = read_table(CORPUS / "dimension_bomb.xlsx")
    assert time.perf_counter() - start < 10
    assert list(table.frame.columns) == ["dealer_id", "name", "brand", "latitude", "longitude"]


def test_zip_limits_are_checked_before_openpyxl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("xl/worksheets/sheet1.xml", "<x/>" * 1000)
    monkeypatch.setattr(workbooks, "MAX_UNPACKED_BYTES", 100)
    with pytest.raises(FileProblem, match=r"unpacks to 4,000 bytes .* the limit is 100 bytes"):
        workbooks.check_zip(path)


def test_cell_limit_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workbooks, "MAX_CELLS", 5)
    [table] = read_table(CORPUS / "formula_no_value.xlsx")
    assert "holds more than 5 cells" in table.problems[-1].message


def test_litter_is_skipped_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "nissan.csv").write_bytes((DEALERS / "nissan.csv").read_bytes())
    (tmp_path / "~$nissan.xlsx").write_bytes(b"\x00" * 10)
    (tmp_path / "._nissan.csv").write_bytes(b"\x00" * 10)
    skipped: list[str] = []
    assert discover([tmp_path], skipped=skipped) == [tmp_path / "nissan.csv"]
    assert len(skipped) == 2
    assert all("skipped" in s for s in skipped)


def test_a_short_row_found_by_the_fast_reader_too(tmp_path: Path) -> None:
    """The C reader pads short rows; the loader must still say which line is short."""
    rows = "".join(f"L-{i},X {i},Infiniti,32.7,-96.{i:03d}\n" for i in range(500))
    path = tmp_path / "d.csv"
    path.write_text("dealer_id,name,brand,latitude,longitude\n" + rows + "L-x,Y,Infiniti\n")
    [table] = read_table(path)
    short = [p for p in table.problems if "cells where the header has" in p.message]
    assert [p.row for p in short] == [502]
    assert np.asarray(table.rows)[-1] == 502
