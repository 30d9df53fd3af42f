"""`dealernet sql`: DuckDB over the result tables, read-only by DuckDB's own safeguards."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

pytest.importorskip("duckdb")

from dealernet import QueryError
from dealernet.analysis import pipeline
from dealernet.cli.main import cli
from dealernet.outputs.tables import write_tables
from dealernet.planning import sql as dsql
from dealernet.planning.sql import run_sql

JOIN = """
SELECT d.decision, count(*) AS stores, sum(i.jobs_lost_base) AS jobs
FROM decisions AS d JOIN impacts AS i USING (dealer_id)
GROUP BY d.decision ORDER BY d.decision
"""


@pytest.fixture(scope="module")
def result(sample_result: pipeline.Result) -> pipeline.Result:
    """The shared sample run (``sample_result`` in conftest)."""
    return sample_result


def test_sql_answers_a_join_of_decisions_and_impacts(result) -> None:
    answer = run_sql(result, JOIN)
    merged = result.decisions.table.merge(
        result.impacts.table.drop(columns="decision"), on="dealer_id"
    )
    expected = merged.groupby("decision").agg(
        stores=("dealer_id", "size"), jobs=("jobs_lost_base", "sum")
    )
    assert list(answer["decision"]) == list(expected.index)
    assert list(answer["stores"]) == list(expected["stores"])
    pd.testing.assert_series_equal(
        answer["jobs"], expected["jobs"].reset_index(drop=True), check_names=False
    )


def test_every_result_table_can_be_read(result) -> None:
    tables = set(run_sql(result, "SHOW TABLES")["name"])
    assert tables == set(dsql.TABLES)
    frames = {
        "sites": result.network.drop(columns="geometry"),
        "decisions": result.decisions.table,
        "impacts": result.impacts.table,
        "owners": result.owners,
        "hosts": result.hosts,
        "regions": result.regions,
        "sensitivity": result.sensitivity.table if result.sensitivity else pd.DataFrame(),
        "scenarios": result.spread.table if result.spread else pd.DataFrame(),
        "access": result.access.places,
        "national": result.national.to_frame().T,
    }
    assert frames.keys() == tables
    union = " UNION ALL ".join(f"SELECT '{t}' AS t, count(*) AS n FROM {t}" for t in frames)
    counts = run_sql(result, union)
    rows = {t: len(f) for t, f in frames.items()}
    assert dict(zip(counts["t"], counts["n"], strict=True)) == rows
    columns = run_sql(
        result,
        "SELECT table_name, column_name FROM information_schema.columns "
        "ORDER BY table_name, ordinal_position",
    ).groupby("table_name", sort=False)["column_name"]
    assert {t: list(c) for t, c in columns} == {t: list(f.columns) for t, f in frames.items()}
    sites = run_sql(result, "SELECT brand, count(*) AS n FROM sites GROUP BY brand ORDER BY brand")
    assert dict(zip(sites["brand"], sites["n"], strict=True)) == {"Infiniti": 197, "Nissan": 1071}
    assert run_sql(result, "SELECT stores FROM national")["stores"].iat[0] == 197


REFUSED = [
    "COPY decisions TO '{dir}/out.csv'",
    "COPY (SELECT * FROM impacts) TO '{dir}/out.parquet' (FORMAT parquet)",
    "EXPORT DATABASE '{dir}/export'",
    "ATTACH '{dir}/other.duckdb' AS other",
    "ATTACH ':memory:' AS scratch",
    "DETACH result",
    "INSTALL httpfs",
    "LOAD json",
    "PRAGMA version",
    "SET threads = 1",
    "RESET threads",
    "CALL pragma_version()",
    "CREATE TABLE t AS SELECT 1",
    "CREATE TEMP TABLE t AS SELECT 1",
    "CREATE VIEW v AS SELECT 1",
    "INSERT INTO decisions SELECT * FROM decisions",
    "UPDATE decisions SET decision = 'keep'",
    "DELETE FROM decisions",
    "DROP TABLE decisions",
    "SELECT 1; COPY decisions TO '{dir}/out.csv'",
    "SELECT 1; SELECT 2",
]


@pytest.mark.parametrize("statement", REFUSED)
def test_statements_that_write_attach_load_or_configure_are_refused(
    result, statement: str, tmp_path: Path
) -> None:
    with pytest.raises(QueryError, match="refused|exactly one"):
        run_sql(result, statement.format(dir=tmp_path))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM read_csv('{dir}/secret.csv')",
        "SELECT * FROM glob('{dir}/*')",
        "SELECT * FROM read_text('{dir}/secret.csv')",
    ],
)
def test_queries_cannot_read_files(result, statement: str, tmp_path: Path) -> None:
    (tmp_path / "secret.csv").write_text("a\n1\n")
    with pytest.raises(QueryError, match="refused"):
        run_sql(result, statement.format(dir=tmp_path))


@pytest.mark.parametrize(
    "statement",
    [
        "COPY decisions TO '{dir}/out.csv'",
        "ATTACH '{dir}/other.duckdb' AS other",
        "CREATE TABLE t AS SELECT 1",
        "INSERT INTO decisions SELECT * FROM decisions",
        "SET enable_external_access = true",
        "INSTALL httpfs",
    ],
)
def test_duckdb_itself_refuses_them_without_our_statement_check(
    result, statement: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read-only database, no external access and a locked configuration hold alone."""
    monkeypatch.setattr(dsql, "check_statement", lambda _statement: None)
    with pytest.raises(QueryError):
        dsql.run_sql(result, statement.format(dir=tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_syntax_errors_and_unknown_tables_are_clear(result) -> None:
    with pytest.raises(QueryError, match="syntax error"):
        run_sql(result, "SELEC 1")
    with pytest.raises(QueryError, match="nosuch"):
        run_sql(result, "SELECT * FROM nosuch")


def test_cli_sql_prints_a_table_and_writes_files(result, tmp_path: Path) -> None:
    write_tables(result, tmp_path / "run")
    args = ["sql", "--results", str(tmp_path / "run"), JOIN]
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    assert "absorb" in out.stdout and "4 rows" in out.stdout
    target = tmp_path / "jobs.csv"
    out = CliRunner().invoke(cli, [*args, "--output", str(target)])
    assert out.exit_code == 0, out.output
    assert list(pd.read_csv(target)["decision"]) == ["absorb", "close", "keep", "unaffected"]


def test_cli_sql_refuses_copy_with_a_message_not_a_traceback(tmp_path: Path) -> None:
    target = tmp_path / "stolen.csv"
    out = CliRunner().invoke(cli, ["sql", f"COPY decisions TO '{target}'"])
    assert out.exit_code == 1
    assert "refused" in out.output and "Traceback" not in out.output
    assert not target.exists()
