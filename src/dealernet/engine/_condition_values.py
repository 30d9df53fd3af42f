"""Column values and three-valued truth, the building blocks conditions evaluate to.

A value is a whole column at once: numbers (float64, NaN for missing) or text (objects,
``None`` for missing). A truth is a pair of masks, *known true* and *known false*; a row in
neither is *unknown*, which is how a missing value propagates through ``not``, ``and`` and
``or`` (SQL's rules) before finally counting as false.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as pdt

#: Kinds of field value a condition can see (``ANY``: not known in advance).
NUMBER = "number"
TEXT = "text"
BOOL = "bool"
ANY = "any"

_COMPARE: dict[str, Callable[[object, object], object]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,  # type: ignore[operator]
    "<=": lambda a, b: a <= b,  # type: ignore[operator]
    ">": lambda a, b: a > b,  # type: ignore[operator]
    ">=": lambda a, b: a >= b,  # type: ignore[operator]
}
COMPARISONS: frozenset[str] = frozenset(_COMPARE)
ARITHMETIC: frozenset[str] = frozenset("+-*/%")


@dataclass(frozen=True)
class Data:
    """A column of numbers (float64, NaN missing) or of text (object, ``None`` missing)."""

    values: np.ndarray
    text: bool


@dataclass(frozen=True)
class Truth:
    """Three-valued truth per row: known true, known false, else unknown."""

    true: np.ndarray
    false: np.ndarray


Value = Data | Truth


class Env:
    """One evaluation: the frame, with each column converted once."""

    def __init__(self, frame: pd.DataFrame, kinds: Mapping[str, str]) -> None:
        self.frame = frame
        self.n = len(frame)
        self.kinds = kinds
        self._cache: dict[str, Data] = {}

    def column(self, name: str) -> Data:
        """The named column; a column the frame lacks is missing in every row."""
        if name not in self._cache:
            kind = self.kinds.get(name, ANY)
            if name not in self.frame.columns:
                text = kind == TEXT
                blank = np.full(self.n, None if text else np.nan, dtype=object if text else float)
                self._cache[name] = Data(blank, text)
            else:
                self._cache[name] = convert(self.frame[name], kind)
        return self._cache[name]

    def constant(self, value: float | str) -> Data:
        """A constant spread over every row."""
        if isinstance(value, str):
            return Data(np.full(self.n, value, dtype=object), True)
        return Data(np.full(self.n, float(value)), False)

    def always(self, truth: bool) -> Truth:
        """A constant truth."""
        return Truth(np.full(self.n, truth), np.full(self.n, not truth))


def convert(series: pd.Series, kind: str) -> Data:
    """A frame column as numbers or text, whatever dtype the file happened to give it.

    Text fields keep whole numbers readable (a ZIP read as 75001.0 becomes ``"75001"``);
    number fields turn unreadable text into missing values rather than failing.
    """

    numeric_dtype = pdt.is_bool_dtype(series.dtype) or pdt.is_numeric_dtype(series.dtype)
    if kind != TEXT and numeric_dtype:
        return Data(series.to_numpy(dtype="float64", na_value=np.nan), False)
    missing = pd.isna(series).to_numpy(dtype=bool)
    values = series.to_numpy(dtype=object, na_value=None).copy()
    values[missing] = None
    present = values[~missing]
    if kind == TEXT or (kind == ANY and any(isinstance(v, str) for v in present)):
        for i in np.flatnonzero(~missing):
            v = values[i]
            if not isinstance(v, str):
                whole = isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                values[i] = str(int(v)) if whole and float(v).is_integer() else str(v)
        return Data(values, True)
    numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
    return Data(numbers.to_numpy(dtype="float64", na_value=np.nan), False)


def as_data(value: Value) -> Data:
    """A value as data; a truth becomes 1 / 0 / missing."""
    if isinstance(value, Data):
        return value
    out = np.full(len(value.true), np.nan)
    out[value.true] = 1.0
    out[value.false] = 0.0
    return Data(out, False)


def as_truth(value: Value) -> Truth:
    """A value as a truth: numbers are true when non-zero; text is never known."""
    if isinstance(value, Truth):
        return value
    if value.text:
        blank = np.zeros(len(value.values), dtype=bool)
        return Truth(blank, blank.copy())
    v = value.values
    known = ~np.isnan(v)
    return Truth(known & (v != 0), known & (v == 0))


def known(data: Data) -> np.ndarray:
    """Rows whose value is present."""
    if data.text:
        return np.fromiter((v is not None for v in data.values), dtype=bool, count=len(data.values))
    return ~np.isnan(data.values)


def compare(op: str, a: Data, b: Data) -> Truth:
    """``a op b`` per row; text and numbers are never equal and never ordered."""
    fn = _COMPARE[op]
    present = known(a) & known(b)
    if a.text == b.text:
        if a.text:
            result = np.zeros(len(present), dtype=bool)
            idx = np.flatnonzero(present)
            result[idx] = [bool(fn(a.values[i], b.values[i])) for i in idx]
        else:
            result = np.asarray(fn(a.values, b.values), dtype=bool)
        return Truth(present & result, present & ~result)
    none = np.zeros(len(present), dtype=bool)
    if op == "==":
        return Truth(none, present)
    if op == "!=":
        return Truth(present, none)
    return Truth(none, none.copy())


def arithmetic(op: str, a: Data, b: Data) -> Data:
    """``a op b`` per row on numbers; text, and division by zero, give missing values."""
    x = np.full(len(a.values), np.nan) if a.text else a.values
    y = np.full(len(b.values), np.nan) if b.text else b.values
    zero = y == 0
    safe = np.where(zero, 1.0, y)
    with np.errstate(all="ignore"):
        if op == "+":
            out = x + y
        elif op == "-":
            out = x - y
        elif op == "*":
            out = x * y
        elif op == "/":
            out = np.where(zero, np.nan, x / safe)
        else:
            out = np.where(zero, np.nan, np.mod(x, safe))
    return Data(np.asarray(out, dtype="float64"), False)


def member(data: Data, numbers: Collection[float], texts: Collection[str]) -> Truth:
    """Whether each value is one of the listed numbers or texts."""
    present = known(data)
    if data.text:
        wanted = set(texts)
        hit = np.fromiter((v in wanted for v in data.values), dtype=bool, count=len(present))
    else:
        hit = np.isin(data.values, np.array(sorted(numbers), dtype="float64"))
    hit &= present
    return Truth(hit, present & ~hit)


def negate(truth: Truth) -> Truth:
    """``not``: true and false swap; unknown stays unknown."""
    return Truth(truth.false, truth.true)


def both(a: Truth, b: Truth) -> Truth:
    """``and``: false if either is false, true only if both are."""
    return Truth(a.true & b.true, a.false | b.false)


def either(a: Truth, b: Truth) -> Truth:
    """``or``: true if either is true, false only if both are."""
    return Truth(a.true | b.true, a.false & b.false)
