"""Open the ledger: an embedded DuckDB file holding usage, quarantine, prices."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from .schema import (
    ACTIVITY_DDL,
    LEDGER_COLUMNS,
    LEDGER_DDL,
    OUTCOME_DDL,
    QUARANTINE_DDL,
    ROUTE_DDL,
    VOLUME_DDL,
)

__all__ = ["PROJECT_ROOT", "default_ledger_path", "ledger_relation", "open_ledger"]

#: The folder holding ``tokenlib/``, ``data/`` and ``notebooks/``.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

_INGEST_LOG_DDL = """CREATE TABLE IF NOT EXISTS ingest_log (
  source_file VARCHAR, source VARCHAR, rows_read BIGINT, ingested BIGINT,
  duplicate BIGINT, quarantined BIGINT, ingested_at TIMESTAMPTZ)"""


#: Tables added after the first ledgers were written.
_LATER_TABLES = {
    "activity": ACTIVITY_DDL,
    "outcomes": OUTCOME_DDL,
    "routes": ROUTE_DDL,
    "volumes": VOLUME_DDL,
}


def default_ledger_path() -> Path:
    """The ledger file: ``$TOKENLIB_LEDGER`` or ``data/ledger.duckdb``."""
    return Path(
        os.environ.get("TOKENLIB_LEDGER", PROJECT_ROOT / "data" / "ledger.duckdb")
    )


def _migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Bring a ledger written by an earlier version up to the current schema."""
    kind = con.execute(
        "SELECT data_type FROM information_schema.columns "
        "WHERE table_name = 'ledger' AND column_name = 'record_id'"
    ).fetchone()[0]
    if kind == "VARCHAR":  # ids were md5 hex strings; the same bytes as UUIDs
        con.execute(
            "ALTER TABLE ledger ALTER record_id TYPE UUID USING CAST(record_id AS UUID)"
        )
    # Columns added since: empty for the rows already there.
    have = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'ledger'"
        ).fetchall()
    }
    for name, kind in LEDGER_COLUMNS.items():
        if name not in have:
            con.execute(f'ALTER TABLE ledger ADD COLUMN "{name}" {kind}')


def open_ledger(
    path: str | Path | None = None, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a ledger file and return its connection.

    The connection works in UTC; reports convert to their zone explicitly.
    """
    path = Path(path) if path else default_ledger_path()
    if read_only and path.exists():
        con = duckdb.connect(str(path), read_only=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path))
        tables = (LEDGER_DDL, ACTIVITY_DDL, OUTCOME_DDL, ROUTE_DDL, VOLUME_DDL)
        for ddl in (*tables, QUARANTINE_DDL, _INGEST_LOG_DDL):
            con.execute(ddl)
        # A secret of this ledger: pseudonyms cannot be guessed without it.
        con.execute(
            "CREATE TABLE IF NOT EXISTS ledger_meta AS "
            "SELECT CAST(uuid() AS VARCHAR) AS pseudonym_salt"
        )
        _migrate(con)
    if read_only and path.exists():
        # A ledger from before a table was added reads as having it, empty.
        have = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        for name, ddl in _LATER_TABLES.items():
            if name not in have:
                con.execute(ddl.replace("CREATE TABLE", "CREATE TEMP TABLE", 1))
    con.execute("SET TimeZone = 'UTC'")
    # A library prints nothing: no progress bar on long queries.
    con.execute("SET enable_progress_bar = false")
    return con


def ledger_relation(con: duckdb.DuckDBPyConnection) -> str:
    """SQL naming the ledger with every current column.

    A ledger written by an earlier version and opened read-only cannot be
    migrated; columns added since read as empty.
    """
    have = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'ledger'"
        ).fetchall()
    }
    missing = [
        f'CAST(NULL AS {kind.split(" NOT NULL")[0]}) AS "{name}"'
        for name, kind in LEDGER_COLUMNS.items()
        if name not in have
    ]
    if not missing:
        return "ledger"
    return f"(SELECT *, {', '.join(missing)} FROM ledger)"
