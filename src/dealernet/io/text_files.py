"""Reading delimited text (CSV, TSV) into a raw table, saying where the text is broken.

A CSV can go wrong in ways that still parse: an unquoted comma shifts the rest of a row
one cell right, one Windows-1252 byte sits in a UTF-8 file, a header repeats mid-file where
two exports were pasted together. Each is reported with its line (and the fix) instead of
being read as a shifted or garbled row.
"""

from __future__ import annotations

import csv
import io as _io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from dealernet.io.tables import (
    FIX_FORMAT,
    MAX_COLUMNS,
    FileProblem,
    RawTable,
    frame_of,
    unique_headers,
)
from dealernet.io.validate import ERROR, WARNING, Problem

_DELIMITERS = ",;\t|"
#: Control bytes (not tab, CR, LF) in the first 4 KB beyond which a file is binary, not
#: text with a stray control character (which the cell checks then report by line).
_BINARY_CONTROLS = 8
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: A UTF-8 multi-byte sequence: its presence means the file was written as UTF-8.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
_FIX_UTF8 = "Save the file as UTF-8 (in Excel: Save As > CSV UTF-8)"
_FIX_EMPTY = "Export the dealer list again; it has no rows."


def decode(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: a BOM wins, then UTF-8, then Windows-1252 / Latin-1."""
    text, encoding, _bad = decode_lines(data)
    return text, encoding


def decode_lines(data: bytes) -> tuple[str, str, list[tuple[int, int, bytes, str]]]:
    """Decode text bytes; also the lines that are not the file's encoding.

    A file that is UTF-8 except for a few lines (one name typed in an old Windows program)
    is read as UTF-8, those lines as Windows-1252, and each such line is returned as
    ``(line, character, bytes, read as)``, so the valid rows are never garbled ("MÃ¼ller").
    A file with no UTF-8 at all is Windows-1252 throughout, read as such without a word.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16", []
    if len(data) >= 4 and data[1:4:2] == b"\x00\x00" and data[0:3:2] != b"\x00\x00":
        return data.decode("utf-16-le"), "utf-16-le", []  # UTF-16 without a BOM
    body, encoding = (data[3:], "utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else (data, "")
    try:
        return body.decode("utf-8"), encoding or "utf-8", []
    except UnicodeDecodeError:
        pass
    if encoding or _UTF8_SEQUENCE.search(body):
        return _mixed(body)
    try:
        return data.decode("cp1252"), "cp1252", []
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1", []


def _mixed(body: bytes) -> tuple[str, str, list[tuple[int, int, bytes, str]]]:
    """UTF-8 line by line, the lines that are not UTF-8 as Windows-1252."""
    out: list[str] = []
    bad: list[tuple[int, int, bytes, str]] = []
    for number, line in enumerate(body.splitlines(keepends=True), start=1):
        try:
            out.append(line.decode("utf-8"))
            continue
        except UnicodeDecodeError as exc:
            start, stop = exc.start, exc.end
        text = line.decode("cp1252", errors="replace")
        out.append(text)
        column = len(line[:start].decode("utf-8", errors="replace")) + 1
        bad.append((number, column, line[start:stop], line[start:stop].decode("cp1252", "replace")))
    return "".join(out), "utf-8", bad


def sniff_delimiter(text: str) -> str:
    """The delimiter of a CSV text: the one of , ; tab | that splits the header most evenly."""
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample.splitlines() else ""
        counts = {d: header.count(d) for d in _DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def read_csv(path: Path, data: bytes) -> RawTable:
    """A CSV file's bytes as a raw table, with every line-level problem found while reading."""
    if not data.strip():
        raise FileProblem("the file is empty", _FIX_EMPTY)
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff")) or (
        len(data) >= 4 and data[1:4:2] == b"\x00\x00" and data[0:3:2] != b"\x00\x00"
    )
    if not utf16 and len(_CONTROL_BYTES.findall(data[:4096])) > _BINARY_CONTROLS:
        raise FileProblem("the file is binary, not text", FIX_FORMAT)
    text, _encoding, undecodable = decode_lines(data)
    if text.startswith("\ufeff"):
        text = text[1:]
    problems = [
        Problem(
            WARNING,
            str(path),
            line,
            None,
            None,
            f"byte {' '.join(f'0x{b:02X}' for b in raw)} at character {col} is not UTF-8 "
            f"(the rest of the file is); read as Windows-1252 {char!r}",
            _FIX_UTF8,
        )
        for line, col, raw, char in undecodable
    ]
    delimiter = sniff_delimiter(text)
    _check_width(text, delimiter)
    csv.field_size_limit(2**31 - 1)  # a long cell is reported by the checks, not refused
    table = _read_fast(path, text, delimiter) or _read_exact(path, text, delimiter)
    table.problems[:0] = problems
    return _drop_repeated_headers(table)


def _check_width(text: str, delimiter: str) -> None:
    """Refuse a header wider than :data:`MAX_COLUMNS` before parsing a single row."""
    end = text.find("\n", 0, 50_000_000)
    first = text[: end if end >= 0 else 50_000_000]
    cells = first.count(delimiter) + 1
    if cells > MAX_COLUMNS:
        msg = f"the header row has {cells:,} cells; the limit is {MAX_COLUMNS:,} columns"
        raise FileProblem(
            msg,
            "Check the delimiter and the export: a dealer list has a few dozen columns. "
            "Delete the empty columns right of the table and save again.",
        )


def _read_fast(path: Path, text: str, delimiter: str) -> RawTable | None:
    """Parse with pandas' C reader when every record sits on its own line, full width.

    Then a record's line number is its position plus one, and a million rows read in a
    second or two. Files with quoted line breaks, ragged rows or odd line endings return
    ``None`` and go through the slower :mod:`csv` reader, which tracks lines exactly.
    """
    if not text or text[0] in "\r\n":
        return None
    physical = text.count("\n") + (0 if text.endswith("\n") else 1)
    try:
        raw = pd.read_csv(
            _io.StringIO(text),
            sep=delimiter,
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            engine="c",
            quoting=csv.QUOTE_MINIMAL,
        )
    except (pd.errors.ParserError, ValueError):
        return None
    if len(raw) != physical or len(raw) == 0 or _has_short_rows(raw, text, delimiter):
        return None  # the exact reader says which rows are short
    header = [str(c).strip() for c in raw.iloc[0]]
    body = raw.iloc[1:]
    filled = (body.apply(lambda col: col.str.strip()) != "").any(axis=1).to_numpy()
    body = body.loc[filled]
    lines = np.flatnonzero(filled).astype("int64") + 2
    names, copies = unique_headers(header)
    frame = pd.DataFrame(body.to_numpy(dtype=object), columns=names)
    frame.attrs["header_copies"] = copies
    return RawTable(path, frame, lines, "line")


def _has_short_rows(raw: pd.DataFrame, text: str, delimiter: str) -> bool:
    """Whether a row has fewer cells than the header (pandas pads such rows with "").

    Only rows whose last cell is empty can be short, so only those lines are re-split.
    """
    if raw.shape[1] < 2:
        return False
    last = (raw.iloc[1:, -1] == "").to_numpy()
    if not last.any():
        return False
    lines = text.split("\n")
    picked = [lines[i + 1] for i in np.flatnonzero(last)]
    width = raw.shape[1]
    return any(len(r) < width for r in csv.reader(picked, delimiter=delimiter))


def _read_exact(path: Path, text: str, delimiter: str) -> RawTable:
    """The :mod:`csv` reader, line by line, saying which rows are wider or narrower."""
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    records: list[list[str]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    start = 1
    for record in reader:
        first_line, start = start, reader.line_num + 1  # a record may span several lines
        if header is None:
            if any(cell.strip() for cell in record):
                header = [cell.strip() for cell in record]
            continue
        if not any(cell.strip() for cell in record):
            continue
        problem = _width_problem(path, header, record, first_line, delimiter)
        if problem is not None:
            problems.append(problem)
        lines.append(first_line)
        records.append(record)
    if header is None:
        raise FileProblem("the file is empty", _FIX_EMPTY)
    frame = frame_of(header, records)
    return RawTable(path, frame, np.asarray(lines, dtype="int64"), "line", problems=problems)


def _width_problem(
    path: Path, header: list[str], record: list[str], line: int, delimiter: str
) -> Problem | None:
    """A row with more cells than the header (an error: its cells have shifted) or fewer."""
    width, cells = len(header), len(record)
    shown = "a tab" if delimiter == "\t" else repr(delimiter)
    if cells > width and any(c.strip() for c in record[width:]):
        extra = next(i for i in range(width, cells) if record[i].strip())
        return Problem(
            ERROR,
            str(path),
            line,
            None,
            ", ".join(record[width:])[:60],
            f"the row has {cells} cells where the header has {width}: a cell holds an "
            f"unquoted {shown}, so the cells after it moved right (the first extra cell, "
            f"number {extra + 1}, is not empty)",
            'Quote fields that contain commas ("1 Elm St, Suite 5"), or remove the extra delimiter',
        )
    if cells < width:
        return Problem(
            WARNING,
            str(path),
            line,
            None,
            None,
            f"the row has {cells} cells where the header has {width}; the missing cells "
            f"({', '.join(repr(h) for h in header[cells:][:5])}) are read as empty",
            "Check the row for a lost cell; add the missing cells (empty ones too) so every "
            "row has as many cells as the header",
        )
    return None


def _drop_repeated_headers(table: RawTable) -> RawTable:
    """Skip rows that repeat the header (exports pasted together), with a warning each."""
    frame = table.frame
    if frame.empty:
        return table
    copies = frame.attrs.get("header_copies", {})
    header = [str(copies.get(c, c)).casefold() for c in frame.columns]
    first = frame.iloc[:, 0].astype(str).str.strip().str.casefold() == header[0]
    if not first.any():
        return table
    candidates = frame.loc[first.to_numpy()]
    same = (
        candidates.apply(lambda col: col.astype(str).str.strip().str.casefold())
        == pd.Series(header, index=frame.columns)
    ).all(axis=1)
    repeat = np.zeros(len(frame), dtype=bool)
    repeat[np.flatnonzero(first.to_numpy())[same.to_numpy()]] = True
    if not repeat.any():
        return table
    for line in table.rows[repeat]:
        table.problems.append(
            Problem(
                WARNING,
                str(table.path),
                int(line),
                None,
                None,
                "the row repeats the header row (exports pasted together?); skipped",
                "Delete the repeated header rows",
            )
        )
    kept = frame.loc[~repeat].reset_index(drop=True)
    kept.attrs["header_copies"] = copies
    table.frame = kept
    table.rows = table.rows[~repeat]
    return table
