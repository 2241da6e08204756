"""OpenAI organisation Costs API (``/v1/organization/costs``), as exported JSON.

Same envelope as the Usage API (pages, arrays or JSON Lines of daily
``start_time`` buckets in Unix seconds), told apart by its results carrying
``amount``: ``{"value": <dollars>, "currency": "usd"}``. The value becomes
``billed_cost`` and ``effective_cost`` as a DECIMAL, the currency upper case.

A ``line_item`` naming a model and a token direction is money for tokens
(``token_charge`` with that model), which the pricing engine takes as the
money of record for that provider, UTC day and model. Other line items are
other charges (``charge``). Every line item is kept in ``tags``.

Notes
-----
The line item is free text; OpenAI documents no list of its values. Strings
seen in public client code and tests (third-party, not OpenAI's own text):
``"gpt-4.1-2025-04-14, input"``, ``"..., output"``, ``"..., cached input"``
(the model as the usage export names it, a comma, the direction); a modality
word after the model (``"gpt-audio-mini-2025-12-15 audio, input"``); a tier
prefix and a context suffix (``"priority | gpt-5.6-sol, output, long
context"``); and non-token items such as ``"web search tool calls"`` and
``"Vector storage"``. This reader takes ``[<tier> | ]<model>[ <modality>],
<input|output|cached input|cache write(s)>[, ...]`` as a token charge, with a
``priority`` or ``flex`` prefix as the tier. Unsure: whether other prefixes,
directions (audio, image, reasoning) or older labels (``"GPT-4o"``) occur;
such items are read as plain charges and keep their money.

``value`` is read as JSON numbers are (a double) and turned into a decimal
through its shortest text, so a value of up to 15 significant digits is
kept exactly. Without ``group_by=line_item`` the line item is null and the
row is the day's whole bill (per project when grouped by it); it is read as
a token charge with no model, so it covers the provider's usage that day
instead of adding to it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .base import Check, Field, Plan, quote
from .buckets import (
    CLOUD_AI,
    bucket_key,
    bucket_relation,
    column_fields,
    result_fields,
)
from .checks import currency_check, money_checks

__all__ = ["LINE_ITEM", "looks_like_openai_costs", "plan_openai_costs"]

_VALUE, _CURRENCY = "amount.value", "amount.currency"
#: A line item for tokens: optional tier, model, optional modality, direction.
LINE_ITEM = (
    r"^(?:([a-z]+) \| )?([^\s,|]+)(?: [a-z]+)?, "
    r"(input|output|cached input|cache writes?)(?:, .+)?$"
)
_TAGS = {"line_item": "line_item", "api_key_id": "api_key_id"}
_GROUP_FIELDS = ("project_id", "line_item", "api_key_id", _CURRENCY)


def looks_like_openai_costs(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """A JSON file of ``start_time`` buckets whose results carry ``amount``."""
    fields = result_fields(con, path, "start_time", "end_time")
    return fields is not None and "amount" in fields


def _checks(value: str, currency: str) -> list[Check]:
    """Rows whose amount or currency cannot be read go to quarantine."""
    text = f"CAST({quote(_CURRENCY)} AS VARCHAR)"
    return [*money_checks(_VALUE, value), currency_check(_CURRENCY, text, currency)]


def plan_openai_costs(
    con: duckdb.DuckDBPyConnection, path: Path
) -> tuple[Plan, dict[str, str]]:
    """Describe how an OpenAI costs export fills the ledger.

    Raises
    ------
    MissingColumnError
        The results lack ``amount.value`` or ``amount.currency``.
    """
    empty = {_VALUE: "DOUBLE", _CURRENCY: "VARCHAR"}
    relation, columns = bucket_relation(
        con, path, "start_time", "end_time", empty, hint="Is this a costs export?"
    )
    value = f"nullif(trim(CAST({quote(_VALUE)} AS VARCHAR)), '')"
    money = f"TRY_CAST({value} AS DECIMAL(38, 12))"
    currency = f"upper(trim(CAST({quote(_CURRENCY)} AS VARCHAR)))"
    # Parse the line item once: tier prefix, model, token direction.
    item = "CAST(line_item AS VARCHAR)" if "line_item" in columns else "NULL"
    part = f"nullif(regexp_extract({item}, '{LINE_ITEM}', {{}}), '')"
    tokens = f"({item} IS NULL OR {part.format(3)} IS NOT NULL)"
    fields = {
        "start": Field("time", column="bucket_start", required=True),
        "end": Field("time", column="bucket_end"),
        "billed_cost": Field("money", expr=money),
        "effective_cost": Field("money", expr=money),
        "currency": Field("text", expr=currency),
        "provider": Field("text", expr="'openai'"),
        "grain": Field("text", expr="'bucket'"),
        "record_type": Field(
            "text", expr=f"CASE WHEN {tokens} THEN 'token_charge' ELSE 'charge' END"
        ),
        "model": Field("text", expr=part.format(2)),
        "service_tier": Field(
            "text",
            expr=f"CASE WHEN {part.format(1)} IN ('priority', 'flex') "
            f"THEN {part.format(1)} END",
        ),
        "service_category": Field("text", expr=f"'{CLOUD_AI}'"),
    }
    fields |= column_fields(columns, {"project": "project_id"}, _TAGS)
    key = bucket_key(con, relation, columns, _GROUP_FIELDS)
    plan = Plan(
        source="openai_costs",
        path=path,
        relation=relation,
        fields=fields,
        key=key,
        key_is_unique=True,
        checks=_checks(value, currency),
    )
    return plan, columns
