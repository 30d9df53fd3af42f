"""Reading Excel workbooks, with bounds on what a small file may make us do.

An ``.xlsx`` is a zip of XML: a 40 KB file can unpack to gigabytes, and a sheet whose
``<dimension>`` claims ``A1:XFD1048576`` makes a reader pad every row to 16,384 columns.
So the zip's members are measured before openpyxl opens it (total unpacked size and
compression ratio), the sheet is streamed in read-only mode with its claimed dimension
ignored, and rows, columns and cells are counted as they come; each refusal names the
figure and the limit. Read-only mode never builds merged-cell ranges, which is what we
want: a merged block's value sits in its top-left cell and the others read as empty.

Formula cells whose value Excel never saved (a file written by a script) read as empty;
they are reported by cell reference rather than silently falling back to a ZIP centroid.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from dealernet.io.tables import (
    MAX_COLUMNS,
    FileProblem,
    RawTable,
    cell_text,
    frame_of,
    short,
)
from dealernet.io.validate import ERROR, Problem
from dealernet.schema import canonical_column

#: Rows searched for the header line of a spreadsheet with a title above its table.
HEADER_SEARCH_ROWS = 20
#: Most bytes a workbook may unpack to (a million-row dealer sheet is a few hundred MB).
MAX_UNPACKED_BYTES = 1_000_000_000
#: Highest compression ratio of a large member: XML compresses 5-20 times, a bomb 1,000.
MAX_RATIO = 200
#: Members smaller than this are never refused for their ratio (tiny parts compress oddly).
RATIO_FLOOR_BYTES = 10_000_000
#: Most cells read from one sheet (20 million: a million rows of 20 columns).
MAX_CELLS = 20_000_000
_FIX_BOMB = (
    "Open the workbook in Excel, check it holds only the dealer table, and save it again "
    "(or save the dealer sheet as CSV)"
)
_FIX_FORMULA = (
    "Open the file in Excel and save it (Excel saves each formula's value), or paste "
    "values over the formulas (Paste Special > Values)"
)


def read_xlsx(path: Path) -> list[RawTable]:
    """Every sheet that holds a dealer table; the header may sit below a title block."""
    from openpyxl import load_workbook  # heavy or optional: imported on first use

    formulas = check_zip(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
        raw_book = load_workbook(path, read_only=True, data_only=False) if formulas else None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise FileProblem(f"is not a readable .xlsx workbook ({short(exc)})") from exc
    tables = []
    try:
        for sheet in book.worksheets:
            raw_sheet = raw_book[sheet.title] if raw_book is not None else None
            rows, missing = _sheet_rows(sheet, raw_sheet)
            table = _sheet_table(path, sheet.title, rows, missing)
            if table is not None:
                tables.append(table)
    finally:
        book.close()
        if raw_book is not None:
            raw_book.close()
    if not tables:
        raise FileProblem(
            "no sheet has a dealer table (a header row naming columns such as "
            "dealer_id, name, brand, latitude, longitude)",
            "Put the dealer list on a sheet with one header row above the data.",
        )
    return tables


def check_zip(path: Path) -> bool:
    """Refuse a workbook that unpacks too far; return whether any sheet holds formulas."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            total = sum(m.file_size for m in members)
            if total > MAX_UNPACKED_BYTES:
                msg = (
                    f"unpacks to {total:,} bytes from {path.stat().st_size:,}; the limit is "
                    f"{MAX_UNPACKED_BYTES:,} bytes"
                )
                raise FileProblem(msg, _FIX_BOMB)
            for member in members:
                ratio = member.file_size / max(member.compress_size, 1)
                if member.file_size > RATIO_FLOOR_BYTES and ratio > MAX_RATIO:
                    msg = (
                        f"its part {member.filename!r} unpacks from {member.compress_size:,} "
                        f"to {member.file_size:,} bytes, {ratio:,.0f} times; the limit is "
                        f"{MAX_RATIO} times (a zip bomb, or a sheet padded with empty cells)"
                    )
                    raise FileProblem(msg, _FIX_BOMB)
            sheets = [m for m in members if m.filename.startswith("xl/worksheets/")]
            return any(_has_formula(archive, m) for m in sheets)
    except zipfile.BadZipFile as exc:
        raise FileProblem(f"is not a readable .xlsx workbook ({short(exc)})") from exc


def _has_formula(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    """Whether a sheet's XML holds a formula element, streamed in 1 MB pieces."""
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(1 << 20):
            piece = tail + chunk
            if b"<f>" in piece or b"<f " in piece or b":f>" in piece or b":f " in piece:
                return True
            tail = piece[-8:]
    return False


def _sheet_rows(
    sheet: object, raw_sheet: object | None
) -> tuple[list[tuple[object, ...]], dict[tuple[int, int], str]]:
    """A sheet's rows (its claimed dimension ignored), within the row, column and cell limits.

    Also the cells (row index, column index) that are formulas with no saved value.
    """
    sheet.reset_dimensions()  # type: ignore[attr-defined]
    values = sheet.iter_rows(values_only=True)  # type: ignore[attr-defined]
    formulas = None
    if raw_sheet is not None:
        raw_sheet.reset_dimensions()  # type: ignore[attr-defined]
        formulas = raw_sheet.iter_rows(values_only=True)  # type: ignore[attr-defined]
    rows: list[tuple[object, ...]] = []
    missing: dict[tuple[int, int], str] = {}
    cells = 0
    for i, row in enumerate(values):
        raw = next(formulas, ()) if formulas is not None else ()
        if len(row) > MAX_COLUMNS:
            from openpyxl.utils import get_column_letter

            msg = (
                f"[{sheet.title}] row {i + 1:,} reaches column "  # type: ignore[attr-defined]
                f"{get_column_letter(len(row))} ({len(row):,} columns); the limit is "
                f"{MAX_COLUMNS:,} columns"
            )
            raise FileProblem(
                msg, "Delete the cells right of the dealer table (whole columns) and save"
            )
        cells += len(row)
        if cells > MAX_CELLS:
            msg = (
                f"[{sheet.title}] holds more than {MAX_CELLS:,} cells "  # type: ignore[attr-defined]
                f"(reached at row {i + 1:,}); the limit is {MAX_CELLS:,}"
            )
            raise FileProblem(msg, "Split the dealer list into several files, or save it as CSV")
        for j, formula in enumerate(raw):
            if (
                isinstance(formula, str)
                and formula.startswith("=")
                and (j >= len(row) or row[j] is None)
            ):
                missing[(i, j)] = formula
        rows.append(row)
    return rows, missing


def _sheet_table(
    path: Path,
    title: str,
    rows: list[tuple[object, ...]],
    missing: dict[tuple[int, int], str],
) -> RawTable | None:
    at = header_row(rows)
    if at is None:
        return None
    header = [cell_text(c) for c in rows[at]]
    records, numbers = [], []
    for i, row in enumerate(rows[at + 1 :], start=at + 2):
        cells = [cell_text(c) for c in row]
        if any(cells) or any((i - 1, j) in missing for j in range(len(header))):
            records.append(cells)
            numbers.append(i)
    problems = _formula_problems(path, title, header, at, missing)
    frame = frame_of(header, records)
    return RawTable(
        path, frame, np.asarray(numbers, dtype="int64"), "row", title, problems=problems
    )


def _formula_problems(
    path: Path, title: str, header: list[str], at: int, missing: dict[tuple[int, int], str]
) -> list[Problem]:
    """An error for each formula with no saved value in a column dealernet reads."""
    from openpyxl.utils import get_column_letter

    out = []
    for (i, j), formula in sorted(missing.items()):
        if i <= at or j >= len(header) or canonical_column(header[j]) is None:
            continue
        cell = f"{get_column_letter(j + 1)}{i + 1}"
        out.append(
            Problem(
                ERROR,
                f"{path} [{title}]",
                i + 1,
                header[j],
                formula,
                f"cell {cell} is a formula with no saved value (the file was not saved by "
                "Excel, so the cell reads as empty)",
                _FIX_FORMULA,
                "row",
            )
        )
    return out


def header_row(rows: list[tuple[object, ...]]) -> int | None:
    """The first of the top rows that names at least two known columns."""
    for at, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        known = {canonical_column(c) for c in row if c is not None} - {None}
        if len(known) >= 2:
            return at
    return None
