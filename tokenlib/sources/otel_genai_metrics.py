"""OpenTelemetry GenAI token metrics (OTLP JSON) as ledger buckets.

Reads ``gen_ai.client.token.usage`` (a histogram: each point's ``sum`` is
tokens, its ``count`` is operations and is not used) with ``gen_ai.token.type``
``input`` or ``output`` (deprecated ``completion`` is output), and the newer
counters ``gen_ai.client.inference.usage.{input_tokens, output_tokens,
cache_read.input_tokens, cache_write.input_tokens, reasoning.output_tokens}``.
Delta points add as they are; cumulative points are differenced per series
(metric, scope and every attribute) by :func:`.otlp_deltas.with_deltas`, a
new ``startTimeUnixNano`` marking a restart whose first point counts from
zero; a value that falls without a new start time goes to quarantine. Rows
have grain ``bucket``.

Notes
-----
Histogram input includes cached tokens and cannot be split: it is kept as
``input_tokens`` (priced at the input rate, too high when there were cache
hits) and tagged ``cache: not split``. The counters are pivoted: the points of
one series (all attributes but the metric) at one time become one row, so
cached input is taken out of ``input_tokens``; a cache write is read as a
5-minute write. When a file holds both the counters and the histogram, the
histogram rows repeat the counters and go to quarantine. A cumulative series
continues from its points already in the ledger (tag ``otel_points``), so
files of one series must be ingested in time order: an earlier file ingested
after a later one is counted again. A point repeated inside a file is read
once.
Metrics and spans of one service describe the same requests; the two keep
distinct source names so that pricing can prefer spans. Other metrics
(durations, ...) are not token usage and are not read.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from . import otlp, otlp_peek
from .base import Check, Field, Plan, describe, literal
from .otel_genai import drop_content, is_claude_code, provider_sql, tags
from .otlp import nanos_to_timestamp
from .otlp_deltas import held_points, points_json, with_deltas

__all__ = ["looks_like_otel_genai_metrics", "plan_otel_genai_metrics"]

SOURCE = "otel_genai_metrics"
HISTOGRAM = "gen_ai.client.token.usage"
_C = "gen_ai.client.inference.usage."
COUNTERS = {
    _C + "input_tokens": "input",
    _C + "output_tokens": "output",
    _C + "cache_read.input_tokens": "cache_read",
    _C + "cache_write.input_tokens": "cache_write",
    _C + "reasoning.output_tokens": "reasoning",
}
TOKEN_TYPES = {"input": "input", "output": "output", "completion": "output"}
#: Temporary table holding the flattened rows of the file being read.
_TABLE = "_otel_genai_metrics"


def _case(expr: str, mapping: dict[str, str]) -> str:
    whens = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in mapping.items())
    return f"CASE {expr} {whens} END"


def _sorted_text(m: str) -> str:
    """A map as sorted ``key=value`` text: one series, one text."""
    pairs = f"list_transform(map_entries({m}), lambda e: e.key || '=' || e.value)"
    return f"coalesce(array_to_string(list_sort({pairs}), '|'), '')"


def points_sql(path: Path) -> str:
    """SQL with one row per data point of the GenAI token metrics."""
    names = ", ".join(literal(n) for n in [HISTOGRAM, *COUNTERS])
    return f"""
    SELECT resource, scope, metric, kind, temporality_raw, temporality, start_ns,
      time_ns, value_text, value, attributes, _row
    FROM ({otlp.metric_points(path, **drop_content())})
    WHERE metric IN ({names})"""


def _text(number: str) -> str:
    """A decimal as short text: 300, not 300.000000000000."""
    return (
        f"CASE WHEN {number} = trunc({number}) THEN CAST(CAST({number} AS HUGEINT) "
        f"AS VARCHAR) ELSE rtrim(CAST({number} AS VARCHAR), '0') END"
    )


def _differenced(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """Points with their token class, amount and window, copies read once."""
    token_type = "lower(attributes['gen_ai.token.type'])"
    cls = (
        f"CASE WHEN metric = {literal(HISTOGRAM)} "
        f"THEN {_case(token_type, TOKEN_TYPES)} ELSE {_case('metric', COUNTERS)} END"
    )
    dims = "map_from_entries(list_filter(map_entries(attributes), "
    dims += "lambda e: e.key <> 'gen_ai.token.type'))"
    pts = with_deltas(points_sql(path), held_points(con, SOURCE), by=["scope"])
    return f"""
    SELECT * EXCLUDE (_row), _row AS _point, time_ns AS end_ns,
      coalesce(from_ns, time_ns) AS window_ns, dropped AS fell,
      {_text("base")} AS prev_text, {_sorted_text("dims")} AS dims_key
    FROM (
      SELECT *, {cls} AS class, {token_type} AS token_type, {dims} AS dims,
        {_sorted_text("resource")} AS resource_key
      FROM ({pts}) WHERE first_copy)"""


def _pivoted(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """One row per series and time: a counter row holds every token class."""
    split = (
        "CASE WHEN metric = " + literal(HISTOGRAM) + " OR class IS NULL "
        "THEN metric || '|' || coalesce(token_type, '') ELSE '' END"
    )
    sums = ", ".join(
        f"sum(amount) FILTER (WHERE class = '{c}') AS {c}_amount"
        for c in ("input", "cache_read", "cache_write", "output", "reasoning")
    )
    bad_value = "value IS NULL OR value < 0 OR amount <> round(amount)"
    point = "metric || coalesce(' ' || token_type, '') || ': '"
    return f"""
    SELECT family, resource_key, scope, dims_key, split, end_ns, temporality,
      any_value(resource) AS resource, any_value(dims) AS dims,
      any_value(temporality_raw) AS temporality_raw,
      max(start_ns) AS start_ns, max(window_ns) AS window_ns, {sums},
      string_agg(DISTINCT metric, ',' ORDER BY metric) AS metrics,
      min(CASE WHEN class IS NULL THEN coalesce(token_type, '(none)') END)
        AS unknown_type,
      min(CASE WHEN {bad_value} THEN {point} || coalesce(value_text, '(none)') END)
        AS bad_value,
      min(CASE WHEN fell THEN {point} || value_text || ' after ' || prev_text END)
        AS fell_value,
      min(_point) AS first_point, {points_json()} AS otel_points
    FROM (
      SELECT *, CASE WHEN metric = {literal(HISTOGRAM)} THEN 'histogram'
                     ELSE 'counters' END AS family, {split} AS split
      FROM ({_differenced(con, path)}))
    GROUP BY family, resource_key, scope, dims_key, split, end_ns, temporality"""


def _relation(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """Pivoted rows with their times, and whether counters are present."""
    return f"""
    SELECT *, {nanos_to_timestamp("window_ns")} AS bucket_start,
      {nanos_to_timestamp("end_ns")} AS bucket_end,
      bool_or(family = 'counters') OVER () AS has_counters,
      row_number() OVER (ORDER BY first_point) AS _row
    FROM ({_pivoted(con, path)})"""


def _n(c: str) -> str:
    return f"coalesce(CAST(round({c}_amount) AS BIGINT), 0)"


def _fields() -> dict[str, Field]:
    """Ledger columns from a pivoted row."""

    def d(key: str) -> str:
        return f"dims[{literal(key)}]"

    def r(key: str) -> str:
        return f"resource[{literal(key)}]"

    request, response = d("gen_ai.request.model"), d("gen_ai.response.model")
    text = {
        "provider": provider_sql(
            f"coalesce({d('gen_ai.provider.name')}, {d('gen_ai.system')})"
        ),
        "model": f"coalesce({response}, {request})",
        "application": r("service.name"),
        "environment": f"coalesce({r('deployment.environment.name')}, "
        f"{r('deployment.environment')})",
        "team": f"coalesce({r('team.id')}, {d('team.id')})",
        "agent": d("gen_ai.agent.name"),
        "region": r("cloud.region"),
        "grain": "'bucket'",
        "record_type": "'usage'",
        "service_tier": "'standard'",
    }
    fields = {n: Field("text", expr=e) for n, e in text.items()}
    return fields | {
        "start": Field("time", column="bucket_start", required=True),
        "end": Field("time", column="bucket_end"),
        "input_tokens": Field(
            "tokens",
            expr=f"{_n('input')} - {_n('cache_read')} - {_n('cache_write')}",
        ),
        "cache_read_tokens": Field("tokens", expr=_n("cache_read")),
        "cache_write_5m_tokens": Field("tokens", expr=_n("cache_write")),
        "output_tokens": Field("tokens", expr=_n("output")),
        "reasoning_tokens": Field("tokens", expr=_n("reasoning")),
        "tags": Field(
            "json",
            expr="json_merge_patch("
            + tags(
                {
                    "metrics": "metrics",
                    "temporality": "temporality",
                    "operation": d("gen_ai.operation.name"),
                    "request_model": f"CASE WHEN {request} <> {response} "
                    f"THEN {request} END",
                    "token_modality": d("gen_ai.token.modality"),
                    "server_address": d("server.address"),
                    "cache": "CASE WHEN family = 'histogram' "
                    "THEN 'not split: input includes cached tokens' END",
                }
            )
            # Cumulative points, so that a later file continues their series.
            + ", json_object('otel_points', otel_points))",
        ),
    }


def _checks() -> list[Check]:
    """Row checks, in the order a reader should hear of them."""
    return [
        Check(
            "aggregationTemporality",
            "temporality_raw",
            "temporality IS NULL",
            "aggregation temporality neither delta nor cumulative "
            "(or not a histogram or sum)",
        ),
        Check(
            "gen_ai.token.type",
            "unknown_type",
            "unknown_type IS NOT NULL",
            "token type neither input nor output",
        ),
        Check(
            "data point value",
            "bad_value",
            "bad_value IS NOT NULL",
            "token value missing, negative or not a whole number",
        ),
        Check(
            "data point value",
            "fell_value",
            "fell_value IS NOT NULL",
            "cumulative value fell without a new start time",
        ),
        Check(
            "metrics",
            "metrics",
            "family = 'histogram' AND has_counters",
            f"{HISTOGRAM} repeats the {_C}* counters in the same file",
        ),
        Check(
            _C + "cache_read.input_tokens",
            "CAST(cache_read_amount AS VARCHAR)",
            f"{_n('cache_read')} + {_n('cache_write')} > {_n('input')}",
            "cache read and write tokens exceed input tokens, which include them",
        ),
        Check(
            _C + "reasoning.output_tokens",
            "CAST(reasoning_amount AS VARCHAR)",
            f"{_n('reasoning')} > {_n('output')}",
            "reasoning tokens exceed output tokens, which include them",
        ),
    ]


def plan_otel_genai_metrics(
    con: duckdb.DuckDBPyConnection, path: Path
) -> list[tuple[Plan, dict[str, str]]]:
    """Describe how a GenAI token metrics file fills the ledger."""
    # Read the file once: the engine passes over the relation several times.
    table = otlp.materialize(con, _TABLE, _relation(con, path), path)
    plan = Plan(
        source=SOURCE,
        path=path,
        relation=f"SELECT * FROM {table}",
        fields=_fields(),
        key=["family", "resource_key", "scope", "dims_key", "split", "start_ns"]
        + ["end_ns"],
        key_is_unique=True,
        checks=_checks(),
    )
    return [(plan, describe(con, plan.relation))]


def looks_like_otel_genai_metrics(con: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """OTLP JSON metrics holding GenAI token usage, not from Claude Code."""
    seen = otlp_peek.peek(con, path, docs=None)
    names = {HISTOGRAM, *COUNTERS}
    found = seen["signal"] == "metrics" and bool(names & seen["names"])
    return found and not is_claude_code(seen)
