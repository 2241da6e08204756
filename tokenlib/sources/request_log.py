"""Request logs: one row per request, CSV or Parquet.

Columns named as in the ledger are used as they are. The Azure LLM inference
trace layout (``TIMESTAMP, ContextTokens, GeneratedTokens``; times without a
zone, read as UTC) is recognised; other layouts take a mapping
``ledger_column=file_column``. Input counts are taken as uncached input, as
in the ledger, and output as including reasoning. A log that counts
otherwise says so through two mapping targets: ``input_tokens_with_cache``
(input including cache reads and writes; the mapped cache columns are taken
out of it) and ``visible_output_tokens`` (output without reasoning, as
Gemini's ``candidatesTokenCount``; reasoning is added to it).
"""

from __future__ import annotations

from ..errors import MissingColumnError, ParameterError
from ..schema import DIMENSIONS, LEDGER_COLUMNS, TOKEN_COLUMNS
from .base import Check, Field, Plan, quote
from .files import Table
from .value_inputs import is_value_input

__all__ = ["AZURE_TRACE", "plan_request_log", "looks_like_request_log"]

#: The Azure LLM inference trace layout, as a mapping.
AZURE_TRACE = {
    "start": "TIMESTAMP",
    "input_tokens": "ContextTokens",
    "output_tokens": "GeneratedTokens",
}

_KINDS = {
    **{c: "tokens" for c in TOKEN_COLUMNS},
    **{c: "text" for c in DIMENSIONS},
    "start": "time",
    "end": "time",
    "requests": "count",
    "billed_cost": "money",
    "effective_cost": "money",
    "currency": "text",
    "tags": "json",
    "request_id": "text",
    "input_tokens_with_cache": "tokens",
    "visible_output_tokens": "tokens",
}
_IDENTITY = (
    "start",
    "end",
    "provider",
    "model",
    "service_tier",
    "region",
    *TOKEN_COLUMNS,
    "requests",
)
# Mapping targets that hold a count in another convention, and the ledger
# column each one fills.
_CONVERTED = {
    "input_tokens_with_cache": "input_tokens",
    "visible_output_tokens": "output_tokens",
}
_CACHE_COLUMNS = ("cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens")


def is_azure_trace(columns: dict[str, str]) -> bool:
    """Tell whether a file has the Azure LLM inference trace layout."""
    return set(AZURE_TRACE.values()) <= set(columns)


def looks_like_request_log(columns: dict[str, str]) -> bool:
    """A file with a start time and at least one ledger token column.

    Routing evidence has both too; its model columns tell it apart.
    """
    return is_azure_trace(columns) or (
        "start" in columns
        and any(c in columns for c in TOKEN_COLUMNS)
        and not is_value_input(columns)
    )


def _resolve_mapping(table: Table, mapping: dict[str, str]) -> dict[str, str]:
    for target, column in mapping.items():
        if target not in _KINDS:
            raise ParameterError(
                f"--map {target}={column}: {target!r} is not a ledger column "
                f"a request log can fill; expected one of {', '.join(_KINDS)}"
            )
        if column not in table.columns:
            raise MissingColumnError(table.path, [column], list(table.columns))
    resolved = {c: c for c in _KINDS if c in table.columns}
    if is_azure_trace(table.columns):
        resolved.update(AZURE_TRACE)
    resolved.update(mapping)
    return resolved


def plan_request_log(table: Table, mapping: dict[str, str]) -> Plan:
    """Describe how a request log fills the ledger.

    Raises
    ------
    MissingColumnError
        No start time or no token column after mapping.
    """
    cols = _resolve_mapping(table, mapping)
    missing = [] if "start" in cols else ["start (or --map start=COLUMN)"]
    if not any(c in cols for c in (*TOKEN_COLUMNS, *_CONVERTED)):
        missing.append("a token column such as input_tokens or output_tokens")
    if missing:
        raise MissingColumnError(table.path, missing, list(table.columns))

    fields = {
        target: Field(_KINDS[target], column=column, required=target == "start")
        for target, column in cols.items()
        if target != "request_id" and target not in _CONVERTED
    }
    checks = _convert(table, cols, fields)
    if "requests" not in fields:
        fields["requests"] = Field("count", expr="1")
    if "end" not in fields:
        fields["end"] = Field(
            "time", expr=f"TRY_CAST({quote(cols['start'])} AS TIMESTAMPTZ)"
        )
    money = quote(cols["billed_cost"]) if "billed_cost" in cols else "NULL"
    fields["record_type"] = Field(
        "text",
        expr=f"CASE WHEN {money} IS NULL THEN 'usage' ELSE 'token_charge' END",
    )
    fields["grain"] = Field("text", expr="'request'")
    # A request id is the key; without one, what the request was (time,
    # model, tier, region, token counts) is, but not who sent it, so a
    # re-ingest that maps an owner column relabels rather than adds.
    if "request_id" in cols:
        # Rows without an id go to quarantine, so the raw column can key.
        raw = quote(cols["request_id"])
        text = f"CAST({raw} AS VARCHAR)"
        key, unique, key_fields = [raw], True, []
        checks.append(
            Check(
                cols["request_id"],
                text,
                f"({raw} IS NULL OR trim({text}) = '')",
                "missing request id",
            )
        )
    else:
        key, unique, key_fields = [], False, list(_IDENTITY)
    assert set(fields) <= set(LEDGER_COLUMNS)
    return Plan(
        source="request_log",
        path=table.path,
        relation=table.relation,
        fields=fields,
        key=key,
        key_is_unique=unique,
        key_fields=key_fields,
        checks=checks,
        decimal_comma=table.decimal_comma,
        rejects=table.rejects,
    )


def _int(column: str) -> str:
    return f"TRY_CAST(nullif(trim(CAST({quote(column)} AS VARCHAR)), '') AS BIGINT)"


def _convert(table: Table, cols: dict[str, str], fields: dict) -> list[Check]:
    """Fill ledger counts from columns kept in another convention."""
    checks = []
    for target, ledger in _CONVERTED.items():
        if target not in cols:
            continue
        if ledger in cols:
            raise ParameterError(
                f"{table.path}: both {ledger} and {target} are mapped; map one of them"
            )
        raw = cols[target]
        if target == "input_tokens_with_cache":
            parts = [_int(cols[c]) for c in _CACHE_COLUMNS if c in cols]
            other, why = (
                " + ".join(f"coalesce({p}, 0)" for p in parts) or "0",
                ("cache tokens exceed the input count that includes them"),
            )
        else:
            part = _int(cols["reasoning_tokens"]) if "reasoning_tokens" in cols else "0"
            other, why = f"-coalesce({part}, 0)", "negative token count"
        value = f"({_int(raw)} - ({other}))"
        fields[ledger] = Field("tokens", expr=value)
        text = f"nullif(trim(CAST({quote(raw)} AS VARCHAR)), '')"
        checks += [
            Check(
                raw,
                text,
                f"({text} IS NOT NULL AND {_int(raw)} IS NULL)",
                "not a whole number",
            ),
            Check(
                raw, text, f"coalesce({_int(raw)} < 0, false)", "negative token count"
            ),
            Check(raw, text, f"coalesce({value} < 0, false)", why),
        ]
    return checks
