"""SQL over a result, for analysts who think in SQL: ``dealernet sql "SELECT ..."``.

The result tables (``sites``, ``decisions``, ``impacts``, ``owners``, ``regions``,
``access`` and the one-row ``national``) are copied into a throw-away DuckDB database, which
is then reopened for the query with DuckDB's own safeguards rather than trusting a reading
of the text:

* ``read_only``: the database refuses CREATE, INSERT, UPDATE, DELETE and the like;
* ``enable_external_access = false``: no file is read or written (``COPY ... TO``,
  ``EXPORT DATABASE``, ``read_csv``, ``ATTACH`` of a file), and no extension installed or
  loaded from disk;
* ``lock_configuration = true``: no ``SET`` or ``RESET`` can lift either of those.

On top of that, the statement is parsed by DuckDB itself (never by regular expressions) and
refused unless it is exactly one query (``SELECT``, ``WITH``, ``FROM``-first, ``DESCRIBE``,
``SHOW``, ``SUMMARIZE``): no ``PRAGMA``, ``SET``, ``ATTACH``, ``INSTALL``/``LOAD``, ``COPY``,
``EXPORT``, ``CALL`` or second statement, even one DuckDB would have refused anyway, so the
user hears why in plain words. A query that runs longer than the timeout is interrupted.

The answer is bounded too: DuckDB streams the result, and :func:`run_sql` fetches it in
chunks of 2,048 rows, stopping at a row cap and a byte cap, so a cross join of the tables
(billions of rows) is never materialised, in DuckDB or in pandas. DuckDB itself works with
at most :data:`MEMORY_LIMIT` and :data:`THREADS` threads.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from dealernet._errors import MissingDependencyError, QueryError

if TYPE_CHECKING:  # pragma: no cover
    from dealernet.analysis.result import Result

#: Table name -> what it holds (listed in ``dealernet sql --help`` and the README).
TABLES: dict[str, str] = {
    "sites": "every dealer site of both brands as loaded",
    "decisions": "one row per source-brand site: decision, rule, reason, host, miles",
    "impacts": "one row per source-brand site: baselines, losses low/base/high, customers",
    "owners": "one row per owner group, or per store whose owner is not known: stores, losses",
    "hosts": "one row per owner group (or host store whose owner is not known) whose host "
    "stores take in stores of other owners: stores taken in, gross profit and jobs gained",
    "regions": "one row per state and per county (level = state | county)",
    "sensitivity": "each assumption at its low and high, the rest at base, nationally and per "
    "owner group (empty when the run had --no-sensitivity)",
    "scenarios": "every shipped scenario on this network at base (empty with --no-sensitivity)",
    "access": "one row per US place: miles to the nearest point of sale before and after",
    "national": "one row: the national totals",
}
#: Seconds a query may run before it is interrupted.
TIMEOUT_SECONDS = 60.0
#: Memory DuckDB may use for one query (the result tables are a few MB; a sort or join past
#: this spills to the temporary folder or stops with an out-of-memory error).
MEMORY_LIMIT = "1GB"
#: Threads DuckDB may use: a query shares the machine with the user's other work.
THREADS = 2
#: Disk DuckDB may spill to (a sort or join past :data:`MEMORY_LIMIT`), in the query's own
#: temporary folder, removed after it: DuckDB's default is 90% of the free disk, in a
#: ``.tmp`` folder that a killed query leaves behind.
MAX_SPILL = "2GB"
#: Rows an answer holds at most unless the caller asks for more or fewer.
MAX_ROWS = 100_000
#: Bytes of fetched rows (as pandas holds them) after which fetching stops, whatever the
#: row cap: a row cap alone does not bound a query whose rows are each megabytes.
MAX_BYTES = 256 * 1024**2
#: Why each refused kind of statement is refused, by DuckDB statement type name.
_REFUSED: dict[str, str] = {
    "COPY": "COPY writes or reads files",
    "EXPORT": "EXPORT DATABASE writes files",
    "ATTACH": "ATTACH opens another database",
    "DETACH": "DETACH changes the attached databases",
    "LOAD": "INSTALL and LOAD add extensions",
    "PRAGMA": "PRAGMA changes or inspects settings",
    "SET": "SET and RESET change settings",
    "VARIABLE_SET": "SET VARIABLE changes settings",
    "CALL": "CALL runs table functions; use SELECT * FROM ... instead",
}
_ALLOWED = "SELECT"


def _duckdb() -> Any:
    try:
        import duckdb  # heavy or optional: imported on first use
    except ImportError:  # pragma: no cover - depends on the environment
        msg = "dealernet sql needs DuckDB: pip install duckdb"
        raise MissingDependencyError(msg) from None
    return duckdb


def result_tables(result: Result) -> dict[str, pd.DataFrame]:
    """The tables of a result under their SQL names (geometry dropped: it is lat/lon)."""
    network = pd.DataFrame(result.network).drop(columns=["geometry"], errors="ignore")
    national = pd.DataFrame([result.national]).infer_objects().reset_index(drop=True)
    return {
        "sites": network.reset_index(drop=True),
        "decisions": result.decisions.table,
        "impacts": result.impacts.table,
        "owners": result.owners.reset_index(drop=True),
        "hosts": result.hosts.reset_index(drop=True),
        "regions": result.regions.reset_index(drop=True),
        "sensitivity": _table(result.sensitivity, ("scope", "measure", "parameter")),
        "scenarios": _table(result.spread, ("scenario", "name")),
        "access": result.access.places,
        "national": national,
    }


def _table(found: Any, columns: tuple[str, ...]) -> pd.DataFrame:
    """``found.table``, or an empty table with ``columns`` when it was not computed, so a
    query naming it says "no rows" rather than "no such table"."""
    if found is None:
        return pd.DataFrame({c: pd.Series(dtype=str) for c in columns})
    return found.table.reset_index(drop=True)


def check_statement(statement: str) -> None:
    """Refuse anything but exactly one read-only query, using DuckDB's own parser.

    Raises
    ------
    QueryError
        For a syntax error, no statement, several statements, or any statement that is not
        a query (``COPY``, ``ATTACH``, ``PRAGMA``, ``SET``, ``CREATE``, ``INSERT``, ...).
    """
    duckdb = _duckdb()
    if not isinstance(statement, str) or not statement.strip():
        msg = 'give one SQL query, e.g. "SELECT decision, count(*) FROM decisions GROUP BY 1"'
        raise QueryError(msg)
    parser = duckdb.connect(":memory:", config={"enable_external_access": False})
    try:
        statements = parser.extract_statements(statement)
    except duckdb.Error as exc:
        msg = f"SQL error: {exc}"
        raise QueryError(msg) from None
    finally:
        parser.close()
    if len(statements) != 1:
        msg = f"give exactly one SQL statement, not {len(statements)}"
        raise QueryError(msg)
    kind = statements[0].type.name
    if kind != _ALLOWED:
        why = _REFUSED.get(kind, f"{kind} changes data or settings")
        msg = f"refused: only read-only queries (SELECT) may run here; {why}."
        raise QueryError(msg)


def run_sql(
    tables: Result | dict[str, pd.DataFrame],
    statement: str,
    *,
    timeout_seconds: float = TIMEOUT_SECONDS,
    max_rows: int | None = MAX_ROWS,
    max_bytes: int | None = MAX_BYTES,
) -> pd.DataFrame:
    """Answer one read-only SQL query over a result's tables, at most ``max_rows`` rows.

    Parameters
    ----------
    tables
        A result (its :func:`result_tables` are used) or tables by name.
    statement
        One query; DuckDB's SQL dialect.
    timeout_seconds
        Interrupt the query (and the fetching of its rows) after this long.
    max_rows, max_bytes
        Stop fetching after this many rows, or once the rows fetched take this many bytes
        (None: no cap). The answer's ``attrs["truncated"]`` then says the query had more,
        and ``attrs["stopped_at_bytes"]`` the bytes fetched when the byte cap stopped it.

    Raises
    ------
    QueryError
        For a refused statement (see :func:`check_statement`), an SQL error, an attempt
        to reach files or settings that DuckDB refuses, or a query that runs too long.
    """
    duckdb = _duckdb()
    check_statement(statement)
    frames = tables if isinstance(tables, dict) else result_tables(tables)
    with tempfile.TemporaryDirectory(prefix="dealernet-sql-") as folder:
        path = Path(folder) / "result.duckdb"
        _build(duckdb, path, frames)
        con = duckdb.connect(
            str(path),
            read_only=True,
            config={
                "enable_external_access": False,
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "allow_community_extensions": False,
                "memory_limit": MEMORY_LIMIT,
                "threads": THREADS,
                "temp_directory": str(Path(folder) / "spill"),
                "max_temp_directory_size": MAX_SPILL,
                "lock_configuration": True,
            },
        )
        timer = threading.Timer(timeout_seconds, con.interrupt)
        timer.start()
        try:
            return _fetch(con.execute(statement), max_rows, max_bytes)
        except duckdb.InterruptException:
            msg = f"the query ran longer than {timeout_seconds:g} s and was stopped"
            raise QueryError(msg) from None
        except duckdb.OutOfMemoryException:
            msg = (
                f"the query needs more than {MEMORY_LIMIT} of memory and {MAX_SPILL} of "
                "temporary disk (a sort, DISTINCT or GROUP BY over a join of whole tables) "
                "and was stopped. Fix: narrow it with WHERE, or join on a key (ON a.x = b.x)"
            )
            raise QueryError(msg) from None
        except duckdb.PermissionException as exc:
            msg = f"refused: the query may only read the result tables ({exc})"
            raise QueryError(msg) from None
        except duckdb.Error as exc:
            msg = f"SQL error: {exc}\nTables: {', '.join(frames)}"
            raise QueryError(msg) from None
        finally:
            timer.cancel()
            con.close()


def _fetch(cursor: Any, max_rows: int | None, max_bytes: int | None) -> pd.DataFrame:
    """The rows of a streaming DuckDB result, in chunks, until it ends or a cap is reached.

    One row past ``max_rows`` is asked for, to tell "exactly N rows" from "more than N".
    """
    chunks: list[pd.DataFrame] = []
    rows = size = 0
    truncated = False
    frame_bytes = None
    while True:
        chunk = cursor.fetch_df_chunk(1)
        if chunk.empty:
            if not chunks:  # no rows at all: keep the columns
                chunks.append(chunk)
            break
        chunks.append(chunk)
        rows += len(chunk)
        size += int(chunk.memory_usage(index=False, deep=True).sum())
        if max_rows is not None and rows > max_rows:
            truncated = True
            break
        if max_bytes is not None and size > max_bytes:
            truncated = cursor.fetch_df_chunk(1).shape[0] > 0
            frame_bytes = size
            break
    frame = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
    if max_rows is not None and len(frame) > max_rows:
        frame = frame.iloc[:max_rows].reset_index(drop=True)
    frame.attrs["truncated"] = truncated
    frame.attrs["stopped_at_bytes"] = frame_bytes  # None unless the byte cap stopped it
    return frame


def _build(duckdb: Any, path: Path, frames: dict[str, pd.DataFrame]) -> None:
    """Copy the tables into a new database file (closed before it is reopened read-only)."""
    con = duckdb.connect(str(path))
    try:
        for name, frame in frames.items():
            view = f"_frame_{name}"
            con.register(view, frame)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM "{view}"')
            con.unregister(view)
    finally:
        con.close()
