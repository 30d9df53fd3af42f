"""TOML settings files: read one, check its tables, and list every problem with a fix.

The one home for TOML in dealernet: scenario, assumptions and regions files are all read
with :func:`read_toml` and checked with a :class:`Checker`, so every file reports a missing
file, a syntax error (with line and column) and bad values the same way, and nothing stops
at the first problem: a user sees everything wrong with a file at once.
"""

from __future__ import annotations

import difflib
import math
import sys
from pathlib import Path

from dealernet._errors import DealernetError, InputFileError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def read_toml(
    path: str | Path,
    what: str,
    *,
    error: type[DealernetError] = InputFileError,
    hint: str = "",
) -> dict:
    """The parsed document of a TOML file, or ``error`` saying what is wrong with the file.

    Parameters
    ----------
    path
        The file; a UTF-8 byte-order mark (as Windows editors write) is allowed.
    what
        What the file is, for messages: ``"scenario file"``, ``"regions file"``.
    error
        The error to raise, so each kind of file keeps its own (``ScenarioError`` ...).
    hint
        Added to the message for a missing file, e.g. ``"; pass one with --assumptions"``.

    Raises
    ------
    DealernetError
        Of class ``error``: the file is missing, unreadable, not UTF-8 (with the byte), or
        not valid TOML (with the parser's line and column).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        msg = f"no {what} at {path}{hint}"
        raise error(msg) from None
    except OSError as exc:
        msg = f"cannot read {what} {path}: {exc.strerror or exc}"
        raise error(msg) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"{what} {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        raise error(msg) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{what} {path} is not valid TOML: {exc}"
        raise error(msg) from None


def toml_value(text: str) -> object:
    """One TOML value written as text (``25``, ``"a b"``, ``inf``, ``[1, 2]``).

    Raises
    ------
    ValueError
        When ``text`` is not one TOML value (a bare word such as ``optimal`` is not).
    """
    return tomllib.loads(f"v = {text}")["v"]


def problem_list(subject: str, problems: list[str]) -> str:
    """One message listing every problem, e.g. ``scenario x.toml has 2 problems: ...``."""
    noun = "problem" if len(problems) == 1 else "problems"
    return f"{subject} has {len(problems)} {noun}:\n" + "\n".join(f"  - {p}" for p in problems)


def did_you_mean(word: str, options: tuple[str, ...] | list[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest option, or ``""``."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class Checker:
    """Reads one table at a time, collecting every problem instead of stopping at the first."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        """Record a problem at ``where`` (e.g. ``"rule 'nearest', key 'capacity'"``)."""
        self.problems.append(
            f"{self.source}, {where}: {message}" if where else f"{self.source}: {message}"
        )

    def table(self, value: object, where: str, keys: tuple[str, ...]) -> dict:
        """The value as a table, with any key outside ``keys`` reported."""
        if not isinstance(value, dict):
            self.add(where, f"must be a table, not {describe(value)}")
            return {}
        for key in value:
            if key not in keys:
                guess = did_you_mean(str(key), keys)
                self.add(where, f"unknown key {key!r}{guess}; allowed: {', '.join(keys)}")
        return value

    def text(self, table: dict, key: str, where: str, *, required: bool = False) -> str | None:
        """A text value (``None`` when absent or wrong)."""
        if key not in table:
            if required:
                self.add(where, f"missing key {key!r}")
            return None
        value = table[key]
        if not isinstance(value, str) or (required and not value.strip()):
            self.add(f"{where}, key {key!r}", f"must be non-empty text, not {describe(value)}")
            return None
        return value

    def number(
        self,
        table: dict,
        key: str,
        where: str,
        *,
        minimum: float = 0.0,
        allow_inf: bool = False,
        text_ok: bool = False,
    ) -> float | None:
        """A number at least ``minimum``; ``inf`` only when ``allow_inf``."""
        if key not in table:
            return None
        return self.as_number(
            table[key],
            f"{where}, key {key!r}",
            minimum=minimum,
            allow_inf=allow_inf,
            text_ok=text_ok,
        )

    def as_number(
        self,
        value: object,
        at: str,
        *,
        minimum: float = 0.0,
        allow_inf: bool = False,
        text_ok: bool = False,
    ) -> float | None:
        """``value`` as a number at least ``minimum``, problems reported ``at`` a place.

        ``text_ok`` also takes a number written as text (``"0.5"``), which assumptions files
        have always accepted; elsewhere quotes around a number are refused with a hint.
        """
        if text_ok and isinstance(value, str) and is_number(value):
            value = float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            hint = " (remove the quotes)" if isinstance(value, str) and is_number(value) else ""
            self.add(at, f"must be a number, not {describe(value)}{hint}")
            return None
        if math.isnan(value) or (math.isinf(value) and not (allow_inf and value > 0)):
            self.add(at, f"must be a finite number, not {value}")
            return None
        if value < minimum:
            self.add(at, f"must be at least {minimum:g}, not {value:g}")
            return None
        return float(value)

    def choice(
        self, table: dict, key: str, where: str, options: tuple[str, ...], default: str
    ) -> str:
        """One of ``options`` (``default`` when absent or wrong)."""
        if key not in table:
            return default
        value = table[key]
        if value not in options:
            guess = did_you_mean(str(value), options) if isinstance(value, str) else ""
            self.add(
                f"{where}, key {key!r}",
                f"{describe(value)} is not one of {', '.join(options)}{guess}",
            )
            return default
        return str(value)


def describe(value: object) -> str:
    """A TOML value as a user would name it: ``text 'abc'``, ``a table``, ``true/false``."""
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}".replace("str ", "text ", 1)


def is_number(text: str) -> bool:
    """Whether text reads as a number (for the hint "remove the quotes")."""
    try:
        float(text)
    except ValueError:
        return False
    return True
