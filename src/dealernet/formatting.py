"""Numbers as people read them: ``$4.2 M``, ``1,234``, ``12.4 mi``, ``low-base-high``.

Used by the terminal, maps and reports alike, so a figure reads the same everywhere; and
:func:`printable`, the one rule for text from input files that reaches a terminal.
"""

from __future__ import annotations

import math
import re


def _bad(value: object) -> bool:
    try:
        return value is None or not math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def count(value: object) -> str:
    """A whole number with thousands separators (``1,268``)."""
    if _bad(value):
        return "-"
    return f"{round(float(value)):,}"  # type: ignore[arg-type]


def people(value: object) -> str:
    """Jobs or people: whole numbers, with thousands separators."""
    return count(value)


def money(value: object) -> str:
    """Dollars in readable units: ``$950``, ``$48 K``, ``$4.2 M``, ``$2.39 B``."""
    if _bad(value):
        return "-"
    v = float(value)  # type: ignore[arg-type]
    sign = "-" if v < 0 else ""
    v = abs(v)
    if v >= 1e9:
        return f"{sign}${v / 1e9:.2f} B"
    if v >= 1e6:
        return f"{sign}${v / 1e6:.1f} M"
    if v >= 1e3:
        return f"{sign}${v / 1e3:.0f} K"
    return f"{sign}${v:.0f}"


def miles(value: object) -> str:
    """A distance: ``12.4 mi``."""
    if _bad(value):
        return "-"
    return f"{float(value):.1f} mi"  # type: ignore[arg-type]


def percent(value: object) -> str:
    """A share of customers: ``58 %`` (under 1 %: ``<1 %``; exactly 0: ``0 %``)."""
    if _bad(value):
        return "-"
    v = float(value) * 100  # type: ignore[arg-type]
    if 0 < v < 0.5:
        return "<1 %"
    return f"{v:.0f} %"


_FORMATS = {"count": count, "money": money, "miles": miles, "percent": percent}
#: Column prefixes of customer shares (where a store's sales and service customers go).
SHARE_PREFIXES = ("sales_", "service_")
#: Words that make a column a dollar figure (``profit_change_base``, ``buyout_low``).
MONEY_WORDS = ("revenue", "payroll", "profit", "occupancy", "buyout")
#: Column prefixes of head counts (kept to one decimal in tables, like the jobs figures).
JOB_PREFIXES = ("jobs_", "net_jobs_lost", "spin_off_jobs", "baseline_employees", "employees")


#: Columns that hold codes, not quantities: a dealer id ``0042``, a ZIP ``02134``, a county
#: FIPS ``01097``. Every table format keeps them as text, or a spreadsheet drops the zeros.
CODE_COLUMNS = frozenset(
    {
        "dealer_id",
        "host_dealer_id",
        "host_dealer_ids",
        "zip",
        "region",
        "county",
        "geoid",
        "point_id",
        "nearest_before_id",
        "nearest_after_id",
        "nearest_host_dealer_id",
        "customers_main_nearest_after_id",
    }
)


def is_code(column: str) -> bool:
    """Whether ``column`` holds codes to keep as text (see :data:`CODE_COLUMNS`)."""
    return column in CODE_COLUMNS or column.endswith("_dealer_id")


def span(low: object, base: object, high: object, fmt: str = "count") -> str:
    """A range as ``base (low-high)``, e.g. ``$4.2 M ($3.1 M-$5.0 M)``."""
    f = _FORMATS[fmt]
    return f"{f(base)} ({f(low)}-{f(high)})"


def format_of(field: str) -> str:
    """How a figure is written, from its column name: ``money``, ``miles``, ``percent``
    (customer shares, ``sales_lexus_base``) or ``count``.

    Pages print many columns through one macro; naming the unit in the column
    (``revenue_lost_base``, ``distance_miles``) is what lets that macro pick the format:
    a column holding any of :data:`MONEY_WORDS` is dollars.
    """
    if field.startswith(SHARE_PREFIXES):
        return "percent"
    if any(word in field for word in MONEY_WORDS):
        return "money"
    if "miles" in field:
        return "miles"
    return "count"


def figure(value: object, field: str) -> str:
    """A figure formatted by what its column measures (see :func:`format_of`)."""
    return _FORMATS[format_of(field)](value)


def number(value: object) -> str:
    """An assumption's value as written in the file: ``111,000``, ``0.55``, ``-0.003``.

    Assumptions are shown as the user typed them, not rounded to a unit, so a reader can
    find the same value in ``assumptions.toml``.
    """
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:g}"


# --- text for a terminal ------------------------------------------------------------------

#: Characters a terminal acts on or that change how text reads, never shown as themselves:
#: C0 and C1 controls and DEL (ESC starts colour, cursor, title and clear-screen sequences;
#: U+009B is a one-byte CSI; CR and BS overwrite), bidirectional overrides, embeddings,
#: isolates and marks (they reorder text: "Trojan Source"), invisible and zero-width
#: characters, line and paragraph separators, Unicode tags, and lone surrogates (which
#: cannot be encoded and would crash the write). Newline and tab are kept unless asked.
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e"
    "\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\u3164\ufeff\ufff9-\ufffb"
    "\U0001d173-\U0001d17a\U000e0000-\U000e007f\ud800-\udfff]"
)
_LINE_BREAKS = re.compile("[\t\n]")


def printable(text: object, *, newlines: bool = True) -> str:
    """``text`` safe to print on a terminal: every control character visibly escaped.

    A dealer named ``ESC]0;pwned BEL`` would retitle the window, ``ESC[2J`` clear the
    screen, U+202E print the rest of the line backwards; shown as ``\\x1b]0;pwned\\x07``,
    ``\\x1b[2J``, ``\\u202e`` the reader sees what the file holds and the terminal does
    nothing. C0 controls read ``\\xNN``, the rest ``\\uNNNN`` (``\\UNNNNNNNN`` above the
    BMP), so JSON text keeps its meaning. ``newlines=False`` also escapes tab and newline,
    for one-line cells. Idempotent: the escapes are printable.
    """
    string = text if isinstance(text, str) else str(text)
    if _UNPRINTABLE.search(string):
        string = _UNPRINTABLE.sub(_escape_one, string)
    if not newlines and _LINE_BREAKS.search(string):
        string = _LINE_BREAKS.sub(_escape_one, string)
    return string


def _escape_one(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
