"""SQL helpers for readers of per-request records held as JSON objects.

A file of records (a JSON array or JSON Lines) is read whole-object by DuckDB's
``read_json_objects``, one ``JSON`` value per record, so that no column type is
guessed from the first rows and a nested object may be written either as an
object or as a string holding JSON. Readers pull each field out with a JSON
path and leave the parsing and checking of counts to the ingest engine.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .base import literal

__all__ = [
    "objects_relation",
    "first_keys",
    "as_json",
]

JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")


def _objects(path: Path) -> str:
    return (
        f"read_json_objects({literal(str(path))}, format = 'auto', "
        "maximum_object_size = 268435456)"
    )


def objects_relation(path: Path) -> str:
    """Return SQL yielding one JSON record ``j`` per object, with ``_row``."""
    return f"SELECT json AS j, row_number() OVER () AS _row FROM {_objects(path)}"


def first_keys(con: duckdb.DuckDBPyConnection, path: Path, n: int = 20) -> set[str]:
    """Return the keys seen in the first ``n`` records; empty if unreadable."""
    if path.suffix.lower() not in JSON_SUFFIXES:
        return set()
    sql = (
        "SELECT DISTINCT unnest(json_keys(json)) FROM "
        f"(SELECT json FROM {_objects(path)} "
        "WHERE json_type(json) = 'OBJECT' LIMIT ?)"
    )
    try:
        return {r[0] for r in con.execute(sql, [n]).fetchall()}
    except duckdb.Error:
        return set()


def as_json(text: str) -> str:
    """SQL turning a field's text (an object, or a string holding one) to JSON."""
    return f"TRY_CAST({text} AS JSON)"
