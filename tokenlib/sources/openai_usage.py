"""OpenAI organisation Usage API, completions endpoint, as exported JSON.

Accepts a page (``{"object": "page", "data": [...]}``), a JSON array of
buckets, or JSON Lines of either. Each bucket's ``results`` become ledger
rows; empty buckets add nothing, and a partial first or last bucket keeps its
real ``start_time`` and ``end_time`` but is one record with the full bucket of
another export (the copy spanning the longer period is kept).
``input_tokens`` includes ``input_cached_tokens``: the reader splits them so
input is uncached only.
Group-by fields the export did not group by are null and stay null.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ..errors import InputFileError, MissingColumnError
from .base import Check, Field, Plan, describe, quote
from .buckets import bucket_key, column_fields, result_fields, source_sql
from .checks import count_checks

__all__ = ["looks_like_openai_usage", "plan_openai_usage"]

_GROUP_FIELDS = (
    "project_id",
    "user_id",
    "api_key_id",
    "model",
    "batch",
    "service_tier",
)


def looks_like_openai_usage(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """A JSON file of usage buckets, or pages of them, carrying no money."""
    if path.suffix.lower() not in (".json", ".jsonl", ".ndjson"):
        return False
    try:
        cols = describe(con, f"SELECT * FROM {source_sql(path)}")
    except duckdb.Error:
        return False
    if "data" in cols:
        found = "start_time" in cols["data"] and "results" in cols["data"]
    else:
        found = {"start_time", "end_time", "results"} <= set(cols)
    # Costs exports share the envelope; their results carry money.
    return found and "amount" not in (
        result_fields(con, path, "start_time", "end_time") or ()
    )


def _relation(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[str, dict[str, str]]:
    src = source_sql(path)
    try:
        cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()]
    except duckdb.Error as exc:
        raise InputFileError(f"{path}: cannot be read as JSON ({exc})") from exc
    buckets = (
        f"SELECT unnest(data, recursive := false) AS b FROM {src}"
        if "data" in cols
        else f"SELECT struct_pack(start_time, end_time, results) AS b FROM {src}"
    )
    rows = (
        f"SELECT b.start_time AS bucket_start, b.end_time AS bucket_end, "
        f"unnest(b.results, recursive := true) FROM ({buckets})"
    )
    relation = f"SELECT *, row_number() OVER () AS _row FROM ({rows})"
    try:
        described = con.execute(f"DESCRIBE {relation}").fetchall()
        empty = not con.execute(f"SELECT count(*) FROM ({relation})").fetchone()[0]
    except duckdb.Error:
        empty = True
    if empty:
        # Every bucket empty: no result fields to read, and no rows.
        relation = (
            "SELECT NULL::BIGINT AS bucket_start, NULL::BIGINT AS bucket_end, "
            "NULL::BIGINT AS input_tokens, NULL::BIGINT AS output_tokens, "
            "NULL::BIGINT AS _row WHERE false"
        )
        described = con.execute(f"DESCRIBE {relation}").fetchall()
    return relation, {r[0]: r[1] for r in described if r[0] != "_row"}


def plan_openai_usage(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[Plan, dict]:
    """Describe how an OpenAI completions usage export fills the ledger."""
    relation, columns = _relation(con, path)
    missing = [c for c in ("input_tokens", "output_tokens") if c not in columns]
    if missing:
        raise MissingColumnError(path, missing, list(columns))
    has = set(columns)
    cached = quote("input_cached_tokens") if "input_cached_tokens" in has else "0"
    cached_count = f"coalesce(TRY_CAST({cached} AS BIGINT), 0)"
    fields = {
        "start": Field("time", column="bucket_start", required=True),
        "end": Field("time", column="bucket_end"),
        "input_tokens": Field(
            "tokens",
            expr=f"TRY_CAST(input_tokens AS BIGINT) - {cached_count}",
        ),
        "cache_read_tokens": Field(
            "tokens", expr=f"coalesce(TRY_CAST({cached} AS BIGINT), 0)"
        ),
        "output_tokens": Field("tokens", column="output_tokens"),
        "provider": Field("text", expr="'openai'"),
        "grain": Field("text", expr="'bucket'"),
        "record_type": Field("text", expr="'usage'"),
    }
    if "num_model_requests" in has:
        fields["requests"] = Field("count", column="num_model_requests")
    dims = {"model": "model", "project": "project_id", "user": "user_id"}
    fields |= column_fields(columns, dims, {"api_key_id": "api_key_id"})
    tier = []
    if "batch" in has:
        tier.append("CASE WHEN TRY_CAST(batch AS BOOLEAN) THEN 'batch' END")
    if "service_tier" in has:
        tier.append(
            "CASE WHEN service_tier = 'default' THEN 'standard' ELSE service_tier END"
        )
    tiers = ", ".join([*tier, "'standard'"])
    fields["service_tier"] = Field("text", expr=f"coalesce({tiers})")
    # Checks in the order a reader should hear of them: a negative input
    # is named as such, not as cached tokens exceeding it.
    checks = [
        *count_checks("input_tokens", "CAST(input_tokens AS VARCHAR)"),
        *count_checks("input_cached_tokens", f"CAST({cached} AS VARCHAR)"),
        Check(
            "input_cached_tokens",
            f"CAST({cached} AS VARCHAR)",
            f"coalesce({cached_count} > TRY_CAST(input_tokens AS BIGINT), false)",
            "cached tokens exceed input_tokens, which include them",
        ),
    ]
    # A bucket is keyed by its slot (start rounded down to the bucket width),
    # so a partial first or last bucket and a later export's full bucket are
    # one record; a group-by field the export lacks keys the same as null.
    key = bucket_key(con, relation, columns, _GROUP_FIELDS)
    plan = Plan(
        source="openai_usage",
        path=path,
        relation=relation,
        fields=fields,
        key=key,
        key_is_unique=True,
        checks=checks,
    )
    return plan, columns
