"""The Monte Carlo's draws held compactly (analysis/_draws.py): the same figures as dense
float64 draws, bit for bit below FLOAT64_BYTES and within the printed rounding above it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix

from dealernet import settings as dn_settings
from dealernet.analysis import _draws
from dealernet.analysis._draws import (
    DrawsBuilder,
    held_dtype,
    percentiles,
    select_draws,
    sorted_percentiles,
    summarise,
    summed_draws,
)
from helpers import ROOT
from helpers import impacts_with_market as estimate_impacts

Q = [10, 50, 90]


def _mixed(rng: np.random.Generator, draws: int, stores: int) -> np.ndarray:
    """Columns that are 0 in every draw, the same in every draw, or varying (NaN in one)."""
    kind = rng.integers(0, 3, stores)
    out = rng.normal(size=(draws, stores)) * 1000
    out[:, kind == 0] = 0.0
    out[:, kind == 1] = rng.normal(size=int((kind == 1).sum()))
    if stores > 3:
        out[draws // 2, 3] = np.nan
    return out


@settings(max_examples=40, deadline=None)
@given(draws=st.integers(1, 60), stores=st.integers(1, 40), seed=st.integers(0, 10**6))
def test_held_draws_give_back_the_dense_draws_their_sums_and_percentiles(draws, stores, seed):
    rng = np.random.default_rng(seed)
    dense = _mixed(rng, draws, stores)
    builder = DrawsBuilder(draws, stores, np.dtype(np.float64))
    order = rng.permutation(stores)
    for start in range(0, stores, 7):  # blocks of stores in a shuffled order, as a run does
        block = order[start : start + 7]
        levels, kinds = summarise(dense[:, block], Q)
        expected = np.percentile(dense[:, block], Q, axis=0)
        np.testing.assert_array_equal(levels, expected)  # bit for bit, NaN where NaN
        builder.add("m", block, dense[:, block], kinds)
    held = builder.build(["m"])
    np.testing.assert_array_equal(held["m"], dense)
    mask = rng.random(stores) < 0.5
    np.testing.assert_array_equal(select_draws(held, mask)["m"], dense[:, mask])
    groups = rng.integers(0, 4, stores)
    member = csr_matrix((np.ones(stores), (np.arange(stores), groups)), shape=(stores, 4))
    np.testing.assert_array_equal(summed_draws(held, "m", member), np.asarray(dense @ member))
    np.testing.assert_array_equal(percentiles(dense, Q), np.percentile(dense, Q, axis=0))


def test_only_stores_whose_draws_vary_are_held():
    rng = np.random.default_rng(1)
    dense = np.zeros((500, 100))
    dense[:, :10] = rng.normal(size=(500, 10))
    dense[:, 10:20] = 3.0
    builder = DrawsBuilder(500, 100, np.dtype(np.float64))
    builder.add("m", np.arange(100), dense, summarise(dense, Q)[1])
    held = builder.build(["m"])
    assert held.nbytes() < dense.nbytes / 8  # 10 varying stores of 100, and 100 fixed values


def test_float32_past_the_limit():
    assert held_dtype(2_000, 300, 24) == np.float64
    assert held_dtype(2_000, 400, 24) == np.float32


@pytest.fixture(scope="module")
def tiny():
    from dealernet.analysis.pipeline import default_assumptions, run
    from dealernet.io.loader import load_network

    network = load_network(ROOT / "tests" / "data" / "bad" / "limits" / "tiny.csv")
    assumptions = replace(default_assumptions(), draws=400)
    decisions = run(network, assumptions=assumptions, what_drives=False).decisions.table
    return network, decisions, assumptions


def _estimate(tiny, **options):
    network, decisions, assumptions = tiny
    source, host = dn_settings.SOURCE_BRAND, dn_settings.HOST_BRAND
    return estimate_impacts(network, decisions, assumptions, source, host, **options)


def test_blocks_of_stores_give_the_same_figures(tiny):
    whole = _estimate(tiny, block_stores=10**6)
    for width in (1, 3):
        parts = _estimate(tiny, block_stores=width)
        pd.testing.assert_frame_equal(parts.table, whole.table, check_exact=True)
        for key in whole.draws:
            np.testing.assert_array_equal(parts.draws[key], whole.draws[key])


def test_float32_draws_agree_with_float64_within_the_printed_rounding(tiny, monkeypatch):
    """Past FLOAT64_BYTES the model runs in float32: every figure within a millionth of
    the float64 one (printed figures have at most 3 significant digits)."""
    exact = _estimate(tiny)
    monkeypatch.setattr(_draws, "FLOAT64_BYTES", 0)
    small = _estimate(tiny)
    assert next(iter(small.draws.values())).dtype == np.float64  # dense views are float64
    held = [small.draws.held(k).varying for k in small.draws]  # type: ignore[attr-defined]
    assert {v.dtype for v in held if v.size} == {np.dtype(np.float32)}
    numbers = exact.table.select_dtypes("number").columns
    assert len(numbers) > 50
    a = exact.table[numbers].to_numpy(dtype=float)
    b = small.table[numbers].to_numpy(dtype=float)
    scale = np.maximum(np.abs(a), 1.0)
    worst = np.nanmax(np.abs(a - b) / scale)
    assert 0 < worst < 1e-5, worst  # float32 did run, and changed nothing that is printed
    assert np.array_equal(np.isnan(a), np.isnan(b))


@settings(max_examples=300, deadline=None)
@given(
    draws=st.integers(1, 80),
    columns=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
    single=st.booleans(),
    odd=st.sampled_from(["none", "nan", "inf", "constant"]),
    q=st.sampled_from([(10.0, 50.0, 90.0), (0.0, 100.0), (2.5, 97.5), (33.3, 66.7, 12.0)]),
)
def test_sorted_percentiles_are_numpys_bit_for_bit(draws, columns, seed, single, odd, q):
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(draws, columns)) * 10.0 ** rng.integers(-3, 7)
    values = values.astype(np.float32 if single else np.float64)
    if odd == "nan":
        values[rng.integers(0, draws), rng.integers(0, columns)] = np.nan
    elif odd == "inf":
        values[rng.integers(0, draws), rng.integers(0, columns)] = np.inf
    elif odd == "constant":
        values[:, 0] = values[0, 0]
    with np.errstate(invalid="ignore"):
        expected = np.percentile(values, list(q), axis=0)
    got = sorted_percentiles(values, q)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
