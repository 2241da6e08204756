"""The ledger's shape: one canonical table of usage and money, and quarantine.

Token classes are kept apart so that nothing is counted twice:
``input_tokens`` is uncached input only, cache reads and the two cache-write
durations have their own columns, and ``reasoning_tokens`` is a part of
``output_tokens`` that is never added again.
"""

from __future__ import annotations

__all__ = [
    "TOKEN_CLASSES",
    "TOKEN_COLUMNS",
    "INPUT_SQL",
    "TOKENS_SQL",
    "DIMENSIONS",
    "SERVICE_TIERS",
    "LEDGER_COLUMNS",
    "LEDGER_DDL",
    "ACTIVITY_COLUMNS",
    "ACTIVITY_DDL",
    "TABLE_COLUMNS",
    "OUTCOME_COLUMNS",
    "OUTCOME_DDL",
    "ROUTE_COLUMNS",
    "ROUTE_DDL",
    "VOLUME_COLUMNS",
    "VOLUME_DDL",
    "QUARANTINE_DDL",
    "PRICED_TOKEN_CLASSES",
]

#: Token classes as named in reports and ``metrics --json``.
TOKEN_CLASSES = (
    "input",
    "cache_read",
    "cache_write_5m",
    "cache_write_1h",
    "output",
    "reasoning",
)
#: The classes that carry a price; reasoning is priced inside output.
PRICED_TOKEN_CLASSES = TOKEN_CLASSES[:5]
TOKEN_COLUMNS = tuple(f"{c}_tokens" for c in TOKEN_CLASSES)
#: SQL of all input (uncached, cache reads and writes) and of all tokens
#: (input and output; reasoning sits inside output and is not added again).
INPUT_SQL = "(" + " + ".join(f"{c}_tokens" for c in PRICED_TOKEN_CLASSES[:4]) + ")"
TOKENS_SQL = f"({INPUT_SQL} + output_tokens)"

#: Who-and-why columns a user can group spend by.
DIMENSIONS = (
    "provider",
    "model",
    "service_tier",
    "region",
    "team",
    "user",
    "agent",
    "session",
    "use_case",
    "application",
    "environment",
    "project",
)
SERVICE_TIERS = ("standard", "batch", "priority", "flex")

#: Column name -> DuckDB type, in table order.
LEDGER_COLUMNS: dict[str, str] = {
    # identity
    "record_id": "UUID NOT NULL",
    "source": "VARCHAR NOT NULL",
    "source_file": "VARCHAR NOT NULL",
    "source_row": "BIGINT",
    # time, UTC, end exclusive; grain is 'request' or 'bucket'
    "start": "TIMESTAMPTZ NOT NULL",
    "end": "TIMESTAMPTZ",
    "grain": "VARCHAR NOT NULL",
    # what
    "provider": "VARCHAR",
    "model": "VARCHAR",
    "service_tier": "VARCHAR",
    "region": "VARCHAR",
    # tokens by class
    "input_tokens": "BIGINT NOT NULL DEFAULT 0",
    "cache_read_tokens": "BIGINT NOT NULL DEFAULT 0",
    "cache_write_5m_tokens": "BIGINT NOT NULL DEFAULT 0",
    "cache_write_1h_tokens": "BIGINT NOT NULL DEFAULT 0",
    "output_tokens": "BIGINT NOT NULL DEFAULT 0",
    "reasoning_tokens": "BIGINT NOT NULL DEFAULT 0",
    "requests": "BIGINT",
    # money, when the source carries it, in `currency`
    "billed_cost": "DECIMAL(38, 12)",
    "effective_cost": "DECIMAL(38, 12)",
    "list_cost": "DECIMAL(38, 12)",
    # what a client or gateway estimated (Claude Code, LiteLLM): never a bill
    "reported_cost": "DECIMAL(38, 12)",
    "currency": "VARCHAR",
    # 'usage' (tokens only), 'token_charge' (money for tokens), 'charge'
    "record_type": "VARCHAR NOT NULL",
    # FOCUS detail, kept for scope rules and typing credits
    "charge_category": "VARCHAR",
    "charge_class": "VARCHAR",
    "service_category": "VARCHAR",
    "service_name": "VARCHAR",
    "sku_id": "VARCHAR",
    "consumed_quantity": "DOUBLE",
    "consumed_unit": "VARCHAR",
    # who and why
    "team": "VARCHAR",
    "user": "VARCHAR",
    "agent": "VARCHAR",
    "session": "VARCHAR",
    "use_case": "VARCHAR",
    "application": "VARCHAR",
    "environment": "VARCHAR",
    "project": "VARCHAR",
    "tags": "JSON",
}


def _ddl(table: str, columns: dict[str, str]) -> str:
    body = ",\n  ".join(f'"{name}" {kind}' for name, kind in columns.items())
    return f"CREATE TABLE IF NOT EXISTS {table} (\n  {body}\n)"


LEDGER_DDL = _ddl("ledger", LEDGER_COLUMNS)

#: Identity and time of a record in every table beside the ledger: which
#: file and row it came from, and when (UTC, end exclusive).
_RECORD: dict[str, str] = {
    "record_id": "UUID NOT NULL",
    "source": "VARCHAR NOT NULL",
    "source_file": "VARCHAR NOT NULL",
    "source_row": "BIGINT",
    "start": "TIMESTAMPTZ NOT NULL",
    "end": "TIMESTAMPTZ",
}

#: Work that is not tokens or money but tells what the spend produced:
#: sessions, lines of code, commits, pull requests, active time, tool calls.
#: One row per observation of one ``metric`` (a count, or seconds).
ACTIVITY_COLUMNS: dict[str, str] = {
    **_RECORD,
    "metric": "VARCHAR NOT NULL",
    "value": "DOUBLE",
    "provider": "VARCHAR",
    "model": "VARCHAR",
    "team": "VARCHAR",
    "user": "VARCHAR",
    "agent": "VARCHAR",
    "session": "VARCHAR",
    "use_case": "VARCHAR",
    "application": "VARCHAR",
    "environment": "VARCHAR",
    "project": "VARCHAR",
    "tags": "JSON",
}

ACTIVITY_DDL = _ddl("activity", ACTIVITY_COLUMNS)

#: What AI work achieved, as the user reports it: per use case and day, or
#: per session or request. ``verified`` of ``attempted`` passed the use
#: case's check (ticket resolved without escalation, pull request merged);
#: ``value`` is revenue or value attributed, in ``currency``.
OUTCOME_COLUMNS: dict[str, str] = {
    **_RECORD,
    "use_case": "VARCHAR NOT NULL",
    "outcome": "VARCHAR",
    "session": "VARCHAR",
    "request_id": "VARCHAR",
    "attempted": "BIGINT NOT NULL",
    "verified": "BIGINT NOT NULL",
    "failed": "BIGINT",
    "value": "DECIMAL(38, 12)",
    "currency": "VARCHAR",
    "tags": "JSON",
}

#: Routing evidence: per request or evaluation sample, the model that served
#: it and the reference (premium) model, with quality scores (0 to 1) where
#: an evaluation ran. A request the reference served may carry the score a
#: cheaper ``candidate_model`` got on it (the routing opportunity).
ROUTE_COLUMNS: dict[str, str] = {
    **_RECORD,
    "use_case": "VARCHAR",
    "request_id": "VARCHAR",
    "provider": "VARCHAR",
    "served_model": "VARCHAR NOT NULL",
    "reference_model": "VARCHAR NOT NULL",
    "candidate_model": "VARCHAR",
    "served_score": "DOUBLE",
    "reference_score": "DOUBLE",
    "candidate_score": "DOUBLE",
    "input_tokens": "BIGINT NOT NULL DEFAULT 0",
    "cache_read_tokens": "BIGINT NOT NULL DEFAULT 0",
    "output_tokens": "BIGINT NOT NULL DEFAULT 0",
    "tags": "JSON",
}

#: Business volumes the executive report speaks in: per day and unit
#: (booking, resolved ticket, call, transaction), how many, and the revenue
#: and gross profit they brought, in ``currency``.
VOLUME_COLUMNS: dict[str, str] = {
    **_RECORD,
    "unit": "VARCHAR NOT NULL",
    "use_case": "VARCHAR",
    "volume": "DOUBLE NOT NULL",
    "revenue": "DECIMAL(38, 12)",
    "gross_profit": "DECIMAL(38, 12)",
    "currency": "VARCHAR",
    "tags": "JSON",
}

OUTCOME_DDL = _ddl("outcomes", OUTCOME_COLUMNS)
ROUTE_DDL = _ddl("routes", ROUTE_COLUMNS)
VOLUME_DDL = _ddl("volumes", VOLUME_COLUMNS)

#: Tables a reader's plan can fill, with their columns.
TABLE_COLUMNS = {
    "ledger": LEDGER_COLUMNS,
    "activity": ACTIVITY_COLUMNS,
    "outcomes": OUTCOME_COLUMNS,
    "routes": ROUTE_COLUMNS,
    "volumes": VOLUME_COLUMNS,
}

QUARANTINE_DDL = _ddl(
    "quarantine",
    {
        "source": "VARCHAR",
        "source_file": "VARCHAR",
        "source_row": "BIGINT",
        "column_name": "VARCHAR",
        "value": "VARCHAR",
        "reason": "VARCHAR",
        "raw": "JSON",
        "ingested_at": "TIMESTAMPTZ",
    },
)
