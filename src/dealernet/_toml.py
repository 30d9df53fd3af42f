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
        Of class ``error``: the file is missing, unreadable, not a regular file (a folder,
        device or FIFO), over :data:`MAX_BYTES`, not UTF-8 (with the byte), not valid TOML
        (with the parser's line and column), or nested deeper than :data:`MAX_DEPTH`.
    """
    path = Path(path)
    raw = _read_bounded(path, what, error, hint)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"{what} {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        raise error(msg) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{what} {path} is not valid TOML: {exc}"
        raise error(msg) from None
    except RecursionError:  # tomllib parses nested arrays and inline tables recursively
        raise error(_too_deep(what, path)) from None
    if nesting_depth(data) > MAX_DEPTH:
        raise error(_too_deep(what, path))
    return data


#: The largest settings file read: the shipped ones are a few KB, a scenario of 10,000
#: rules about 1 MB. A bigger file is a mistake (a data file passed as --scenario), and
#: parsing 50 MB of TOML takes minutes and gigabytes.
MAX_BYTES = 5 * 1024 * 1024
#: The deepest nesting of tables and lists taken. dealernet's files nest 3 deep; a file
#: nested thousands deep would overflow Python's stack in the parser or in the checks.
MAX_DEPTH = 64


def _read_bounded(path: Path, what: str, error: type[DealernetError], hint: str) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_BYTES`, or ``error``.

    A FIFO would block the read for ever and ``/dev/zero`` never ends, so only regular
    files are opened (the check is made again on the open file, against a swap between
    the two); the size is checked before reading, and the read stops past the limit
    anyway, for a file that grows while it is read.
    """
    import os
    import stat

    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise error(_not_regular(what, path, mode))
        # O_NONBLOCK: opening a FIFO swapped in after the check must not wait for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise error(_not_regular(what, path, info.st_mode))
            if info.st_size > MAX_BYTES:
                raise error(_too_big(what, path, info.st_size))
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        msg = f"no {what} at {path}{hint}"
        raise error(msg) from None
    except OSError as exc:
        msg = f"cannot read {what} {path}: {exc.strerror or exc}"
        raise error(msg) from None
    if len(raw) > MAX_BYTES:
        raise error(_too_big(what, path, len(raw)))
    return raw


def _not_regular(what: str, path: Path, mode: int) -> str:
    import stat

    kind = (
        "a folder"
        if stat.S_ISDIR(mode)
        else "a named pipe (FIFO)"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a file"
    )
    return (
        f"cannot read {what} {path}: it is not a regular file but {kind}, and dealernet "
        "reads settings only from regular files. Fix: save the settings to a .toml file and "
        "give its path."
    )


def _too_big(what: str, path: Path, size: int) -> str:
    return (
        f"{what} {path} is too big: {size:,} bytes, and the limit is {MAX_BYTES:,} bytes "
        f"({MAX_BYTES // (1024 * 1024)} MiB). Fix: check that this is the right file; a "
        "settings file is a few KB."
    )


def _too_deep(what: str, path: Path) -> str:
    return (
        f"{what} {path} is nested too deeply: tables and lists may nest at most {MAX_DEPTH} "
        "levels. Fix: flatten the file; dealernet's settings nest 3 levels."
    )


def shown(text: str) -> str:
    """Text for a message: quoted with escapes (a newline shows as \n), cut at 40 characters."""
    return repr(text[:40]) + (f" ... ({len(text):,} characters)" if len(text) > 40 else "")


def nesting_depth(value: object) -> int:
    """How deep tables and lists nest in ``value`` (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: list[object] = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def toml_value(text: str) -> object:
    """One TOML value written as text (``25``, ``"a b"``, ``inf``, ``[1, 2]``).

    Raises
    ------
    ValueError
        When ``text`` is not one TOML value (a bare word such as ``optimal`` is not).
    """
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except RecursionError:
        msg = f"the value is nested too deeply (at most {MAX_DEPTH} levels of lists and tables)"
        raise ValueError(msg) from None
    if nesting_depth(value) > MAX_DEPTH:
        msg = f"the value is nested too deeply (at most {MAX_DEPTH} levels of lists and tables)"
        raise ValueError(msg)
    return value


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
        maximum: float = math.inf,
        allow_inf: bool = False,
        text_ok: bool = False,
        why: str = "",
    ) -> float | None:
        """A number from ``minimum`` to ``maximum``; ``inf`` only when ``allow_inf``."""
        if key not in table:
            return None
        return self.as_number(
            table[key],
            f"{where}, key {key!r}",
            minimum=minimum,
            maximum=maximum,
            allow_inf=allow_inf,
            text_ok=text_ok,
            why=why,
        )

    def as_number(
        self,
        value: object,
        at: str,
        *,
        minimum: float = 0.0,
        maximum: float = math.inf,
        allow_inf: bool = False,
        text_ok: bool = False,
        why: str = "",
    ) -> float | None:
        """``value`` as a number from ``minimum`` to ``maximum``, problems reported ``at``.

        ``text_ok`` also takes a number written as text (``"0.5"``), which assumptions files
        have always accepted; elsewhere quotes around a number are refused with a hint.
        ``maximum`` bounds the finite values (``inf``, when allowed, means "no limit"); a
        number past it (``1e308``) is refused with the range and ``why`` (the reason and
        fix), since it would only overflow or silently mean something absurd.
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
        if math.isfinite(value) and value > maximum:
            self.add(
                at,
                f"must be from {minimum:,g} to {maximum:,g}, not {value:g}"
                + (f" ({why})" if why else ""),
            )
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
