"""What a source reader hands the ingest engine: a plan of SQL expressions.

A reader never loops over rows. It opens its file as a DuckDB relation with a
1-based ``_row`` column and says, for each ledger column, which file column or
SQL expression fills it and how that value is checked. The engine in
:mod:`tokenlib.ingest` turns the plan into set operations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

__all__ = ["Field", "Check", "Plan", "describe", "quote", "literal"]

#: Kinds of value a field holds, and so how it is parsed and checked.
KINDS = ("tokens", "count", "money", "time", "text", "float", "json")


def quote(name: str) -> str:
    """Quote an identifier for DuckDB SQL.

    >>> print(quote('Billed Cost'))
    "Billed Cost"
    """
    return '"' + name.replace('"', '""') + '"'


def literal(value: object) -> str:
    """Render a Python value as a SQL literal.

    >>> literal("it's"), literal(None), literal(3)
    ("'it''s'", 'NULL', '3')
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def describe(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    """Return column name -> type of a SQL relation, without ``_row``."""
    rows = con.execute(f"DESCRIBE {relation}").fetchall()
    return {r[0]: r[1] for r in rows if r[0] != "_row"}


@dataclass(frozen=True)
class Field:
    """How one ledger column is filled.

    Parameters
    ----------
    kind
        One of ``tokens``, ``count``, ``money``, ``time``, ``text``,
        ``float``, ``json``.
    column
        A file column; its value is parsed and checked for ``kind``.
    expr
        A SQL expression over the file's columns, already of the right type;
        used when no single column holds the value. Not checked.
    required
        A missing value sends the row to quarantine.
    """

    kind: str
    column: str | None = None
    expr: str | None = None
    required: bool = False


@dataclass(frozen=True)
class Check:
    """An extra row check: rows where ``bad`` holds go to quarantine."""

    column: str
    value: str
    bad: str
    reason: str


@dataclass
class Plan:
    """A reader's description of one input file.

    Attributes
    ----------
    source
        Source name stored in the ledger (``focus``, ``openai_usage``, ...).
    path
        The file.
    relation
        SQL ``SELECT`` over the file yielding its columns plus ``_row``.
    fields
        Ledger column -> :class:`Field`.
    key
        SQL expressions that identify a record within the source.
    key_is_unique
        True when ``key`` is the source's own record id (repeats inside one
        file are the same record); False when identical rows are distinct
        records and are told apart by their order of appearance.
    key_fields
        Ledger columns whose parsed values join the key, so that the same
        record keeps its id however the file's columns were mapped.
    checks
        Extra row checks beyond the per-field ones.
    decimal_comma
        Numbers in the file may use a comma as decimal separator.
    table
        The table the rows go to: ``ledger`` (tokens and money) or
        ``activity`` (sessions, commits, lines of code, active time).
    columns
        Column name -> type of ``relation``, when a table reader's relation
        selects other columns than the file has; None means the file's.
    """

    source: str
    path: Path
    relation: str
    fields: dict[str, Field]
    key: list[str]
    key_is_unique: bool = False
    key_fields: list[str] = field(default_factory=list)
    rejects: tuple = ()
    checks: list[Check] = field(default_factory=list)
    decimal_comma: bool = False
    notes: list[str] = field(default_factory=list)
    table: str = "ledger"
    columns: dict[str, str] | None = None
