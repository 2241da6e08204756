"""Open CSV and Parquet exports as DuckDB relations, coping with messy files.

Real exports arrive with a byte-order mark, a semicolon delimiter and decimal
commas, literal ``NULL`` strings and quoted JSON columns. CSV files are read
with every column as text so that one bad value sends one row to quarantine
instead of failing the file; the ingest engine parses each value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..errors import InputFileError
from .base import literal

__all__ = ["Table", "open_table", "NULL_STRINGS"]

#: Strings read as a missing value in CSV files.
NULL_STRINGS = ("", "NULL", "null", "NaN", "N/A", "None")


@dataclass(frozen=True)
class Table:
    """An input file opened for reading.

    Attributes
    ----------
    relation
        SQL ``SELECT`` yielding the file's columns plus a 1-based ``_row``.
    columns
        Column name -> DuckDB type as read.
    decimal_comma
        The file may write decimals with a comma (semicolon-delimited CSV).
    rejects
        (data row, line, reason) of rows that do not split into the header's
        columns; they go to quarantine whole.
    """

    path: Path
    relation: str
    columns: dict[str, str]
    decimal_comma: bool = False
    rejects: tuple = ()


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise InputFileError(f"{path}: no such file")
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder; name the export files")
    if path.stat().st_size == 0:
        raise InputFileError(f"{path}: the file is empty")


def _delimiter(path: Path) -> str:
    """The delimiter: whichever of , ; tab | the header line uses most."""
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        header = fh.readline()
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _rejects(con: duckdb.DuckDBPyConnection, path: Path, args: str) -> list:
    """Rows the CSV reader cannot split into the header's columns.

    Returns (data row, text of the line, reason) for each; data row 1 is the
    line after the header.
    """
    try:
        con.execute(
            f"SELECT count(*) FROM read_csv({args}, store_rejects = true, "
            "rejects_table = '_csv_rejects', rejects_scan = '_csv_scans')"
        ).fetchall()  # the rejects table is written once the result is read
        found = con.execute(
            # A short row is reported once per missing column: keep one.
            "SELECT line - 1, any_value(trim(csv_line, chr(10) || chr(13))), "
            "string_agg(DISTINCT error_message, '; ') FROM _csv_rejects "
            "GROUP BY line ORDER BY line"
        ).fetchall()
    except duckdb.Error as exc:
        raise InputFileError(f"{path}: cannot be read as CSV ({exc})") from exc
    finally:
        con.execute("DROP TABLE IF EXISTS _csv_rejects")
        con.execute("DROP TABLE IF EXISTS _csv_scans")
    return found


def _csv_relation(con: duckdb.DuckDBPyConnection, path: Path) -> Table:
    delim = _delimiter(path)
    nulls = "[" + ", ".join(literal(s) for s in NULL_STRINGS) + "]"
    args = (
        f"{literal(str(path))}, all_varchar = true, header = true, "
        f"delim = {literal(delim)}, nullstr = {nulls}"
    )
    rejects = _rejects(con, path, args)
    reader = f"read_csv({args}, ignore_errors = true)"
    row = "row_number() OVER ()"
    if rejects:
        # The k-th readable row is data row k plus the rejected rows that
        # come before it: rejected row r_i has r_i - i readable rows before.
        before = ", ".join(f"({r - i})" for i, (r, *_) in enumerate(rejects, 1))
        row = (
            f"(rn + (SELECT count(*) FROM (VALUES {before}) AS rj(b) WHERE rj.b < rn))"
        )
        reader = f"(SELECT *, row_number() OVER () AS rn FROM {reader})"
        relation = f"SELECT * EXCLUDE (rn), {row} AS _row FROM {reader}"
    else:
        relation = f"SELECT *, {row} AS _row FROM {reader}"
    table = Table(path, relation, _describe(con, path, relation), delim != ",")
    return Table(**{**table.__dict__, "rejects": tuple(rejects)})


def _parquet_relation(con: duckdb.DuckDBPyConnection, path: Path) -> Table:
    reader = f"read_parquet({literal(str(path))}, file_row_number = true)"
    relation = (
        f"SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS _row FROM {reader}"
    )
    return Table(path, relation, _describe(con, path, relation))


def _describe(con: duckdb.DuckDBPyConnection, path: Path, relation: str) -> dict:
    try:
        rows = con.execute(f"DESCRIBE {relation}").fetchall()
    except duckdb.Error as exc:
        raise InputFileError(f"{path}: cannot be read ({exc})") from exc
    columns = {name: kind for name, kind, *_ in rows if name != "_row"}
    if not columns:
        raise InputFileError(f"{path}: no columns found")
    return columns


def open_table(con: duckdb.DuckDBPyConnection, path: Path) -> Table:
    """Open a CSV or Parquet file as a relation with a ``_row`` column.

    Raises
    ------
    InputFileError
        The file is missing, empty, or not readable as CSV or Parquet.
    """
    _check_readable(path)
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return _parquet_relation(con, path)
    if suffix in (".csv", ".txt", ".tsv"):
        return _csv_relation(con, path)
    raise InputFileError(
        f"{path}: unsupported file type {suffix!r}; expected .csv or .parquet"
    )
