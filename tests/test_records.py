"""Rows for the templates converted at once give what pandas' own row conversions give."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dealernet.render._records import records


def test_records_match_to_dict_for_every_kind_of_column():
    frame = pd.DataFrame(
        {
            "name": ["A & Sons", None, "<b>"],
            "miles": [1.5, np.nan, 3.0],
            "stores": np.array([1, 2, 3], dtype="int64"),
            "same_owner": pd.array([True, None, False], dtype="boolean"),
            "flag": [True, False, True],
            "count": pd.array([1, None, 3], dtype="Int64"),
            "state": pd.Categorical(["TX", "CA", "TX"]),
            "when": pd.to_datetime(["2024-12-01", None, "2015-01-01"]),
            "text": pd.array(["x", None, "z"], dtype="string"),
        }
    )
    expected = frame.to_dict(orient="records")
    got = records(frame, lambda v: v)
    assert len(got) == len(expected)
    for mine, theirs in zip(got, expected, strict=True):
        assert list(mine) == list(theirs)
        for key in mine:
            a, b = mine[key], theirs[key]
            assert type(a) is type(b) or (pd.isna(a) and pd.isna(b)), (key, a, b)
            assert (pd.isna(a) and pd.isna(b)) or a == b, (key, a, b)
