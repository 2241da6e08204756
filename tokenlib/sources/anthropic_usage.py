"""Anthropic Admin API usage report (``/v1/organizations/usage_report/messages``).

Accepts a page (``{"data": [...], "has_more", "next_page"}``), a JSON array
of buckets, or JSON Lines of either. Buckets carry RFC 3339 ``starting_at``
and ``ending_at``; each result becomes one ledger row of tokens. Empty
buckets add nothing. A partial first or last bucket keeps its real bounds but
is one record with the full bucket of another export, and the copy spanning
the longer period is kept, so nothing is counted twice.

Token classes are already apart in this export: ``uncached_input_tokens``
excludes cache reads and writes, so it is the ledger's input as it stands;
cache writes come split by duration (5 minutes, 1 hour).
``server_tool_use.web_search_requests`` is a count of requests, not tokens,
and is kept in ``tags``.

Notes
-----
A group-by field is null unless the export grouped by it; a null
``workspace_id`` is also the default workspace and a null ``api_key_id``
Console use. Nulls stay null: nothing is invented. ``account_id``,
``service_account_id`` and ``speed`` are seen only in third-party clients;
they go to ``tags`` when present. ``inference_geo`` is kept as reported,
``not_available`` included.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .base import Field, Plan, quote
from .buckets import bucket_key, bucket_relation, column_fields, result_fields
from .checks import count_checks

__all__ = [
    "DIMENSIONS",
    "looks_like_anthropic_usage",
    "plan_anthropic_usage",
    "tier_sql",
]

#: Ledger dimension -> result field, in the usage and cost reports alike.
DIMENSIONS = {"model": "model", "region": "inference_geo", "project": "workspace_id"}

_TOKENS = {
    "input_tokens": "uncached_input_tokens",
    "cache_read_tokens": "cache_read_input_tokens",
    "cache_write_5m_tokens": "cache_creation.ephemeral_5m_input_tokens",
    "cache_write_1h_tokens": "cache_creation.ephemeral_1h_input_tokens",
    "output_tokens": "output_tokens",
}
_REQUIRED = ("uncached_input_tokens", "output_tokens")
_SEARCHES = "server_tool_use.web_search_requests"
_TAGS = {
    "api_key_id": "api_key_id",
    "context_window": "context_window",
    "web_search_requests": _SEARCHES,
    "account_id": "account_id",
    "service_account_id": "service_account_id",
    "speed": "speed",
}
#: Fields a usage report can be grouped by; each joins a record's key.
_GROUP_FIELDS = (
    "api_key_id",
    "workspace_id",
    "model",
    "service_tier",
    "context_window",
    "inference_geo",
    "account_id",
    "service_account_id",
    "speed",
)
#: Anthropic tier names that the ledger names otherwise.
_TIERS = {"priority_on_demand": "priority", "flex_discount": "flex"}


def tier_sql(column: str, columns: dict[str, str], default: str | None) -> str:
    """SQL mapping an Anthropic ``service_tier`` to the ledger's tier names.

    ``priority_on_demand`` is priority and ``flex_discount`` flex; other
    values are kept lower case; a null or absent tier is ``default``.
    """
    fallback = "NULL" if default is None else f"'{default}'"
    if column not in columns:
        return fallback
    t = f"lower(trim(CAST({quote(column)} AS VARCHAR)))"
    cases = " ".join(f"WHEN '{a}' THEN '{b}'" for a, b in _TIERS.items())
    return f"coalesce(CASE {t} {cases} ELSE nullif({t}, '') END, {fallback})"


def looks_like_anthropic_usage(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """A JSON file of ``starting_at`` buckets whose results carry no money.

    An export of only empty buckets is claimed here: it reads no rows.
    """
    fields = result_fields(con, path, "starting_at", "ending_at")
    return fields is not None and "amount" not in fields


def plan_anthropic_usage(
    con: duckdb.DuckDBPyConnection, path: Path
) -> tuple[Plan, dict[str, str]]:
    """Describe how an Anthropic messages usage report fills the ledger.

    Raises
    ------
    MissingColumnError
        The results lack ``uncached_input_tokens`` or ``output_tokens``.
    """
    empty = {c: "BIGINT" for c in _REQUIRED}
    relation, columns = bucket_relation(
        con,
        path,
        "starting_at",
        "ending_at",
        empty,
        hint="Is this a messages usage report?",
    )
    # Tokens by class, each checked by the engine under the export's name.
    fields = {
        ledger: Field("tokens", column=col)
        for ledger, col in _TOKENS.items()
        if col in columns
    }
    fields |= {
        "start": Field("time", column="bucket_start", required=True),
        "end": Field("time", column="bucket_end"),
        "provider": Field("text", expr="'anthropic'"),
        "grain": Field("text", expr="'bucket'"),
        "record_type": Field("text", expr="'usage'"),
        "service_tier": Field(
            "text", expr=tier_sql("service_tier", columns, "standard")
        ),
    }
    # Dimensions as reported; absent fields stay unset.
    fields |= column_fields(columns, DIMENSIONS, _TAGS)
    # Web searches are a count kept in tags: check them as the engine
    # checks a count column.
    checks = []
    if _SEARCHES in columns:
        text = f"CAST({quote(_SEARCHES)} AS VARCHAR)"
        checks = count_checks(_SEARCHES, text, negative="negative count")
    # A record is its bucket slot and group-by values.
    key = bucket_key(con, relation, columns, _GROUP_FIELDS)
    plan = Plan(
        source="anthropic_usage",
        path=path,
        relation=relation,
        fields=fields,
        key=key,
        key_is_unique=True,
        checks=checks,
    )
    return plan, columns
