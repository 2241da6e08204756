"""Load input files into the ledger: parse, check, quarantine, upsert.

Everything here is set operations in DuckDB. A file's rows are parsed by SQL
expressions built from the reader's :class:`~tokenlib.sources.base.Plan`;
rows with a bad value go to the ``quarantine`` table with file, row, column,
value and reason; the rest are upserted on ``record_id``, so re-ingesting the
same or an overlapping export never counts a record twice (a re-export's
copy replaces the earlier one, which is how restated billing rows land,
unless it spans a shorter period: a partial bucket never replaces a full one).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .errors import ParameterError
from .schema import LEDGER_COLUMNS, TABLE_COLUMNS, TOKEN_COLUMNS
from .sources import plan_for
from .sources.base import Field, Plan, literal, quote

__all__ = ["IngestSummary", "ingest_file", "ingest_paths"]

log = logging.getLogger(__name__)

_PLAUSIBLE_YEARS = (2000, 2100)
# Column types whose values need no whole-number check.
_INTEGER_TYPES = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER")


@dataclass(frozen=True)
class IngestSummary:
    """What one file's ingest did; ``rows_read`` is the sum of the rest."""

    path: str
    source: str
    rows_read: int
    ingested: int
    duplicate: int
    quarantined: int
    #: Of the duplicates, records whose held copy this file changed (a
    #: restated bill, or the same file ingested with other ``--set`` values).
    replaced: int = 0

    def __str__(self) -> str:
        text = (
            f"{self.path} [{self.source}]: {self.rows_read:,} rows read, "
            f"{self.ingested:,} ingested, {self.duplicate:,} duplicate, "
            f"{self.quarantined:,} quarantined"
        )
        if self.replaced:
            text += f" ({self.replaced:,} held records changed by this copy)"
        return text


def _text(col: str) -> str:
    return f"nullif(trim(CAST({col} AS VARCHAR)), '')"


def _parse(f: Field, plan: Plan, columns: Mapping[str, str]) -> tuple[str, str, str]:
    """Return (value, bad-value condition, reason) SQL for a column field."""
    col = quote(f.column)
    typed = not columns[f.column].upper().startswith("VARCHAR")
    t = col if typed else _text(col)
    integer = columns[f.column].upper() in _INTEGER_TYPES
    if f.kind in ("tokens", "count"):
        v = col if integer else f"TRY_CAST({t} AS BIGINT)"
        whole = f"TRY_CAST({t} AS DOUBLE) = {v}"
        bad = (
            "false"
            if integer
            else f"({t} IS NOT NULL AND ({v} IS NULL OR NOT ({whole})))"
        )
        bad_neg = f"coalesce({v} < 0, false)"
        what = "token count" if f.kind == "tokens" else "count"
        return (
            v,
            f"({bad} OR {bad_neg})",
            f"CASE WHEN {bad} THEN 'not a whole number' ELSE 'negative {what}' END",
        )
    if f.kind in ("money", "float"):
        if not typed and plan.decimal_comma:
            t = (
                f"CASE WHEN {t} LIKE '%,%' AND {t} NOT LIKE '%.%' "
                f"THEN replace({t}, ',', '.') ELSE {t} END"
            )
        target = "DECIMAL(38, 12)" if f.kind == "money" else "DOUBLE"
        v = f"TRY_CAST({t} AS {target})"
        return v, f"({t} IS NOT NULL AND {v} IS NULL)", "'not a number'"
    if f.kind == "time":
        kind = columns[f.column].upper()
        if kind.startswith(("BIGINT", "INTEGER", "DOUBLE", "HUGEINT", "UBIGINT")):
            v = f"to_timestamp({col})"
        else:
            v = f"TRY_CAST({t} AS TIMESTAMPTZ)"
        lo, hi = _PLAUSIBLE_YEARS
        odd = f"year({v}) NOT BETWEEN {lo} AND {hi}"
        bad = f"({t} IS NOT NULL AND ({v} IS NULL OR {odd}))"
        return v, bad, "'unparseable time'"
    if f.kind == "json":
        v = f"TRY_CAST({t} AS JSON)"
        return v, f"({t} IS NOT NULL AND {v} IS NULL)", "'not valid JSON'"
    return t, "false", "''"


def _fills(plan: Plan, defaults: Mapping) -> dict[str, str]:
    """SQL of each value set for the whole file, typed for the plan's table."""
    fills = {}
    for name, value in defaults.items():
        if name not in TABLE_COLUMNS[plan.table]:
            continue
        kind = TABLE_COLUMNS[plan.table][name]
        kind = kind.split(" NOT NULL")[0].split(" DEFAULT")[0]
        fill = f"CAST({literal(value)} AS {kind})"
        fills[name] = f"lower({fill})" if name == "provider" else fill
    return fills


def _staged_sql(plan: Plan, columns: Mapping[str, str], defaults: Mapping) -> str:
    """Build the SELECT that parses every row and names its first fault."""
    values: dict[str, str] = {}
    faults: list[tuple[str, str, str, str]] = []  # column, value, bad, reason
    fills = _fills(plan, defaults)

    # Parse each field; collect its faults in column order. A required value
    # the file leaves empty is not missing when it is set for the whole file.
    for name, f in plan.fields.items():
        if f.column is not None:
            v, bad, reason = _parse(f, plan, columns)
            faults.append((f.column, _text(quote(f.column)), bad, reason))
        else:
            v = f.expr
        if f.required:
            label = f.column or name
            raw = _text(quote(f.column)) if f.column else "NULL"
            given = f"coalesce({v}, {fills[name]})" if name in fills else v
            faults.append(
                (label, raw, f"({given}) IS NULL", "'missing required value'")
            )
        values[name] = v
    for c in plan.checks:
        faults.append((c.column, c.value, c.bad, literal(c.reason)))

    # Provider names compare case-blind: bills and usage must meet.
    if "provider" in values:
        values["provider"] = f"lower({values['provider']})"

    # The key reads the file's own values: a value set for the whole file
    # labels records but never changes which record a row is.
    from_file = dict(values)

    # Values set for the whole file fill what the file leaves empty.
    for name, fill in fills.items():
        values[name] = f"coalesce({values[name]}, {fill})" if name in values else fill

    # Stable record id from source and natural key; identical rows are
    # told apart by their order of appearance unless the key is unique.
    parts = [*plan.key] + [
        f"coalesce({from_file.get(n, 'NULL')}, 0)"
        if n in TOKEN_COLUMNS
        else from_file.get(n, "NULL")
        for n in plan.key_fields
    ]
    key = ", ".join(f"coalesce(CAST({k} AS VARCHAR), '')" for k in parts)
    keyed = (
        f"SELECT *, md5(concat_ws('|', {literal(plan.source)}, {key})) AS _k "
        f"FROM ({plan.relation})"
    )
    if plan.key_is_unique:
        rid = "CAST(_k AS UUID)"
    else:
        rid = (
            "CAST(md5(_k || '|' || row_number() OVER (PARTITION BY _k ORDER BY _row))"
            " AS UUID)"
        )

    bad_col = " ".join(f"WHEN {b} THEN {literal(c)}" for c, _, b, _ in faults)
    bad_val = " ".join(f"WHEN {b} THEN {v}" for _, v, b, _ in faults)
    bad_why = " ".join(f"WHEN {b} THEN {r}" for _, _, b, r in faults)
    wrap = (lambda w: f"CASE {w} END") if faults else (lambda w: "NULL")
    select = [f"{v} AS {quote(n)}" for n, v in values.items()]
    select += [
        f"{rid} AS record_id",
        "_row",
        f"{wrap(bad_col)} AS _bad_column",
        f"{wrap(bad_val)} AS _bad_value",
        f"{wrap(bad_why)} AS _bad_reason",
    ]
    return f"SELECT {', '.join(select)} FROM ({keyed}) AS raw"


def _insert_columns(plan: Plan, defaults: Mapping, file_label: str) -> list[str]:
    """The target table's columns in order, each filled from the staged row."""
    given = set(plan.fields) | set(defaults)
    out = []
    for name in TABLE_COLUMNS[plan.table]:
        if name == "record_id":
            out.append("record_id")
        elif name == "source":
            out.append(literal(plan.source))
        elif name == "source_file":
            out.append(literal(file_label))
        elif name == "source_row":
            out.append("_row")
        elif name in given:
            q = quote(name)
            out.append(f"coalesce({q}, 0)" if name in TOKEN_COLUMNS else q)
        elif name in TOKEN_COLUMNS:
            out.append("0")
        else:
            out.append("NULL")
    return out


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    fmt: str | None = None,
    mapping: Mapping[str, str] | None = None,
    set_values: Mapping[str, str] | None = None,
) -> IngestSummary:
    """Ingest one export into the ledger open on ``con``.

    Parameters
    ----------
    con
        Connection from :func:`tokenlib.ledger.open_ledger`.
    path
        CSV, Parquet or JSON export.
    fmt
        Source format; detected from the content when None.
    mapping
        Ledger column -> file column, for request logs of other layouts.
    set_values
        Ledger column -> value for the whole file (fills empty values).

    Returns
    -------
    IngestSummary
        Rows read, ingested, duplicate and quarantined; they add up.

    Raises
    ------
    InputFileError
        The file cannot be read or lacks a required column.
    """
    path = Path(path)
    defaults = dict(set_values or {})
    for name in defaults:
        if name not in LEDGER_COLUMNS or name in ("record_id", "source_file"):
            raise ParameterError(
                f"--set {name}=...: not a ledger column; expected one of "
                + ", ".join(LEDGER_COLUMNS)
            )
    plans = plan_for(con, path, fmt, dict(mapping or {}))
    label = str(path.resolve())

    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM quarantine WHERE source_file = ?", [label])
        parts = [_apply(con, plan, cols, defaults, label) for plan, cols in plans]
        summary = IngestSummary(
            path=label,
            source=plans[0][0].source,
            rows_read=sum(p.rows_read for p in parts),
            ingested=sum(p.ingested for p in parts),
            duplicate=sum(p.duplicate for p in parts),
            quarantined=sum(p.quarantined for p in parts),
            replaced=sum(p.replaced for p in parts),
        )
        con.execute(
            "INSERT INTO ingest_log VALUES (?, ?, ?, ?, ?, ?, now())",
            [
                label,
                summary.source,
                summary.rows_read,
                summary.ingested,
                summary.duplicate,
                summary.quarantined,
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    log.info("%s", summary)
    return summary


def _repeats_key(con: duckdb.DuckDBPyConnection, plan: Plan) -> bool:
    """Tell whether any record id may repeat inside the file (cheap check).

    Counts distinct hashes of the key: a repeat always shows, and a rare hash
    collision only sends the file down the de-duplicating path.
    """
    key = ", ".join(plan.key)
    sql = f"SELECT count(*) > count(DISTINCT hash({key})) FROM ({plan.relation})"
    return bool(con.execute(sql).fetchone()[0])


def _apply(con, plan: Plan, columns, defaults, label: str) -> IngestSummary:
    """Ingest one plan's rows into its table; faulty rows to quarantine."""
    staged = _staged_sql(plan, columns, defaults)
    good = f"SELECT * FROM ({staged}) WHERE _bad_column IS NULL"
    if plan.key_is_unique and _repeats_key(con, plan):
        # A record repeated inside the file: its last copy stands.
        good += (
            f" AND _row IN (SELECT max(_row) FROM ({staged}) "
            "WHERE _bad_column IS NULL GROUP BY record_id)"
        )
    before = _quarantined(con, label)
    readable = con.execute(f"SELECT count(*) FROM ({plan.relation})").fetchone()[0]
    inserted, held, changed = _upsert(con, plan, good, defaults, label)

    # Faulty rows to quarantine; when every readable row went in there are
    # none, and the pass over the file is skipped.
    if inserted < readable:
        con.execute(
            f"""INSERT INTO quarantine
            SELECT {literal(plan.source)}, {literal(label)}, s._row, s._bad_column,
                   s._bad_value, s._bad_reason, to_json(raw), now()
            FROM ({staged}) AS s JOIN ({plan.relation}) AS raw USING (_row)
            WHERE s._bad_column IS NOT NULL"""
        )
    if plan.rejects:
        con.executemany(
            "INSERT INTO quarantine VALUES (?, ?, ?, '(whole row)', ?, ?, NULL, now())",
            [
                [
                    plan.source,
                    label,
                    row,
                    line,
                    f"row does not split into the header's columns: {why}",
                ]
                for row, line, why in plan.rejects
            ],
        )
    quarantined = _quarantined(con, label) - before
    rows_read = readable + len(plan.rejects)
    return IngestSummary(
        path=label,
        source=plan.source,
        rows_read=rows_read,
        ingested=inserted - held,
        duplicate=rows_read - quarantined - (inserted - held),
        quarantined=quarantined,
        replaced=changed,
    )


def _quarantined(con, label: str) -> int:
    return con.execute(
        "SELECT count(*) FROM quarantine WHERE source_file = ?", [label]
    ).fetchone()[0]


def _upsert(con, plan: Plan, good: str, defaults, label: str) -> tuple[int, int, int]:
    """Insert the good rows; return (rows inserted, held rows they took the
    place of, and of those the ones whose content changed).

    Records already in the ledger are replaced by this copy, unless the held
    copy spans a longer period (this one is a partial bucket of it).
    """
    replaced = 0
    names = list(TABLE_COLUMNS[plan.table])
    values = _insert_columns(plan, defaults, label)
    rows = ", ".join(f"{v} AS {quote(n)}" for v, n in zip(values, names, strict=True))
    has_rows = con.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {plan.table} WHERE source = ? LIMIT 1)",
        [plan.source],
    ).fetchone()[0]
    if has_rows:
        span = 'epoch("end") - epoch(start)'
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _ids AS SELECT record_id, {span} AS span "
            f"FROM ({good})"
        )
        con.execute(
            f"DELETE FROM _ids WHERE record_id IN (SELECT record_id FROM {plan.table} "
            f"JOIN _ids AS n USING (record_id) WHERE {span} > n.span)"
        )
        # Held copies that this one changes (not mere repeats of them).
        content = [
            quote(n)
            for n in names
            if n not in ("record_id", "source_file", "source_row")
        ]
        same = " AND ".join(f"n.{c} IS NOT DISTINCT FROM o.{c}" for c in content)
        replaced = con.execute(
            f"SELECT count(*) FROM (SELECT {rows} FROM ({good})) n "
            f"JOIN {plan.table} o USING (record_id) "
            f"WHERE record_id IN (SELECT record_id FROM _ids) AND NOT ({same})"
        ).fetchone()[0]
        held = con.execute(
            f"DELETE FROM {plan.table} WHERE record_id IN (SELECT record_id FROM _ids)"
        ).fetchone()[0]
        good = f"SELECT * FROM ({good}) WHERE record_id IN (SELECT record_id FROM _ids)"
    inserted = con.execute(
        f"INSERT INTO {plan.table} ({', '.join(map(quote, names))}) "
        f"SELECT {', '.join(values)} FROM ({good})"
    ).fetchone()[0]
    if has_rows:
        con.execute("DROP TABLE _ids")
    return inserted, held if has_rows else 0, replaced


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    paths: Iterable[str | Path],
    **options,
) -> list[IngestSummary]:
    """Ingest several files with the same options; stop at the first error."""
    return [ingest_file(con, path, **options) for path in paths]
