"""Terminal and CSV injection (issue 14): input never drives the terminal or a spreadsheet.

A dealer named ``ESC]0;pwned BEL`` must not retitle the window, ``ESC[2J`` not clear the
screen, U+202E not reverse a line; a value ``=HYPERLINK(...)`` must not run when a CSV we
wrote is opened in Excel. The corpus (``tests/data/bad/terminal/``) runs the commands; here
are the checks it cannot express: every code point, the console's two choke points, the
CSV files cell by cell, and the real console script on a pseudo-terminal with colours on.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import click
import pandas as pd
import pytest
from click.testing import CliRunner
from rich.console import Console
from rich.table import Table
from rich.text import Text

from dealernet._csv import csv_text, spreadsheet_safe
from dealernet._errors import InvalidInputError, QueryError
from dealernet.cli._common import handle_errors, make_console, print_notes, progress_bar
from dealernet.cli._console import SafeConsole
from dealernet.cli.main import cli
from dealernet.formatting import printable
from dealernet.outputs.terminal import frame_table
from helpers import DEALERS, ROOT

CORPUS = ROOT / "tests" / "data" / "bad" / "terminal"
HOSTILE = "a\x1b]0;pwned\x07b\x1b[2Jc\x1b[31md\x9b2Je\u202ef\u2066g\rh\x08i\u200bj"
#: Characters that must never reach a terminal from input.
RAW = ("\x1b", "\x9b", "\x07", "\x08", "\r", "\u202e", "\u2066", "\u200b")
#: What rich itself writes on a terminal: colours (SGR), cursor up, erase line, show and
#: hide the cursor, carriage return (the progress bar's redraw).
RICH_OWN = re.compile(r"\x1b\[[0-9;]*m|\x1b\[[0-9]*[AK]|\x1b\[\?25[lh]|\r")
BIDI = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def _assert_clean(text: str) -> None:
    """No control character in ``text`` that rich did not write itself."""
    rest = RICH_OWN.sub("", text)
    found = [c for c in RAW if c in rest]
    assert not found, (found, rest[:2000])


# --- printable ----------------------------------------------------------------------------


def test_printable_escapes_every_control_bidi_and_separator_character() -> None:
    for code in range(0x110000):
        char = chr(code)
        shown = printable(char)
        if shown != char:
            assert shown.isascii() and shown.isprintable(), hex(code)
            assert shown.startswith("\\"), hex(code)
        must = (
            unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") or code in BIDI
        ) and char not in "\t\n"
        if must:
            assert shown != char, f"U+{code:04X} printed raw"


def test_printable_shows_what_the_file_holds() -> None:
    assert printable(HOSTILE) == (
        "a\\x1b]0;pwned\\x07b\\x1b[2Jc\\x1b[31md\\u009b2Je\\u202ef\\u2066g\\x0dh\\x08i\\u200bj"
    )
    assert printable("\U000e0041") == "\\U000e0041"  # a Unicode tag: invisible text
    assert printable("\udcff") == "\\udcff"  # a lone surrogate would not even encode


def test_printable_keeps_ordinary_text_newlines_and_tabs() -> None:
    for text in ("Müller & Söhne", "日本 自動車", "😀 [bold]x[/]", "C:\\dealers\\x.csv", ""):
        assert printable(text) == text
    assert printable("line 1\nline 2\tend") == "line 1\nline 2\tend"
    assert printable("a\tb\nc", newlines=False) == "a\\x09b\\x0ac"
    assert printable(42) == "42"


def test_printable_is_idempotent_and_keeps_json_valid() -> None:
    once = printable(HOSTILE)
    assert printable(once) == once
    # JSON escapes C0 itself; the \u escapes printable adds to C1 and bidi still parse
    text = json.dumps({"name": HOSTILE}, ensure_ascii=False)
    assert json.loads(printable(text)) == {"name": HOSTILE}


# --- the console --------------------------------------------------------------------------


def _terminal(console_class: type[Console] = SafeConsole) -> tuple[Console, io.StringIO]:
    file = io.StringIO()
    console = console_class(
        file=file, force_terminal=True, color_system="truecolor", width=200, highlight=False
    )
    return console, file


def test_make_console_is_the_safe_console() -> None:
    assert isinstance(make_console(), SafeConsole)
    assert isinstance(make_console(stderr=True), SafeConsole)


def test_console_escapes_strings_text_and_table_cells_but_keeps_its_colours() -> None:
    console, file = _terminal()
    console.print(HOSTILE)  # a str: render_str
    console.print(Text(HOSTILE, style="bold"))  # a Text built by hand: render
    table = Table(title=HOSTILE)
    table.add_column(HOSTILE)
    table.add_row(HOSTILE)
    table.add_row(Text(HOSTILE))
    console.print(table)
    console.print("[red]red[/]")
    out = file.getvalue()
    _assert_clean(out)
    assert "\x1b[31mred" in out  # rich's own colours still work
    assert out.count("\\x1b]0;pwned") == 6  # (a Text drops the BEL itself)


def test_console_measures_the_escaped_text() -> None:
    """Escaping before measuring keeps a table's borders in line."""
    console, file = _terminal()
    table = Table()
    table.add_column("name")
    table.add_row("x\x1b[2Jy")
    table.add_row("plain")
    console.print(table)
    lines = [RICH_OWN.sub("", line) for line in file.getvalue().splitlines() if line.strip()]
    assert len({len(line) for line in lines}) == 1, lines


def test_terminal_tables_are_safe_on_any_console() -> None:
    """The tables escape their cells themselves, so a plain rich console is safe too."""
    frame = pd.DataFrame({HOSTILE: [HOSTILE, "[/]x"], "n": [1.5, 2.0]})
    console, file = _terminal(Console)
    console.print(frame_table(frame, "rows"))
    _assert_clean(file.getvalue())
    assert "[/]x" in file.getvalue()


def test_progress_labels_are_neither_markup_nor_controls(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    with progress_bar() as progress:
        progress("Reading [/]x[bold]" + HOSTILE, 0, 2)
        progress("Reading more " + HOSTILE, 1, 2)
    _assert_clean(capsys.readouterr().err)


def test_errors_and_notes_print_escaped() -> None:
    class Report:
        ok = False

        def lines(self, limit: int | None = None) -> list[str]:
            return [f"error: x.csv, line 2, column 'name': value '{HOSTILE}'"]

        def summary(self) -> str:
            return f"1 error in {HOSTILE}"

        def column_lines(self) -> list[str]:
            return []

    @click.command()
    @click.argument("kind")
    @handle_errors
    def fails(kind: str) -> None:
        print_notes([f"note about {HOSTILE}"])
        if kind == "query":
            raise QueryError(f"no owner called {HOSTILE}")
        raise InvalidInputError(f"bad data {HOSTILE}", report=Report())

    for kind in ("query", "invalid"):
        result = CliRunner().invoke(fails, [kind])
        assert result.exit_code == 1
        _assert_clean(result.output)
        assert "\\x1b]0;pwned\\x07" in result.output
        assert "note about" in result.output


# --- CSV files: formulas defused ----------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _formula_cells(path: Path) -> list[str]:
    """Cells (header included) a spreadsheet would run as a formula."""
    with path.open(encoding="utf-8", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    return [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.match(c)]


def test_spreadsheet_safe_defuses_cells_and_headers_not_numbers() -> None:
    frame = pd.DataFrame(
        {
            "name": pd.Categorical(["=1+1", "ok"]),
            "=header": ["-5", "@SUM(A1)"],
            "n": [-1.5, 2.0],
            "text": [None, "\tx"],
            "cr": ["\r=x", "+1e5"],
        }
    )
    safe = spreadsheet_safe(frame)
    assert list(safe.columns) == ["name", "'=header", "n", "text", "cr"]
    assert safe["name"].tolist() == ["'=1+1", "ok"]
    assert safe["=header" if "=header" in safe else "'=header"].tolist() == ["-5", "'@SUM(A1)"]
    assert safe["n"].tolist() == [-1.5, 2.0]
    assert safe["text"].tolist()[1] == "'\tx"
    assert safe["cr"].tolist() == ["'\r=x", "+1e5"]
    assert list(frame.columns)[1] == "=header"  # the caller's frame is left alone


def test_problems_csv_defuses_every_field(tmp_path: Path) -> None:
    target = tmp_path / "problems.csv"
    args = ["validate", str(CORPUS / "formula_values.csv"), "--problems", str(target)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert _formula_cells(target) == []
    with target.open(encoding="utf-8", newline="") as handle:
        values = [row["value"] for row in csv.DictReader(handle)]
    assert len(values) == 5
    assert all(v.startswith("'") for v in values), values
    assert "'=HYPERLINK(" in target.read_text("utf-8")


def _run(tmp_path: Path, *args: str) -> str:
    dealers = ["--dealers", str(DEALERS / "nissan.csv")]
    dealers += ["--dealers", str(CORPUS / "formula_names.csv")]
    result = CliRunner().invoke(cli, [*args, *dealers], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_query_and_sql_csv_files_defuse_formulas(tmp_path: Path) -> None:
    answer = tmp_path / "answer.csv"
    _run(tmp_path, "query", "--output", str(answer))
    assert "'=HYPERLINK(" in answer.read_text("utf-8")
    grouped = tmp_path / "owners.csv"
    _run(tmp_path, "query", "--group-by", "owner", "--output", str(grouped))
    rows = tmp_path / "rows.csv"
    statement = "SELECT name, owner_group, '=1+1' AS \"=alias\", -5 AS n FROM decisions"
    _run(tmp_path, "sql", statement, "--output", str(rows))
    for path in (answer, grouped, rows):
        assert _formula_cells(path) == [], path
    assert rows.read_text("utf-8-sig").startswith("name,owner_group,'=alias,n\n")


def test_run_compare_and_report_csv_files_defuse_formulas(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(tmp_path, "run", "--no-reports", "--out", str(out))
    _run(
        tmp_path,
        "compare",
        "consolidation",
        "all-stand-alone",
        "--output",
        str(tmp_path / "cmp.csv"),
    )
    _run(tmp_path, "report", "--owner", "cmd", "--out", str(out))
    written = [*out.glob("data/*.csv"), *tmp_path.glob("cmp*.csv"), *out.glob("owners/*.csv")]
    assert len(list(out.glob("owners/*.csv"))) == 1
    assert len(list(tmp_path.glob("cmp*.csv"))) == 2
    for path in written:
        assert _formula_cells(path) == [], path
    decisions = (out / "data" / "decisions.csv").read_text("utf-8")
    assert "'=HYPERLINK(" in decisions and "'@SUM(1+1)" in decisions


def test_csv_text_of_a_sweep_table_is_guarded() -> None:
    text = csv_text(pd.DataFrame({"rules.x": ["=1", "2"], "jobs_lost_base": [1.0, 2.0]}))
    assert text == 'rules.x,jobs_lost_base\n"\'=1",1.0\n"2",2.0\n'


# --- the real console script on a terminal ------------------------------------------------


def _corpus_setup() -> Any:
    spec = importlib.util.spec_from_file_location("terminal_setup", CORPUS / "setup.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _console_script() -> list[str]:
    script = Path(sys.executable).with_name("dealernet")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dealernet"]


def _on_a_terminal(args: list[str], cwd: Path) -> tuple[int, bytes]:
    """Run ``dealernet ARGS`` with a pseudo-terminal as its stdout and stderr, colours on."""
    pty = pytest.importorskip("pty")
    import fcntl
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    env = {**os.environ, "FORCE_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "200"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen(
        [*_console_script(), *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        cwd=cwd,
        env=env,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return proc.wait(timeout=120), b"".join(chunks)


MADE = "SELECT chr(27) || ']0;pwned' || chr(7) || chr(27) || '[2J' || chr(155) AS name"


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
@pytest.mark.parametrize(
    ("args", "code", "shown"),
    [
        (["sql", MADE, "-d", str(DEALERS)], 0, "\\x1b]0;pwned\\x07\\x1b[2J\\u009b"),
        (["query", "--results", "run"], 0, "Infiniti \\x1b]0;pwned\\x07 \\x1b[2Jof"),
        (
            ["query", "-d", f"{DEALERS}/nissan.csv", "-d", f"{CORPUS}/hostile_names.geojson"],
            1,
            "Infiniti \\x1b]0;pwned\\x07of Anchorage",
        ),
        (["validate", f"{CORPUS}/bad_value_escapes.csv"], 1, "value '\\x1b[2J61.2'"),
        (["report", "--owner", "x\x1b]0;pwned\x07\x1b[2J", "-d", str(DEALERS)], 1, "\\x1b[2J"),
    ],
    ids=["sql", "query-results", "query-refused", "validate", "report-error"],
)
def test_console_script_on_a_terminal(
    args: list[str], code: int, shown: str, tmp_path: Path
) -> None:
    if "--results" in args:
        _corpus_setup().tampered_run(tmp_path, tmp_path / "out")
    status, raw = _on_a_terminal(args, tmp_path)
    text = raw.decode("utf-8", errors="replace")
    assert status == code, text[-3000:]
    assert re.search(r"\x1b\[[0-9;]*m", text), "rich's colours are off: not a terminal?"
    _assert_clean(text.replace("\r\n", "\n"))
    assert shown in text
