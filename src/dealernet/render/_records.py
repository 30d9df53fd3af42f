"""Rows of a frame as plain dicts for the templates, converted at once.

Maps and owner reports are drawn per owner group from frames of a couple of hundred
columns. ``itertuples`` and ``to_dict`` take them column by column, and pandas' cost per
column was most of a report's time; ``to_numpy(dtype=object)`` converts each block of
columns at once and gives the same Python values (floats, ints, bools, strings, NA).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd


def records(frame: pd.DataFrame, plain: Callable[[Any], Any]) -> list[dict[str, Any]]:
    """Rows as dicts of column -> ``plain(value)``."""
    columns = list(frame.columns)
    rows = frame.to_numpy(dtype=object).tolist()
    return [{c: plain(v) for c, v in zip(columns, row, strict=True)} for row in rows]
