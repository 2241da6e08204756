"""Anthropic Admin API cost report (``/v1/organizations/cost_report``).

Same envelope as the usage report (pages, arrays or JSON Lines of daily
``starting_at`` buckets), told apart by its results carrying ``amount``.
``amount`` is a decimal string in the currency's lowest unit: cents for USD,
so ``"36.1500"`` is 0.3615 USD. It is converted as a DECIMAL, never a float,
into ``billed_cost`` and ``effective_cost``.

``cost_type`` ``tokens`` rows are money for tokens (``token_charge``, with
their model): the pricing engine takes them as the money of record for that
provider, UTC day and model, and splits them over the priced usage. Web
search, code execution, session usage and any other cost type are other
charges (``charge``). ``token_type``, ``description``, ``context_window``
and ``cost_type`` go to ``tags``.

Notes
-----
Without ``group_by=description`` every field but ``amount`` and ``currency``
is null, and the row is the day's whole bill (per workspace when grouped by
it). Such a row is read as a token charge with no model, so it covers the
provider's usage that day instead of adding to it; the web search or code
execution money inside it cannot be told apart. Currencies other than USD
are converted by their ISO 4217 minor unit (0 for JPY and KRW, 3 for the
dinars); Anthropic is known to report USD only.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .anthropic_usage import DIMENSIONS, tier_sql
from .base import Check, Field, Plan
from .buckets import (
    CLOUD_AI,
    bucket_key,
    bucket_relation,
    column_fields,
    result_fields,
)
from .checks import currency_check, money_checks

__all__ = ["looks_like_anthropic_cost", "plan_anthropic_cost", "minor_to_major"]

_REQUIRED = ("amount", "currency")
_TAGS = {
    "cost_type": "cost_type",
    "token_type": "token_type",
    "description": "description",
    "context_window": "context_window",
}
#: Every field a cost row is told apart by; each joins the record's key.
_GROUP_FIELDS = (
    "workspace_id",
    "description",
    "cost_type",
    "token_type",
    "model",
    "service_tier",
    "context_window",
    "inference_geo",
    "currency",
)
#: ISO 4217 currencies whose minor unit is not a hundredth.
_MINOR_DIGITS = {"JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3}


def looks_like_anthropic_cost(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """A JSON file of ``starting_at`` buckets whose results carry ``amount``."""
    fields = result_fields(con, path, "starting_at", "ending_at")
    return fields is not None and "amount" in fields


def minor_to_major(amount: str, currency: str) -> str:
    """SQL turning an amount in the lowest currency unit into a DECIMAL.

    Every branch is DECIMAL(38, 12), exact for amounts given to 10 places.
    """
    text = f"trim(CAST({amount} AS VARCHAR))"
    cases = " ".join(
        f"WHEN '{code}' THEN TRY_CAST({text} AS DECIMAL(38, {12 - digits}))"
        f" * CAST({10.0**-digits:.{digits}f} AS DECIMAL({digits + 1}, {digits}))"
        if digits
        else f"WHEN '{code}' THEN TRY_CAST({text} AS DECIMAL(38, 12))"
        for code, digits in _MINOR_DIGITS.items()
    )
    hundredth = f"TRY_CAST({text} AS DECIMAL(38, 10)) * CAST(0.01 AS DECIMAL(3, 2))"
    return f"CASE {currency} {cases} ELSE {hundredth} END"


def _checks(currency: str) -> list[Check]:
    """Rows whose amount or currency cannot be read go to quarantine."""
    return [
        *money_checks("amount", "CAST(amount AS VARCHAR)", scale=10),
        currency_check("currency", "CAST(currency AS VARCHAR)", currency),
    ]


def plan_anthropic_cost(
    con: duckdb.DuckDBPyConnection, path: Path
) -> tuple[Plan, dict[str, str]]:
    """Describe how an Anthropic cost report fills the ledger.

    Raises
    ------
    MissingColumnError
        The results lack ``amount`` or ``currency``.
    """
    empty = {c: "VARCHAR" for c in _REQUIRED}
    relation, columns = bucket_relation(
        con, path, "starting_at", "ending_at", empty, hint="Is this a cost report?"
    )
    currency = "upper(trim(CAST(currency AS VARCHAR)))"
    money = minor_to_major("amount", currency)
    cost_type = (
        "lower(trim(CAST(cost_type AS VARCHAR)))" if "cost_type" in columns else "NULL"
    )
    # Money for tokens, or the day's ungrouped bill, is a token charge.
    record_type = (
        f"CASE WHEN coalesce({cost_type}, 'tokens') = 'tokens' "
        "THEN 'token_charge' ELSE 'charge' END"
    )
    fields = {
        "start": Field("time", column="bucket_start", required=True),
        "end": Field("time", column="bucket_end"),
        "billed_cost": Field("money", expr=money),
        "effective_cost": Field("money", expr=money),
        "currency": Field("text", expr=currency),
        "provider": Field("text", expr="'anthropic'"),
        "grain": Field("text", expr="'bucket'"),
        "record_type": Field("text", expr=record_type),
        "service_category": Field("text", expr=f"'{CLOUD_AI}'"),
        "service_tier": Field("text", expr=tier_sql("service_tier", columns, None)),
    }
    fields |= column_fields(columns, DIMENSIONS, _TAGS)
    # A record is its day and every grouping value of the row.
    key = bucket_key(con, relation, columns, _GROUP_FIELDS)
    plan = Plan(
        source="anthropic_cost",
        path=path,
        relation=relation,
        fields=fields,
        key=key,
        key_is_unique=True,
        checks=_checks(currency),
    )
    return plan, columns
