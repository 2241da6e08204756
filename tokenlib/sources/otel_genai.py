"""OpenTelemetry GenAI readers' shared parts: OTLP JSON flattening, providers.

OTLP JSON is read as whole documents (one ``TracesData`` or ``MetricsData``
per file, a JSON array of them, or one per line) and unnested level by level
in DuckDB: resource, scope, span or metric, data point. Attribute lists
become a ``MAP(VARCHAR, VARCHAR)``: scalars keep their text, arrays become
JSON array text. The encoding's quirks are accepted: 64-bit integers as
strings or numbers, enums as integers or names, ids as hex or base64.

Provider names of the GenAI conventions become the price book's ids:

=============================================  ===============
``gen_ai.provider.name`` / ``gen_ai.system``   ledger provider
=============================================  ===============
aws.bedrock                                    aws
azure.ai.openai, az.ai.openai (deprecated)     azure
azure.ai.inference, az.ai.inference (depr.)    azure
gcp.gemini, gcp.vertex_ai, gcp.gen_ai          google
gemini, vertex_ai (deprecated)                 google
mistral_ai                                     mistral
x_ai, xai (deprecated)                         x-ai
moonshot_ai                                    moonshotai
any other (openai, anthropic, cohere, ...)     as given
=============================================  ===============

Notes
-----
Message content (``gen_ai.input.messages``, ``gen_ai.output.messages``,
``gen_ai.system_instructions``, ``gen_ai.prompt``, ``gen_ai.completion``,
tool call arguments and results, and the content keys of OpenInference and
Traceloop) is dropped while attributes are read, so it reaches neither the
ledger nor quarantine; span events are never read. Content under other
attribute names is not recognised.
This flattener is private to the GenAI readers; the Claude Code reader has its
own (``tokenlib.sources.otlp``), and the two should be merged.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .base import literal

__all__ = [
    "CONTENT_KEYS",
    "PROVIDERS",
    "attributes",
    "claude_code",
    "columns",
    "documents",
    "nanos",
    "otlp_id",
    "provider_sql",
    "metrics_sql",
    "spans_sql",
    "tags",
    "utc_time",
]

#: Attributes that hold message content; never read.
CONTENT_KEYS = (
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.prompt",
    "gen_ai.completion",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "gen_ai.tool.definitions",
    "input.value",
    "output.value",
    "traceloop.entity.input",
    "traceloop.entity.output",
)
# Indexed content of older or neighbouring conventions: gen_ai.prompt.0.content
_CONTENT_PREFIXES = (
    "gen_ai.prompt.",
    "gen_ai.completion.",
    "llm.input_messages",
    "llm.output_messages",
)

PROVIDERS = {
    "aws.bedrock": "aws",
    "azure.ai.openai": "azure",
    "az.ai.openai": "azure",
    "azure.ai.inference": "azure",
    "az.ai.inference": "azure",
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "gcp.gen_ai": "google",
    "gemini": "google",
    "vertex_ai": "google",
    "mistral_ai": "mistral",
    "x_ai": "x-ai",
    "xai": "x-ai",
    "moonshot_ai": "moonshotai",
}

# --- OTLP JSON flattening -----------------------------------------------------


def documents(path: Path) -> str:
    """SQL yielding one JSON ``doc`` per OTLP document in the file."""
    return (
        f"SELECT json AS doc FROM read_json_objects({literal(str(path))}, "
        "format = 'auto', maximum_object_size = 268435456)"
    )


def _scalar(v: str) -> str:
    return (
        f"coalesce({v}->>'stringValue', {v}->>'intValue', {v}->>'doubleValue', "
        f"{v}->>'boolValue', {v}->>'bytesValue')"
    )


def _any_value(v: str) -> str:
    """Text of an AnyValue: scalars as text, arrays as JSON array text."""
    items = f"json_extract({v}, '$.arrayValue.values[*]')"
    array = (
        f"CAST(to_json(list_transform({items}, lambda e: {_scalar('e')})) AS VARCHAR)"
    )
    return (
        f"CASE WHEN ({v}->'arrayValue') IS NOT NULL THEN {array} "
        f"WHEN ({v}->'kvlistValue') IS NOT NULL "
        f"THEN CAST({v}->'kvlistValue' AS VARCHAR) "
        f"ELSE {_scalar(v)} END"
    )


_X_VALUE = "x->'value'"


def attributes(kv_list: str) -> str:
    """SQL turning an OTLP ``attributes`` JSON list into a text MAP.

    Content attributes are left out; a repeated key keeps its first value.
    """
    content = ", ".join(literal(c) for c in CONTENT_KEYS)
    prefixes = " OR ".join(f"starts_with(e.k, {literal(p)})" for p in _CONTENT_PREFIXES)
    pairs = (
        f"list_transform(json_extract(coalesce({kv_list}, '[]'), '$[*]'), "
        f"lambda x: struct_pack(k := x->>'key', v := {_any_value(_X_VALUE)}))"
    )
    kept = (
        f"list_filter({pairs}, lambda e: e.k IS NOT NULL "
        f"AND e.k NOT IN ({content}) AND NOT ({prefixes}))"
    )
    first = f"list_position(list_transform({kept}, lambda y: y.k), e.k) = i"
    return f"map_from_entries(list_filter({kept}, lambda e, i: {first}))"


def nanos(text: str) -> str:
    """SQL for an OTLP nanosecond time (string or number) as BIGINT."""
    return f"TRY_CAST(TRY_CAST({text} AS DECIMAL(20, 0)) AS BIGINT)"


def utc_time(ns: str) -> str:
    """SQL for nanoseconds since the epoch as a UTC TIMESTAMPTZ."""
    return f"timezone('UTC', make_timestamp({ns} // 1000))"


def otlp_id(text: str, size: int) -> str:
    """SQL for a trace or span id (hex, or base64 of ``size`` bytes) as hex."""
    raw = f"try(from_base64({text}))"
    return (
        f"CASE WHEN regexp_full_match({text}, '[0-9a-fA-F]{{{2 * size}}}') "
        f"THEN lower({text}) WHEN octet_length({raw}) = {size} "
        f"THEN lower(hex({raw})) END"
    )


def tags(pairs: dict[str, str]) -> str:
    """SQL for a JSON object of the given SQL values, leaving nulls out."""
    items = ", ".join(
        f"struct_pack(k := {literal(k)}, v := CAST({v} AS VARCHAR))"
        for k, v in pairs.items()
    )
    return (
        f"CAST(to_json(map_from_entries(list_filter([{items}], "
        "lambda e: e.v IS NOT NULL))) AS JSON)"
    )


def spans_sql(path: Path) -> str:
    """SQL with one row per span: resource, scope, ids, times, attributes."""
    sp = "sp"
    return f"""
    WITH r AS (
      SELECT unnest(json_extract(doc, '$.resourceSpans[*]')) AS r
      FROM ({documents(path)})),
    s AS (
      SELECT r->'resource'->'attributes' AS ra,
             unnest(json_extract(r, '$.scopeSpans[*]')) AS s FROM r),
    p AS (
      SELECT ra, s->'scope'->>'name' AS scope,
             unnest(json_extract(s, '$.spans[*]')) AS sp FROM s)
    SELECT {attributes("ra")} AS resource, scope, {sp}->>'name' AS span_name,
      {otlp_id(f"{sp}->>'traceId'", 16)} AS trace_id,
      {otlp_id(f"{sp}->>'spanId'", 8)} AS span_id,
      {otlp_id(f"{sp}->>'parentSpanId'", 8)} AS parent_span_id,
      {nanos(f"{sp}->>'startTimeUnixNano'")} AS start_ns,
      {nanos(f"{sp}->>'endTimeUnixNano'")} AS end_ns,
      {sp}->'status'->>'code' AS status_code,
      {attributes(f"{sp}->'attributes'")} AS attributes
    FROM p"""


def metrics_sql(path: Path) -> str:
    """SQL with one row per metric: resource, scope, name and the metric JSON."""
    return f"""
    WITH r AS (
      SELECT unnest(json_extract(doc, '$.resourceMetrics[*]')) AS r
      FROM ({documents(path)})),
    s AS (
      SELECT r->'resource'->'attributes' AS ra,
             unnest(json_extract(r, '$.scopeMetrics[*]')) AS s FROM r),
    m AS (
      SELECT ra, s->'scope'->>'name' AS scope,
             unnest(json_extract(s, '$.metrics[*]')) AS m FROM s)
    SELECT {attributes("ra")} AS resource, scope, m->>'name' AS metric, m FROM m"""


def provider_sql(raw: str) -> str:
    """SQL mapping a convention provider name to the price book's id."""
    whens = " ".join(
        f"WHEN {literal(k)} THEN {literal(v)}" for k, v in PROVIDERS.items()
    )
    return f"CASE lower({raw}) {whens} ELSE lower({raw}) END"


def claude_code(service: str, scope: str, name: str) -> str:
    """SQL telling Claude Code telemetry, which another reader takes."""
    return (
        f"(coalesce({service} = 'claude-code', false) "
        f"OR coalesce(starts_with({scope}, 'com.anthropic.claude_code'), false) "
        f"OR coalesce(starts_with({name}, 'claude_code.'), false))"
    )


def columns(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    return {
        r[0]: r[1]
        for r in con.execute(f"DESCRIBE {relation}").fetchall()
        if r[0] != "_row"
    }
