"""Limits the corpus (tests/data/bad/limits/) cannot express: the Monte Carlo's blocks change
memory, never a figure; its memory estimate refuses before allocating; an SQL answer of
billions of rows is never materialised; TOML nesting and seeds are bounded at the API."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dealernet import settings
from dealernet._errors import AssumptionsError, DealernetError, ScenarioError
from dealernet._toml import MAX_DEPTH, nesting_depth, read_toml, toml_value
from dealernet.analysis import impact
from dealernet.analysis.assumptions import MAX_SEED, load_assumptions, parse_assumptions
from dealernet.analysis.impact import (
    block_size,
    check_draw_memory,
    draw_memory,
)
from dealernet.engine.scenario import load_scenario
from helpers import ASSUMPTIONS, ROOT
from helpers import impacts_with_market as estimate_impacts

LIMITS = ROOT / "tests" / "data" / "bad" / "limits"
TINY = LIMITS / "tiny.csv"
SOURCE, HOST = settings.SOURCE_BRAND, settings.HOST_BRAND


# --- the Monte Carlo in blocks ------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_run():
    """The four-store network decided by the default scenario, with 300 draws."""
    from dealernet.analysis.pipeline import default_assumptions, run
    from dealernet.io.loader import load_network

    network = load_network(TINY)
    assumptions = replace(default_assumptions(), draws=300)
    return (
        network,
        run(network, assumptions=assumptions, what_drives=False).decisions.table,
        assumptions,
    )


@pytest.mark.parametrize("block", [1, 7, 299, 300, 10_000])
def test_blocks_of_draws_give_the_same_figures_as_one_block(tiny_run, block: int) -> None:
    network, decisions, assumptions = tiny_run
    whole = estimate_impacts(network, decisions, assumptions, SOURCE, HOST, block_draws=10**9)
    parts = estimate_impacts(network, decisions, assumptions, SOURCE, HOST, block_draws=block)
    pd.testing.assert_frame_equal(parts.table, whole.table, check_exact=True)
    assert parts.draws.keys() == whole.draws.keys()
    for key, values in whole.draws.items():
        assert values.shape == (assumptions.draws, len(decisions))
        assert np.array_equal(parts.draws[key], values, equal_nan=True), key


def test_blocks_are_used_by_default(tiny_run, monkeypatch: pytest.MonkeyPatch) -> None:
    """A block budget of one draw's arrays: the default blocks are single draws, same figures."""
    network, decisions, assumptions = tiny_run
    whole = estimate_impacts(network, decisions, assumptions, SOURCE, HOST, block_draws=10**9)
    monkeypatch.setattr(settings, "MONTE_CARLO_BLOCK_BYTES", 1)
    assert block_size(len(decisions)) == 1
    parts = estimate_impacts(network, decisions, assumptions, SOURCE, HOST)
    pd.testing.assert_frame_equal(parts.table, whole.table, check_exact=True)


def test_block_size_keeps_a_block_near_its_budget() -> None:
    for stores in (1, 197, 5_000, 10**6):
        rows = block_size(stores)
        assert rows >= 1
        assert rows == 1 or rows * stores * 8 * impact._BLOCK_ARRAYS <= (
            settings.MONTE_CARLO_BLOCK_BYTES
        )


# --- the memory estimate -------------------------------------------------------------------


def test_memory_estimate_is_draws_times_stores_times_the_arrays_held() -> None:
    need = 1_000_000 * 197 * 8 * impact._PEAK_ARRAYS + impact._block_bytes(1_000_000, 197)
    assert draw_memory(1_000_000, 197) == need
    assert draw_memory(2000, 0) == draw_memory(2000, 1)  # never 0 bytes


def test_a_million_draws_of_the_sample_are_refused_with_the_figure() -> None:
    with pytest.raises(AssumptionsError) as caught:
        check_draw_memory(1_000_000, 197)
    message = str(caught.value)
    assert "1,000,000 draws x 197 stores needs about 24.0 GiB of memory" in message
    assert "the limit is 4.0 GiB" in message
    fit = impact.most_draws(197)
    assert f"at most {fit:,} here (--set monte_carlo.draws={fit})" in message
    check_draw_memory(fit, 197)  # the figure offered fits
    with pytest.raises(AssumptionsError):
        check_draw_memory(fit + 1, 197)


def test_runs_kept_together_share_the_limit() -> None:
    check_draw_memory(2000, 197, runs=1)
    with pytest.raises(AssumptionsError, match=r"x 3 runs needs about .* or fewer stores or runs"):
        check_draw_memory(60_000, 197, runs=3)


def test_estimate_refuses_before_allocating(tiny_run, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under a tiny limit, the refusal comes before the draws are made."""
    network, decisions, assumptions = tiny_run
    monkeypatch.setattr(settings, "MONTE_CARLO_MAX_BYTES", 1024)

    def no_draws(*_args: object) -> None:
        raise AssertionError("drew before checking the memory")

    monkeypatch.setattr(impact, "draw", no_draws)
    with pytest.raises(AssumptionsError, match="the Monte Carlo is too big: 300 draws x 2 stores"):
        estimate_impacts(network, decisions, assumptions, SOURCE, HOST)


# --- SQL answers are bounded ----------------------------------------------------------------

#: Run a command as a child and report its peak memory and time, as JSON: a fresh parent, so
#: ``RUSAGE_CHILDREN`` holds that one child and no other test's.
_MEASURE = """
import json, resource, subprocess, sys, time
start = time.monotonic()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=300)
print(json.dumps({
    "rc": done.returncode, "out": done.stdout[-3000:], "err": done.stderr[-3000:],
    "seconds": time.monotonic() - start,
    "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
}))
"""


def _measured(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, sys.executable, "-m", "dealernet", *args],
        capture_output=True,
        text=True,
        timeout=400,
        check=True,
    )
    return json.loads(done.stdout)


def test_sql_cross_join_is_capped_without_materialising_it() -> None:
    """197^3 = 7.6 million rows of every decisions column: the first rows, in seconds."""
    found = _measured(
        "sql", "--dealers", "sample", "SELECT * FROM decisions a, decisions b, decisions c"
    )
    assert found["rc"] == 0, found
    said = " ".join((found["out"] + found["err"]).split())
    assert "Note: showing the first 1,000 rows of more" in said, said[-1000:]
    assert found["seconds"] < 60, found["seconds"]
    assert found["maxrss_kb"] < 1024 * 1024, f"peak {found['maxrss_kb'] / 1024:.0f} MiB"


def test_run_sql_stops_at_the_row_cap_and_says_so() -> None:
    from dealernet.planning.sql import run_sql

    frame = pd.DataFrame({"x": range(2000)})
    start = time.monotonic()
    answer = run_sql({"t": frame}, "SELECT a.x, b.x AS y FROM t a, t b, t c", max_rows=5000)
    assert time.monotonic() - start < 30
    assert len(answer) == 5000
    assert answer.attrs["truncated"] is True
    exact = run_sql({"t": frame}, "SELECT x FROM t", max_rows=2000)
    assert len(exact) == 2000 and exact.attrs["truncated"] is False


def test_run_sql_stops_at_the_byte_cap() -> None:
    from dealernet.planning.sql import run_sql

    frame = pd.DataFrame({"x": range(1000)})
    answer = run_sql(
        {"t": frame}, "SELECT repeat('x', 1000) AS s FROM t a, t b", max_rows=None, max_bytes=10**6
    )
    assert answer.attrs["truncated"] is True
    assert answer.attrs["stopped_at_bytes"] > 10**6
    assert len(answer) < 100_000


# --- TOML nesting -----------------------------------------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "nested.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "name", ["deep_arrays", "deep_inline_tables", "deep_tables", "deep_dotted_keys"]
)
def test_toml_nested_3000_deep_raises_the_error_type_given(name: str) -> None:
    path = LIMITS / f"{name}.toml"
    with pytest.raises(ScenarioError, match=f"nested too deeply: .* at most {MAX_DEPTH} levels"):
        read_toml(path, "scenario file", error=ScenarioError)
    with pytest.raises(AssumptionsError, match="nested too deeply"):
        load_assumptions(path)
    with pytest.raises(ScenarioError, match="nested too deeply"):
        load_scenario(path)


def test_toml_depth_limit_is_exact(tmp_path: Path) -> None:
    """The document is one level, so ``a = [[...]]`` with MAX_DEPTH - 1 brackets just fits."""
    fits = MAX_DEPTH - 1
    data = read_toml(_write(tmp_path, "a = " + "[" * fits + "]" * fits), "file")
    assert nesting_depth(data) == MAX_DEPTH
    deeper = fits + 1
    with pytest.raises(DealernetError, match="nested too deeply"):
        read_toml(_write(tmp_path, "a = " + "[" * deeper + "]" * deeper), "file")


def test_nesting_depth_does_not_recurse() -> None:
    value: object = 1
    for _ in range(100_000):  # far past Python's recursion limit
        value = [value]
    assert nesting_depth(value) == MAX_DEPTH + 1  # stops counting past the limit
    assert nesting_depth({"a": {"b": [1, {"c": 2}]}}) == 4
    assert nesting_depth(3) == 0


def test_a_set_value_nested_too_deeply_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="nested too deeply"):
        toml_value("[" * 3000 + "]" * 3000)
    assert toml_value("[[1, 2], [3]]") == [[1, 2], [3]]


# --- seeds ------------------------------------------------------------------------------------


def test_negative_seed_is_refused_in_the_file_and_with_set() -> None:
    shipped = load_assumptions(ASSUMPTIONS)
    with pytest.raises(
        AssumptionsError, match=r"--set monte_carlo.seed: must be at least 0, not -1"
    ):
        shipped.with_overrides({"monte_carlo.seed": -1})
    import tomllib

    data = tomllib.loads(Path(ASSUMPTIONS).read_text("utf-8"))
    data["monte_carlo"]["seed"] = -5
    with pytest.raises(AssumptionsError, match=r"\[monte_carlo\], key 'seed': must be at least 0"):
        parse_assumptions(data, "assumptions.toml")


def test_seed_range_is_32_bits() -> None:
    shipped = load_assumptions(ASSUMPTIONS)
    assert shipped.with_overrides({"monte_carlo.seed": MAX_SEED}).seed == MAX_SEED
    assert shipped.with_overrides({"monte_carlo.seed": 0}).seed == 0
    with pytest.raises(AssumptionsError, match="from 0 to 4,294,967,295, not 4,294,967,296"):
        shipped.with_overrides({"monte_carlo.seed": MAX_SEED + 1})
    with pytest.raises(AssumptionsError, match=r"not 1000\.\.\. \(309 digits\)"):
        shipped.with_overrides({"monte_carlo.seed": 1e308})


def test_sample_refuses_a_negative_seed() -> None:
    from click.testing import CliRunner

    from dealernet.cli.main import cli

    result = CliRunner().invoke(cli, ["sample", "--seed", "-1", "--out", "unused"])
    assert result.exit_code == 2
    assert "-1 is not in the range x>=0" in result.output
