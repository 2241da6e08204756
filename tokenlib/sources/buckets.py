"""Shared reading of admin-API exports made of time buckets of results.

OpenAI and Anthropic report usage and cost as buckets ``{start, end,
results: [...]}``, served in pages ``{"data": [...], "has_more",
"next_page"}``. An export may be one page, a JSON array of buckets, or JSON
Lines of pages or buckets. This module turns any of these into one relation
with a row per result, the bucket bounds as ``bucket_start`` and
``bucket_end``, and nested result objects flattened to dotted column names
(``cache_creation.ephemeral_5m_input_tokens``), so a fault names the field as
the export spells it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..errors import InputFileError, MissingColumnError
from .base import Field, literal, quote

__all__ = [
    "CLOUD_AI",
    "bucket_key",
    "bucket_relation",
    "column_fields",
    "json_tags",
    "result_fields",
    "slot_sql",
    "source_sql",
]

#: The FOCUS service category of these exports' money rows.
CLOUD_AI = "AI and Machine Learning"

JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")


def source_sql(path: Path) -> str:
    """Return the ``read_json`` call reading ``path`` in any of its shapes."""
    return (
        f"read_json({literal(str(path))}, format = 'auto', "
        "maximum_object_size = 268435456)"
    )


def _describe(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(f"DESCRIBE {sql}").fetchall()}


def _buckets_sql(cols: dict[str, str], src: str, start: str, end: str) -> str:
    """SQL giving one struct ``b`` per bucket, from pages, buckets or both."""
    parts = []
    if "data" in cols:
        parts.append(
            f"SELECT unnest(data, recursive := false) AS b FROM {src} "
            "WHERE data IS NOT NULL"
        )
    if {start, end, "results"} <= set(cols):
        parts.append(
            f"SELECT struct_pack({quote(start)}, {quote(end)}, results) AS b "
            f"FROM {src} WHERE results IS NOT NULL"
        )
    if not parts:
        raise duckdb.InvalidInputException("no buckets")
    return " UNION ALL BY NAME ".join(parts)


def _results_sql(cols: dict[str, str], src: str, start: str, end: str) -> str:
    """SQL giving each result as struct ``r`` with its bucket's bounds."""
    return (
        f"SELECT b.{quote(start)} AS bucket_start, b.{quote(end)} AS bucket_end, "
        f"unnest(b.results, recursive := false) AS r "
        f"FROM ({_buckets_sql(cols, src, start, end)})"
    )


def result_fields(
    con: duckdb.DuckDBPyConnection, path: Path, start: str, end: str
) -> set[str] | None:
    """Return the field names of a bucket export's results, or None.

    None means the file is not a bucket export with ``start`` and ``end``
    bounds. An export whose buckets are all empty has no fields: an empty set.
    """
    if path.suffix.lower() not in JSON_SUFFIXES:
        return None
    src = source_sql(path)
    try:
        cols = _describe(con, f"SELECT * FROM {src}")
        results = _results_sql(cols, src, start, end)
        kinds = _describe(con, results)
    except duckdb.Error:
        return None
    if not kinds["r"].upper().startswith("STRUCT"):
        return set()
    return set(_describe(con, f"SELECT r.* FROM ({results})"))


def _leaf(path: str, name: str, kind: str) -> str:
    """Select one result value; JSON (mixed types) is read as its text."""
    if kind.upper() == "JSON":
        return f"json_extract_string({path}, '$') AS {quote(name)}"
    return f"{path} AS {quote(name)}"


def _flat(con: duckdb.DuckDBPyConnection, results: str) -> list[str]:
    """Select list flattening ``r`` one level: ``a.b`` for nested objects."""
    out = []
    for name, kind in _describe(con, f"SELECT r.* FROM ({results})").items():
        if kind.upper().startswith("STRUCT("):
            nested = f"SELECT r.{quote(name)} AS n FROM ({results})"
            inner = _describe(con, f"SELECT n.* FROM ({nested})")
            out += [
                _leaf(f"r.{quote(name)}.{quote(sub)}", f"{name}.{sub}", k)
                for sub, k in inner.items()
            ]
        else:
            out.append(_leaf(f"r.{quote(name)}", name, kind))
    return out


def bucket_relation(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    start: str,
    end: str,
    empty: dict[str, str],
    hint: str | None = None,
) -> tuple[str, dict[str, str]]:
    """Return (relation, column types) with one row per result and ``_row``.

    ``empty`` gives the result columns (name -> type) that a planner needs:
    the no-row relation used when every bucket is empty has them, and a file
    lacking one is refused, with ``hint`` in the message.

    Raises
    ------
    InputFileError
        The file is not JSON or has no buckets with ``start`` and ``end``.
    MissingColumnError
        The results lack a column of ``empty``.
    """
    src = source_sql(path)
    try:
        cols = _describe(con, f"SELECT * FROM {src}")
        results = _results_sql(cols, src, start, end)
        kinds = _describe(con, results)
    except duckdb.Error as exc:
        raise InputFileError(
            f"{path}: expected JSON buckets with {start}, {end} and results, "
            f"or pages of them ({exc})"
        ) from exc
    if kinds["r"].upper().startswith("STRUCT"):
        rows = f"SELECT bucket_start, bucket_end, {', '.join(_flat(con, results))} "
        relation = (
            f"SELECT *, row_number() OVER () AS _row FROM ({rows} FROM ({results}))"
        )
    else:
        # Every bucket empty: no result fields to read, and no rows.
        typed = ", ".join(f"NULL::{t} AS {quote(c)}" for c, t in empty.items())
        relation = (
            "SELECT NULL::TIMESTAMPTZ AS bucket_start, "
            f"NULL::TIMESTAMPTZ AS bucket_end, {typed}, NULL::BIGINT AS _row "
            "WHERE false"
        )
    described = _describe(con, relation)
    columns = {c: t for c, t in described.items() if c != "_row"}
    missing = [c for c in empty if c not in columns]
    if missing:
        raise MissingColumnError(path, missing, list(columns), hint=hint)
    return relation, columns


def _epoch(col: str, kind: str) -> str:
    """SQL for a bucket bound in Unix seconds, whatever type it was read as."""
    if kind.upper().startswith(("BIGINT", "INTEGER", "UBIGINT", "DOUBLE")):
        return f"TRY_CAST({col} AS BIGINT)"
    return f"CAST(epoch(TRY_CAST({col} AS TIMESTAMPTZ)) AS BIGINT)"


def slot_sql(
    con: duckdb.DuckDBPyConnection, relation: str, columns: dict[str, str]
) -> str:
    """SQL for a bucket's slot: its start rounded down to a minute, hour or day.

    The width is the widest bucket in the file rounded up to 1m, 1h or 1d, so
    a partial first or last bucket keys the same as the full bucket of a
    later export. A file holding only a bucket shorter than its width may be
    keyed at a finer slot than a later export of the same bucket.
    """
    start = _epoch("bucket_start", columns["bucket_start"])
    end = _epoch("bucket_end", columns["bucket_end"])
    widest = (
        con.execute(f"SELECT max({end} - {start}) FROM ({relation})").fetchone()[0] or 0
    )
    width = next(w for w in (60, 3600, 86400) if widest <= w or w == 86400)
    return f"({start} - {start} % {width})"


def bucket_key(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    columns: dict[str, str],
    group_fields: tuple[str, ...],
) -> list[str]:
    """Key SQL of a bucket result: its slot and every group-by field.

    A partial bucket and the full one are the same record; a group-by field
    the export lacks keys the same as null.
    """
    group = [quote(c) if c in columns else "NULL" for c in group_fields]
    return [slot_sql(con, relation, columns), *group]


def column_fields(
    columns: dict[str, str], pairs: dict[str, str], tags: dict[str, str]
) -> dict[str, Field]:
    """Text fields ledger column -> file column, and ``tags``, that the file has.

    Absent columns stay unset; ``tags`` maps tag names to file columns
    (:func:`json_tags`).
    """
    fields = {
        ledger: Field("text", column=col)
        for ledger, col in pairs.items()
        if col in columns
    }
    expr = json_tags(columns, tags)
    if expr:
        fields["tags"] = Field("json", expr=expr)
    return fields


def json_tags(columns: dict[str, str], names: dict[str, str]) -> str | None:
    """SQL for a JSON object of tag name -> file column, nulls left out.

    Only columns the file has are used; returns None when it has none of
    them. The expression is NULL for a row whose every value is null.
    """
    present = {t: c for t, c in names.items() if c in columns}
    if not present:
        return None
    pairs = ", ".join(f"{literal(t)}, {quote(c)}" for t, c in present.items())
    merged = f"json_merge_patch('{{}}', json_object({pairs}))"
    return f"nullif(CAST({merged} AS VARCHAR), '{{}}')::JSON"
